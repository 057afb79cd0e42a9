// Package rollout puts one deployment unit (DU) on every node of a home,
// one node at a time, as the mesh leader's orchestration: Run walks the
// nodes in the order given (the node leaves the leader last), asks a
// Deployer to install or update the DU on each, waits for that node to
// finish, and stops at the first failure; the nodes after it are left
// untouched and reported NotAttempted.
//
// Data enters as a Request (the DU's URL and UUID, the Controller the
// units belong to, the leader's term) and a list of nodes; it leaves as
// one NodeResult per node, given to a progress function after every
// change and returned at the end. USP is the Deployer over the leader's
// mesh Controller: it runs each node Agent's
// Device.SoftwareModules.X_USPMESH_DeployDU() and waits for its
// OperationComplete, which the node hands it through Notify.
package rollout
