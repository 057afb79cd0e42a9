package node

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uspmesh/uspmesh/bulkdata"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
	"github.com/uspmesh/uspmesh/datamodel/value"
	"github.com/uspmesh/uspmesh/usp"
)

// Bulk data (Device.BulkData.): the node runs the profiles Controllers
// create with package bulkdata. Each profile reads the model with the
// rights of the Controller that created it; reports go to HTTP(S)
// collectors (verified against the node's trust store), through the
// node's MQTT client, or as Push! events its Notifier delivers.

// attachBulkData connects Device.BulkData.'s live parameters and
// ForceCollection() to the runner; call it on the schema before the
// model is built. Before the runner starts they read their defaults.
// A ReportingInterval below the configured MinReportingInterval is
// refused when it is written (7012 Invalid value).
func (n *Node) attachBulkData(s *datamodel.Schema) {
	minSecs := strconv.FormatInt(int64(time.Duration(n.cfg.BulkDataMinInterval)/time.Second), 10)
	ri := s.Root().Child("BulkData").Child("Profile").ParamByName("ReportingInterval")
	ri.Constraint.Ranges = []value.Range{{Min: minSecs}}
	s.Root().Child("BulkData").ParamByName("MinReportingInterval").Default = minSecs
	tr181.AttachBulkData(s, tr181.BulkDataHooks{
		State: func(_ context.Context, row, param string) (string, bool) {
			if r := n.bulk.Load(); r != nil {
				return r.State(row, param)
			}
			return "", false
		},
		Force: func(ctx context.Context, row string) error {
			r := n.bulk.Load()
			if r == nil {
				return errors.New("bulk data is not running")
			}
			return r.Force(ctx, row)
		},
	})
}

// startBulkData starts the profiles' runner.
func (n *Node) startBulkData() error {
	roots, err := n.trustRoots()
	if err != nil {
		return err
	}
	cfg := bulkdata.DefaultConfig()
	cfg.MinInterval = time.Duration(n.cfg.BulkDataMinInterval)
	cfg.Model, cfg.Clock, cfg.Logger = n.model, n.deps.Clock, n.log.With("sub", "bulkdata")
	cfg.Identity = bulkdata.Identity{OUI: n.cfg.OUI, ProductClass: n.cfg.ProductClass, SerialNumber: n.cfg.SerialNumber,
		EndpointID: string(n.agentID)}
	cfg.Access = n.profileOwner
	cfg.HTTPClient = bulkdata.NewHTTPClient(roots, cfg.AttemptTimeout)
	cfg.Publisher = bulkPublisher{n}
	r, err := bulkdata.Start(cfg)
	if err != nil {
		return fmt.Errorf("bulk data: %w", err)
	}
	n.bulk.Store(r)
	return nil
}

// stopBulkData stops the runner, if it started.
func (n *Node) stopBulkData() {
	if r := n.bulk.Load(); r != nil {
		r.Close()
	}
}

// trustRoots is the node's trust store for collectors: the system's
// roots and the CAs its configuration names (ca_file, bulkdata_ca_file,
// mqtt.ca_file).
func (n *Node) trustRoots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	files := [][2]string{{"ca_file", n.cfg.CAFile}, {"bulkdata_ca_file", n.cfg.BulkDataCAFile}}
	if n.cfg.MQTT != nil {
		files = append(files, [2]string{"mqtt.ca_file", n.cfg.MQTT.CAFile})
	}
	for _, f := range files {
		if f[1] == "" {
			continue
		}
		if err := appendPool(pool, f[0], f[1]); err != nil {
			return nil, err
		}
	}
	return pool, nil
}

// profileOwner is bulkdata.Config.Access: the read rights of the
// Controller of row ctrlRow, as the Agent evaluates them for its Gets.
func (n *Node) profileOwner(ctx context.Context, ctrlRow string) (bulkdata.Reader, error) {
	if ctrlRow == "" {
		return nil, errors.New("the profile has no Controller")
	}
	id, err := n.readParam(ctx, ctrlRow+".EndpointID")
	if err != nil || !strings.HasPrefix(ctrlRow, "Device.LocalAgent.Controller.") {
		return nil, fmt.Errorf("Controller %s is not an existing Controller row", ctrlRow)
	}
	return n.access.For(ctx, id), nil
}

