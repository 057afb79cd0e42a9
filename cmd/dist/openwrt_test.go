package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uspmesh/uspmesh/node"
)

// TestShellcheck lints every maintainer and init script.
func TestShellcheck(t *testing.T) {
	needTools(t, "shellcheck")
	scripts := []string{
		"packaging/openwrt/uspmesh.init", "packaging/openwrt/postinst", "packaging/openwrt/prerm",
		"packaging/debian/postinst", "packaging/debian/prerm", "packaging/debian/postrm",
		"cmd/dist/testdata/openwrt-stubs.sh",
	}
	for _, s := range scripts {
		out, err := exec.Command("shellcheck", filepath.Join(root, s)).CombinedOutput()
		if err != nil {
			t.Errorf("shellcheck %s: %v\n%s", s, err, out)
		}
	}
}

// TestOpenWrtInitConventions checks the procd conventions the init script
// must follow; TestOpenWrtInitWritesConfig runs it.
func TestOpenWrtInitConventions(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "packaging/openwrt/uspmesh.init"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "#!/bin/sh /etc/rc.common\n") {
		t.Errorf("first line is not #!/bin/sh /etc/rc.common")
	}
	for _, re := range []string{
		`(?m)^USE_PROCD=1$`, `(?m)^START=[0-9]{2}$`, `(?m)^STOP=[0-9]{2}$`,
		`(?m)^start_service\(\) \{$`, `(?m)^service_triggers\(\) \{$`, `(?m)^reload_service\(\) \{$`,
		`procd_open_instance`, `procd_close_instance`, `procd_add_reload_trigger uspmesh`,
		`procd_set_param respawn`, `procd_set_param stdout 1`, `procd_set_param stderr 1`,
		`procd_set_param reload_signal HUP`, `config_load uspmesh`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("init script lacks %s", re)
		}
	}
	if regexp.MustCompile(`(?m)^\s*(start|stop|restart)\(\)`).MatchString(s) {
		t.Errorf("a procd script defines start_service, not start/stop/restart")
	}
	uci, err := os.ReadFile(filepath.Join(root, "packaging/openwrt/uspmesh.config"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*option state_dir '([^']*)'`).FindSubmatch(uci)
	if m == nil || !strings.HasPrefix(string(m[1]), "/etc/") {
		t.Errorf("UCI state_dir %q: want a directory on flash under /etc (/tmp and /var are tmpfs)", m)
	}
}

// initRun runs the init script's functions under busybox ash with
// testdata/openwrt-stubs.sh standing in for rc.common: UCI from uci (the
// text of /etc/config/uspmesh), every procd call in the returned log.
func initRun(t *testing.T, dir, uci string, calls ...string) (procd []string, out string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config/uspmesh"), []byte(uci), 0o600); err != nil {
		t.Fatal(err)
	}
	stubs, _ := filepath.Abs("testdata/openwrt-stubs.sh")
	init, _ := filepath.Abs(filepath.Join(root, "packaging/openwrt/uspmesh.init"))
	log := filepath.Join(dir, "procd.log")
	os.Remove(log)
	script := `. "$STUBS"; . "$INIT"; CONF_DIR="$DIR/var/etc/uspmesh"; CONF="$CONF_DIR/meshd.json"; ` + strings.Join(calls, "; ")
	cmd := exec.Command("busybox", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "STUBS="+stubs, "INIT="+init, "DIR="+dir, "UCI_DIR="+filepath.Join(dir, "config"), "PROCD_LOG="+log)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	l, _ := os.ReadFile(log)
	if s := strings.TrimSpace(string(l)); s != "" {
		procd = strings.Split(s, "\n")
	}
	return procd, string(b)
}

