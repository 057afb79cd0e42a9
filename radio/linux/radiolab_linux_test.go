package linux

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// labSubtests are the guest's tests that must pass for the lab to pass.
var labSubtests = []string{
	"TestLab/Contract/Info", "TestLab/Contract/State", "TestLab/Contract/Survey",
	"TestLab/Contract/Scan", "TestLab/Contract/Switch", "TestLab/Contract/InvalidSwitch",
	"TestLab/Contract/TxPower", "TestLab/Contract/Station", "TestLab/Contract/EventsClose",
	"TestLab/HostapdStatus", "TestLab/PeerCaps5GHz", "TestLab/SurveyNoise",
	"TestLab/SurveyCounters", "TestLab/BSSLoad",
	"TestLab/SwitchRefusals", "TestLab/LinkStats",
	"TestLab/Steering/Refusals", "TestLab/Steering/Caps", "TestLab/Steering/Reject", "TestLab/Steering/Roam", "TestLab/Steering/Deny", "TestLab/Steering/BeaconReport", "TestLab/Steering", "TestLab",
}

// TestRadioLab boots the radio lab (scripts/radiolab.sh: a Debian kernel
// with mac80211_hwsim, hostapd and wpa_supplicant under qemu) and checks
// that every lab test passed inside it. It needs root (apt-get download
// and the package cache) and skips without it, unless
// USPMESH_REQUIRE_ROOT_TESTS=1, which turns every missing prerequisite
// into a failure.
func TestRadioLab(t *testing.T) {
	if os.Getenv("USPMESH_RADIOLAB") == "1" {
		t.Skip("inside the lab guest")
	}
	require := os.Getenv("USPMESH_REQUIRE_ROOT_TESTS") == "1"
	missing := func(format string, args ...any) {
		t.Helper()
		if require {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if !require && testing.Short() {
		t.Skip("the radio lab takes a minute or more; skipped in -short")
	}
	if os.Geteuid() != 0 {
		missing("the radio lab needs root")
	}
	for _, tool := range []string{"qemu-system-x86_64", "cpio", "gzip", "apt-get", "dpkg-deb", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing("the radio lab needs %s (apt-get install qemu-system-x86 cpio)", tool)
		}
	}
	script, err := filepath.Abs("../../scripts/radiolab.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 9*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "RADIOLAB_TIMEOUT=480")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole group (script, qemu, tail) when the test gives up.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	passed, failed, rc := scanLabOutput(t, out)
	werr := cmd.Wait()
	t.Logf("radio lab finished in %v (script: %v)", time.Since(start).Round(time.Second), werr)
	for _, name := range failed {
		t.Errorf("lab: --- FAIL: %s", name)
	}
	for _, name := range labSubtests {
		if !passed[name] {
			t.Errorf("lab: no PASS line for %s", name)
		}
	}
	if rc != "0" {
		t.Errorf("lab: sentinel RADIOLAB-DONE rc=%q, want rc=0", rc)
	}
}

var (
	labResult   = regexp.MustCompile(`--- (PASS|FAIL): (\S+)`)
	labSentinel = regexp.MustCompile(`RADIOLAB-DONE rc=(\d+)`)
)

// scanLabOutput streams the lab's console to the test log and collects
// the guest's test results and the sentinel's exit code.
func scanLabOutput(t *testing.T, r interface{ Read([]byte) (int, error) }) (passed map[string]bool, failed []string, rc string) {
	passed = map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		t.Log(line)
		if m := labResult.FindStringSubmatch(line); m != nil {
			if m[1] == "PASS" {
				passed[m[2]] = true
			} else {
				failed = append(failed, m[2])
			}
		}
		if m := labSentinel.FindStringSubmatch(line); m != nil {
			rc = m[1]
		}
	}
	return passed, failed, rc
}
