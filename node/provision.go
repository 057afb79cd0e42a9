package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel/access"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/usp"
)

// accessControl adapts the access Evaluator to what the Agent asks.
type accessControl struct{ e *access.Evaluator }

// Permissions implements usp.AccessControl.
func (a accessControl) Permissions(ctx context.Context, id usp.EndpointID) usp.Permissions {
	return a.e.For(ctx, string(id))
}

// provision creates the standard roles, points UntrustedRole at the
// untrusted one, and provisions the configured Controllers: their rows,
// assigned roles and CoAP MTPs; Controllers an earlier configuration
// provisioned and this one does not lose their rows. It is idempotent
// across restarts.
func (n *Node) provision(ctx context.Context) error {
	specs := []access.RoleSpec{access.FullAccess(), monitorRole(), access.Untrusted()}
	for _, r := range n.cfg.Roles {
		specs = append(specs, r.spec())
	}
	if n.cfg.MeshSecretFile != "" {
		specs = append(specs, meshLeaderRole(), meshPeerRole())
	}
	paths, err := access.Provision(ctx, n.model, specs)
	if err != nil {
		return fmt.Errorf("provision roles: %w", err)
	}
	n.rolePaths = paths
	role := map[string]string{
		"full":      paths[access.FullAccess().Name],
		"read":      paths[monitorRole().Name],
		"untrusted": paths[access.Untrusted().Name],
	}
	for _, r := range n.cfg.Roles {
		role[r.Name] = paths[r.Name]
	}
	secured := []string{role["full"]}
	for _, r := range n.cfg.Roles {
		if r.Secured {
			secured = append(secured, role[r.Name])
		}
	}
	if err := access.SetTrust(ctx, n.model, access.Trust{Untrusted: []string{role["untrusted"]}, Secured: secured}); err != nil {
		return fmt.Errorf("provision untrusted role: %w", err)
	}
	for i, c := range n.cfg.Controllers {
		if err := access.AssignRole(ctx, n.model, c.EndpointID, []string{role[c.Role]}); err != nil {
			return fmt.Errorf("provision controllers[%d]: %w", i, err)
		}
		if c.MTP != "" {
			if err := n.provisionMTP(ctx, c); err != nil {
				return &ConfigError{fmt.Sprintf("controllers[%d].mtp", i), c.MTP, err.Error()}
			}
		}
		if c.MQTTTopic != "" {
			if err := n.provisionCtrlMTP(ctx, c.EndpointID, mtpMQTT, [][2]string{{"Topic", c.MQTTTopic}}); err != nil {
				return &ConfigError{fmt.Sprintf("controllers[%d].mqtt_topic", i), c.MQTTTopic, err.Error()}
			}
		}
	}
	return n.unprovisionRemoved(ctx)
}

// monitorRole is the "read" role of configured Controllers: everything
// readable and notifiable, and its own subscriptions writable (a monitor
// must subscribe). Limit: TR-181 gives no per-Recipient rights, so such a
// Controller can also change other Controllers' subscriptions.
func monitorRole() access.RoleSpec {
	r := access.ReadOnly()
	r.Name = "Monitor"
	r.Permissions = append(r.Permissions, access.PermSpec{Order: 2, Targets: []string{"Device.LocalAgent.Subscription."},
		Param: "rw-n", Obj: "rw-n", InstantiatedObj: "rw-n", CommandEvent: "r--n"})
	return r
}

// provisionMTP sets (or creates) the CoAP or WebSocket MTP row of a
// configured Controller from its URI.
func (n *Node) provisionMTP(ctx context.Context, c ControllerConfig) error {
	u, err := parseMTP(c.MTP)
	if err != nil {
		return err
	}
	protocol, secure, port := mtpCoAP, u.Scheme == "coaps", u.Port()
	switch u.Scheme {
	case "ws", "wss":
		protocol, secure = mtpWebSocket, u.Scheme == "wss"
		if port == "" {
			port = map[bool]string{true: "443", false: "80"}[secure]
		}
	default:
		if port == "" {
			port = map[bool]string{true: "5684", false: "5683"}[secure]
		}
	}
	return n.provisionCtrlMTP(ctx, c.EndpointID, protocol, [][2]string{
		{"Host", u.Hostname()}, {"Port", port}, {"Path", strings.TrimPrefix(u.Path, "/")},
		{"EnableEncryption", strconv.FormatBool(secure)}})
}

// provisionCtrlMTP sets (or creates) the enabled MTP row of Protocol
// protocol of Controller endpointID, with params on its sub-object.
func (n *Node) provisionCtrlMTP(ctx context.Context, endpointID, protocol string, params [][2]string) error {
	ctrl := `Device.LocalAgent.Controller.[EndpointID==` + path.Quote(endpointID) + `].MTP.`
	sub := make([][2]string, 0, len(params)+1)
	sub = append(sub, [2]string{"Enable", "true"})
	for _, kv := range params {
		sub = append(sub, [2]string{protocol + "." + kv[0], kv[1]})
	}
	_, err := provisionRow(ctx, n.model, ctrl, "Protocol", protocol, sub)
	return err
}

// meshLeaderRole is the Role of the Controller of the leader this node
// follows: it may read, write, operate and subscribe across the model,
// but may not touch trust (roles, Controllers): a leader cannot entrench
// itself.
func meshLeaderRole() access.RoleSpec {
	return access.RoleSpec{Name: "MeshLeader", Permissions: []access.PermSpec{
		{Order: 1, Targets: []string{"Device."}, Param: access.AllRights, Obj: access.AllRights,
			InstantiatedObj: access.AllRights, CommandEvent: access.AllRights},
		{Order: 2, Targets: []string{"Device.LocalAgent.ControllerTrust.", "Device.LocalAgent.Controller."},
			Param: access.ReadNotify, Obj: access.ReadNotify, InstantiatedObj: access.ReadNotify, CommandEvent: access.ReadNotify},
	}}
}

// meshPeerRole is the Role of the other mesh nodes' Controllers (and of
// any holder of the mesh secret): read and be notified of everything,
// manage its own subscriptions, change nothing.
func meshPeerRole() access.RoleSpec {
	r := monitorRole()
	r.Name = "MeshPeer"
	return r
}

// assignMeshRole gives a mesh Controller the mesh-leader or the
// read-only mesh role.
func (n *Node) assignMeshRole(ctx context.Context, ctrl, role string) error {
	p := n.rolePaths[meshPeerRole().Name]
	if role == meshRoleLeader {
		p = n.rolePaths[meshLeaderRole().Name]
	}
	if p == "" {
		return fmt.Errorf("mesh roles not provisioned")
	}
	return access.AssignRole(ctx, n.model, ctrl, []string{p})
}

// dropSubscriptions deletes the subscriptions whose Recipient is ctrl's
// Controller row.
func (n *Node) dropSubscriptions(ctx context.Context, ctrl string) (int, error) {
	p, err := path.Parse(`Device.LocalAgent.Controller.[EndpointID==` + path.Quote(ctrl) + `].`)
	if err != nil {
		return 0, err
	}
	res, err := n.model.Get(ctx, p, 1, nil)
	if err != nil || len(res) == 0 {
		return 0, err
	}
	row := strings.TrimSuffix(res[0].Path, ".")
	return deleteRows(ctx, n.model, `Device.LocalAgent.Subscription.[Recipient==`+path.Quote(row)+`].`)
}
