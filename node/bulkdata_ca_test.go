package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/mqtt/mqtttest"
)

// TestBulkDataCAFile: a node in PSK mode (no ca_file) trusts an HTTPS
// collector whose certificate chains to its bulkdata_ca_file; without
// it the collector is refused as unknown and the status says so; a file
// without certificates is a configuration error.
func TestBulkDataCAFile(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile, err := mqtttest.NewCA(dir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	col := newHTTPSCollector(t, certFile, keyFile)
	for _, trusted := range []bool{true, false} {
		cfg := baseConfig(t)
		if trusted {
			cfg.BulkDataCAFile = caFile
		}
		n := startNode(t, cfg, Deps{})
		c := dialNode(t, n, testCtl, testPSK)
		row := addProfile(t, c, map[string]string{"ReportingInterval": "86400", "HTTP.URL": col.srv.URL + "/ca"}, "Device.DeviceInfo.SerialNumber")
		waitFor(t, 10*time.Second, "the profile enabled", func() bool { return get(t, n, row+"X_USPMESH_Status") == "Enabled" })
		force(t, c, row)
		if trusted {
			if r := col.take(t, 1)["/ca"]; !strings.Contains(string(r.body), n.cfg.SerialNumber) {
				t.Fatalf("report %s", r.body)
			}
			waitFor(t, 10*time.Second, "delivered", func() bool { return strings.Contains(get(t, n, row+"X_USPMESH_StatusMessage"), "delivered") })
			continue
		}
		waitFor(t, 10*time.Second, "the untrusted collector refused", func() bool {
			m := get(t, n, row+"X_USPMESH_StatusMessage")
			return strings.Contains(m, "not delivered") && strings.Contains(m, "certificate")
		})
	}
	bad := baseConfig(t)
	bad.BulkDataCAFile = filepath.Join(dir, "not-a-ca.pem")
	if err := os.WriteFile(bad.BulkDataCAFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), bad, Deps{Logger: testLogger(t)})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "bulkdata_ca_file" {
		t.Fatalf("New with a bulkdata_ca_file without certificates: %v", err)
	}
}
