package node

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/uspmesh/uspmesh/bulkdata"
	"github.com/uspmesh/uspmesh/datamodel"
	"github.com/uspmesh/uspmesh/datamodel/path"
	"github.com/uspmesh/uspmesh/datamodel/tr181"
)

// Bulk data (Device.BulkData.): the node runs the profiles Controllers
// create with package bulkdata. Each profile reads the model with the
// rights of the Controller that created it; reports go to HTTP(S)
// collectors (verified against the node's trust store), through the
// node's MQTT client, or as Push! events its Notifier delivers.

// attachBulkData connects Device.BulkData.'s live parameters and
// ForceCollection() to the runner; call it on the schema before the
// model is built. Before the runner starts they read their defaults.
func (n *Node) attachBulkData(s *datamodel.Schema) {
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
// roots and the CAs its configuration names (ca_file, mqtt.ca_file).
func (n *Node) trustRoots() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	files := [][2]string{{"ca_file", n.cfg.CAFile}}
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
	p, err := path.Parse(ctrlRow + ".EndpointID")
	if err != nil || !strings.HasPrefix(ctrlRow, "Device.LocalAgent.Controller.") {
		return nil, fmt.Errorf("Controller %q is not a Controller row", ctrlRow)
	}
	res, err := n.model.Get(ctx, p, 0, nil)
	if err != nil || len(res) != 1 || len(res[0].Params) != 1 {
		return nil, fmt.Errorf("Controller %s no longer exists", ctrlRow)
	}
	return n.access.For(ctx, res[0].Params[0].Value), nil
}

// bulkPublisher publishes MQTT reports through the node's MQTT client.
type bulkPublisher struct{ n *Node }

// Publish implements bulkdata.Publisher. The client's QoS applies.
func (b bulkPublisher) Publish(ctx context.Context, clientRow, topic string, _ int, body []byte) error {
	q := b.n.mqttNow()
	if q == nil {
		return errors.New("this node has no MQTT client")
	}
	if own := strings.TrimSuffix(q.clientRow, "."); clientRow != own {
		return fmt.Errorf("MQTT.Reference %s is not this node's MQTT client (%s)", clientRow, own)
	}
	return q.client.Publish(ctx, topic, body, "")
}