// readParam reads one parameter as the Agent itself.
func (n *Node) readParam(ctx context.Context, param string) (string, error) {
	p, err := path.Parse(param)
	if err != nil {
		return "", err
	}
	res, err := n.model.Get(ctx, p, 0, nil)
	if err != nil {
		return "", err
	}
	if len(res) != 1 || len(res[0].Params) != 1 {
		return "", fmt.Errorf("%s is not one parameter", param)
	}
	return res[0].Params[0].Value, nil
}

// ownsProfile says whether the Controller id created the bulk data
// profile at row (with trailing dot).
func (n *Node) ownsProfile(ctx context.Context, row, id string) bool {
	ctl, err := n.readParam(ctx, row+"Controller")
	if err != nil || ctl == "" {
		return false
	}
	owner, err := n.readParam(ctx, strings.TrimSuffix(ctl, ".")+".EndpointID")
	return err == nil && owner == id
}

// pushOwnerAccess is the Notifier's access control: the rights of
// access, except that a bulk data profile's Push! event goes only to
// the profile's Controller (TR-369: to the owner's Event subscription).
// The event's Data is a report filtered by the owner's read rights; a
// Controller with other rights that subscribed to it must not read it.
type pushOwnerAccess struct {
	access usp.AccessControl
	n      *Node
}

// Permissions implements usp.AccessControl.
func (a pushOwnerAccess) Permissions(ctx context.Context, id usp.EndpointID) usp.Permissions {
	return pushOwnerPerms{Permissions: a.access.Permissions(ctx, id), ctx: ctx, n: a.n, id: string(id)}
}

// pushOwnerPerms are one Controller's rights with the Push! rule; the
// other notification rights and the secured right are the inner ones'.
type pushOwnerPerms struct {
	usp.Permissions
	ctx context.Context
	n   *Node
	id  string
}

var (
	_ usp.NotifyPermissions = pushOwnerPerms{}
	_ usp.SecretReader      = pushOwnerPerms{}
)

func (p pushOwnerPerms) notify() (usp.NotifyPermissions, bool) {
	np, ok := p.Permissions.(usp.NotifyPermissions)
	return np, ok
}

// NotifyValueChange implements usp.NotifyPermissions.
func (p pushOwnerPerms) NotifyValueChange(objPath string, pd *datamodel.ParamDef) bool {
	np, ok := p.notify()
	return !ok || np.NotifyValueChange(objPath, pd)
}

// NotifyObjCreation implements usp.NotifyPermissions.
func (p pushOwnerPerms) NotifyObjCreation(tablePath string, t *datamodel.ObjectDef) bool {
	np, ok := p.notify()
	return !ok || np.NotifyObjCreation(tablePath, t)
}

// NotifyObjDeletion implements usp.NotifyPermissions.
func (p pushOwnerPerms) NotifyObjDeletion(rowPath string, t *datamodel.ObjectDef) bool {
	np, ok := p.notify()
	return !ok || np.NotifyObjDeletion(rowPath, t)
}

// NotifyCommandEvent implements usp.NotifyPermissions: a profile's
// Push! only for its owner.
func (p pushOwnerPerms) NotifyCommandEvent(objPath, name string) bool {
	if name == "Push!" && strings.HasPrefix(objPath, "Device.BulkData.Profile.") && !p.n.ownsProfile(p.ctx, objPath, p.id) {
		return false
	}
	np, ok := p.notify()
	return !ok || np.NotifyCommandEvent(objPath, name)
}

// Secured implements usp.SecretReader.
func (p pushOwnerPerms) Secured() bool {
	s, ok := p.Permissions.(usp.SecretReader)
	return !ok || s.Secured()
}

// bulkPublisher publishes MQTT reports through the node's MQTT client.
type bulkPublisher struct{ n *Node }

// Publish implements bulkdata.Publisher at the profile's PublishQoS.
func (b bulkPublisher) Publish(ctx context.Context, clientRow, topic string, qos int, body []byte) error {
	q := b.n.mqttNow()
	if q == nil {
		return errors.New("this node has no MQTT client")
	}
	if own := strings.TrimSuffix(q.clientRow, "."); clientRow != own {
		return fmt.Errorf("MQTT.Reference %s is not this node's MQTT client (%s)", clientRow, own)
	}
	if qos < 0 || qos > 2 {
		return fmt.Errorf("MQTT.PublishQoS %d: want 0, 1 or 2", qos)
	}
	return q.client.PublishQoS(ctx, topic, body, byte(qos))
}