// TestOpenWrtInitWritesConfig runs the init script on the shipped UCI
// configuration and on one that sets every mapped option: the JSON it
// writes must load as meshd's configuration (unknown keys are errors)
// and validate, and procd gets the instance the conventions want.
func TestOpenWrtInitWritesConfig(t *testing.T) {
	needTools(t, "busybox")
	dir := t.TempDir()
	shipped, err := os.ReadFile(filepath.Join(root, "packaging/openwrt/uspmesh.config"))
	if err != nil {
		t.Fatal(err)
	}
	// The shipped paths, moved under dir.
	uci := strings.ReplaceAll(string(shipped), "'/etc/uspmesh/", "'"+dir+"/etc/uspmesh/")
	conf := dir + "/var/etc/uspmesh/meshd.json"

	t.Run("NoSecret", func(t *testing.T) {
		procd, _ := initRun(t, dir, uci, "start_service || echo refused")
		if len(procd) != 1 || !strings.HasPrefix(procd[0], "logger -t uspmesh") {
			t.Fatalf("without a mesh secret: procd calls %q, want only a logger line", procd)
		}
	})

	if err := os.MkdirAll(dir+"/etc/uspmesh", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/etc/uspmesh/mesh.secret", []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("Shipped", func(t *testing.T) {
		procd, _ := initRun(t, dir, uci, "start_service", "service_triggers")
		want := []string{
			"open_instance meshd",
			"set_param command /usr/sbin/meshd -config " + conf,
			"set_param file " + conf,
			"set_param reload_signal HUP",
			"set_param respawn 3600 5 5",
			"set_param stdout 1",
			"set_param stderr 1",
			"close_instance",
			"reload_trigger uspmesh",
		}
		if !reflect.DeepEqual(procd, want) {
			t.Errorf("procd calls:\n%s\nwant:\n%s", strings.Join(procd, "\n"), strings.Join(want, "\n"))
		}
		got := loadJSON(t, conf)
		wantJSON := map[string]any{
			"state_dir": dir + "/etc/uspmesh/state", "mesh_secret_file": dir + "/etc/uspmesh/mesh.secret",
			"radio": "linux", "log_level": "info", "interfaces": []any{"br-lan"}, "controllers": []any{},
		}
		if !reflect.DeepEqual(got, wantJSON) {
			t.Errorf("meshd.json %v, want %v", got, wantJSON)
		}
		checkConfig(t, conf)
		if st, err := os.Stat(dir + "/etc/uspmesh/state"); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("state dir: %v %v", st, err)
		}
		if st, err := os.Stat(conf); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("meshd.json mode: %v %v", st, err)
		}
	})

	t.Run("EveryOption", func(t *testing.T) {
		full := `
config meshd 'main'
	option state_dir '` + dir + `/etc/uspmesh/state'
	option mesh_secret_file '` + dir + `/etc/uspmesh/mesh.secret'
	option radio 'none'
	option friendly_name 'Living "room"'
	option priority '-1'
	option insecure '0'
	option oui 'a1b2c3'
	option listen ':5684'
	option gossip_port '7947'
	option profile 'fast'
	option lost_node_expiry '1h'
	option history_period '30s'
	option history_flash_every '5m'
	option bulkdata_min_interval '10s'
	option no_steering '1'
	option apps_runtime 'process'
	option apps_memory_mb '32'
	option apps_cpu_milli '250'
	option apps_pids '16'
	list interface 'br-lan'
	list interface 'br-guest'
	list seed '192.168.1.2:7946'
	list radio_interface 'phy0-ap0'
	option log_level 'debug'

config controller
	option endpoint_id 'proto::ops'
	option role 'full'
	option mqtt_topic 'usp/controller/ops'

config controller
	option endpoint_id 'proto::app'
	option role 'read'
	option mtp 'coap://192.168.1.10:5683/usp'

config mqtt 'mqtt'
	option broker 'mqtt://broker.example.net:1883'
	option username 'ap-0042'

config websocket 'websocket'
	option listen ':5685'
	option cert_file '/etc/uspmesh/ws.pem'
	option key_file '/etc/uspmesh/ws.key'
	option client_ca_file '/etc/uspmesh/ca.pem'
`
		initRun(t, dir, full, "start_service")
		cfg := checkConfig(t, conf)
		if cfg.FriendlyName != `Living "room"` || cfg.Priority != -1 || cfg.GossipPort != 7947 ||
			cfg.Profile != "fast" || cfg.LogLevel != "debug" || cfg.OUI != "a1b2c3" ||
			!reflect.DeepEqual(cfg.Interfaces, []string{"br-lan", "br-guest"}) ||
			!reflect.DeepEqual(cfg.Seeds, []string{"192.168.1.2:7946"}) ||
			!reflect.DeepEqual(cfg.RadioInterfaces, []string{"phy0-ap0"}) ||
			time.Duration(cfg.HistoryPeriod) != 30*time.Second || time.Duration(cfg.HistoryFlashEvery) != 5*time.Minute ||
			time.Duration(cfg.BulkDataMinInterval) != 10*time.Second || !cfg.NoSteering ||
			cfg.AppsRuntime != "process" || cfg.AppsMemoryMB != 32 || cfg.AppsCPUMilli != 250 || cfg.AppsPids != 16 {
			t.Errorf("main options: %+v", cfg)
		}
		wantCtl := []node.ControllerConfig{
			{EndpointID: "proto::ops", Role: "full", MQTTTopic: "usp/controller/ops"},
			{EndpointID: "proto::app", Role: "read", MTP: "coap://192.168.1.10:5683/usp"},
		}
		if !reflect.DeepEqual(cfg.Controllers, wantCtl) {
			t.Errorf("controllers %+v, want %+v", cfg.Controllers, wantCtl)
		}
		if cfg.MQTT == nil || cfg.MQTT.Broker != "mqtt://broker.example.net:1883" || cfg.MQTT.Username != "ap-0042" {
			t.Errorf("mqtt %+v", cfg.MQTT)
		}
		if cfg.WebSocket == nil || cfg.WebSocket.Listen != ":5685" || cfg.WebSocket.ClientCAFile != "/etc/uspmesh/ca.pem" {
			t.Errorf("websocket %+v", cfg.WebSocket)
		}
	})

	t.Run("Reload", func(t *testing.T) {
		initRun(t, dir, uci, "start_service")
		before, _ := os.ReadFile(conf)
		changed := strings.Replace(uci, "option log_level 'info'", "option log_level 'warn'", 1)
		procd, _ := initRun(t, dir, changed, "reload_service")
		after, _ := os.ReadFile(conf)
		if bytes.Equal(before, after) || !strings.Contains(string(after), `"log_level":"warn"`) {
			t.Errorf("reload did not rewrite the configuration: %s", after)
		}
		// procd compares the file's checksum and sends reload_signal.
		if len(procd) == 0 || procd[0] != "open_instance meshd" {
			t.Errorf("reload procd calls %q", procd)
		}
	})
}

func loadJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, b)
	}
	return m
}

// checkConfig loads name as meshd does and validates it.
func checkConfig(t *testing.T, name string) node.Config {
	t.Helper()
	var cfg node.Config
	if err := node.LoadFile(name, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestIPKLayout checks the OpenWrt packages: opkg's outer tar.gz of
// debian-binary, control.tar.gz and data.tar.gz, the control fields, the
// conffiles and every file with its mode.
func TestIPKLayout(t *testing.T) {
	tg, _ := targetByName("mipsle")
	paths, err := IPKPackages(root, fakeBinaries(t), t.TempDir(), tg, Meta{Version: "1.2.3", Maintainer: "t <t@example.net>"})
	if err != nil {
		t.Fatal(err)
	}
	if base := filepath.Base(paths[0]); base != "uspmesh_1.2.3_mipsel_24kc.ipk" {
		t.Errorf("file name %s", base)
	}
	outer := readTarGz(t, paths[0])
	if got := outer.names; !reflect.DeepEqual(got, []string{"./debian-binary", "./control.tar.gz", "./data.tar.gz"}) {
		t.Errorf("ipk members %q", got)
	}
	if string(outer.data["./debian-binary"]) != "2.0\n" {
		t.Errorf("debian-binary %q", outer.data["./debian-binary"])
	}
	control := readTarGzBytes(t, outer.data["./control.tar.gz"])
	ctl := string(control.data["./control"])
	for _, f := range []string{"Package: uspmesh\n", "Version: 1.2.3\n", "Architecture: mipsel_24kc\n", "License: Apache-2.0\n"} {
		if !strings.Contains(ctl, f) {
			t.Errorf("control lacks %q:\n%s", f, ctl)
		}
	}
	if got := string(control.data["./conffiles"]); got != "/etc/config/uspmesh\n" {
		t.Errorf("conffiles %q", got)
	}
	for _, s := range []string{"./postinst", "./prerm"} {
		if control.modes[s] != 0o755 || !strings.Contains(string(control.data[s]), "default_") {
			t.Errorf("%s: mode %o\n%s", s, control.modes[s], control.data[s])
		}
	}
	data := readTarGzBytes(t, outer.data["./data.tar.gz"])
	want := map[string]int64{
		"./usr/sbin/meshd": 0o755, "./etc/init.d/uspmesh": 0o755,
		"./etc/config/uspmesh": 0o600, "./lib/upgrade/keep.d/uspmesh": 0o644,
	}
	got := map[string]int64{}
	for name, mode := range data.modes {
		if !strings.HasSuffix(name, "/") {
			got[name] = mode
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("data files %v, want %v (modes in decimal)", got, want)
	}
	ctlData := readTarGzBytes(t, readTarGz(t, paths[1]).data["./data.tar.gz"])
	if _, ok := ctlData.modes["./usr/bin/meshctl"]; !ok || filepath.Base(paths[1]) != "uspmesh-meshctl_1.2.3_mipsel_24kc.ipk" {
		t.Errorf("meshctl package %s: %v", paths[1], ctlData.names)
	}
}

type tarContents struct {
	names []string
	data  map[string][]byte
	modes map[string]int64
}

func readTarGz(t *testing.T, name string) tarContents {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return readTarGzBytes(t, b)
}

func readTarGzBytes(t *testing.T, b []byte) tarContents {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tc := tarContents{data: map[string][]byte{}, modes: map[string]int64{}}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return tc
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		tc.names = append(tc.names, h.Name)
		tc.data[h.Name] = body
		tc.modes[h.Name] = h.Mode
	}
}
