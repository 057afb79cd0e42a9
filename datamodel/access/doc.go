// Package access decides what each USP Controller may do with this Agent's
// data model, from the Roles and Permissions of TR-181
// Device.LocalAgent.ControllerTrust. (TR-369 "Access control").
//
// Data enters from the model itself: an Evaluator reads the
// ControllerTrust object (UntrustedRole, BannedRole, SecuredRoles and the
// Role.{i}.Permission.{i} rows) and the Device.LocalAgent.Controller.{i}
// rows (EndpointID, Enable, AssignedRole, InheritedRole), compiles each Role
// once against the schema, and listens to the model's events to drop what
// it compiled when either subtree changes. Data leaves as a *Set, the
// effective rights of one Controller for one message, that the USP layer
// asks for every parameter, row, command and notification it handles.
//
// Precedence follows TR-181: within one Role, of the enabled Permissions
// whose Targets cover an item, the one with the highest Order decides (its
// whole four-letter string for that item's kind applies, "----" included);
// the rights that each of the Controller's Roles grants are then OR-ed.
// Orders are a unique key of Permission rows, so two Permissions of one
// Role cannot share one; should equal Orders ever meet, their rights are
// OR-ed.
//
// Provision, AssignRole and SetTrust write Roles, Controller rows and the
// trust parameters with internal writes, for nodes at start-up and for
// tests; FullAccess, ReadOnly and Untrusted are standard Role specs.
package access
