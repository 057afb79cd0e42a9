//go:build linux

package discovery

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"
)

// helperEnv carries a helperSpec (JSON) to a helper process.
const helperEnv = "USPMESH_DISCOVERY_HELPER"

// helperSpec says what a helper process runs.
type helperSpec struct {
	Advertise  *advertiseSpec
	Browse     *browseSpec
	CheckLeaks bool // after closing, report whether goroutines went back to the baseline
}

type advertiseSpec struct {
	Services   []Service
	Interfaces []string
	Recheck    time.Duration
}

type browseSpec struct {
	Cluster     string
	AnyCluster  bool
	Self        []string
	Interfaces  []string
	Interval    time.Duration
	MaxInterval time.Duration
}

// TestHelperProcess is not a test: the namespace tests run this binary in
// a namespace with helperEnv set, and this function then advertises
// and/or browses as told, prints "READY", one "PEER <json>" line per
// reported peer, calls Browser.Refresh for each "refresh" line on its
// stdin, and prints "CLOSED" after its stdin is closed; logs go to stderr
// as JSON.
func TestHelperProcess(t *testing.T) {
	js := os.Getenv(helperEnv)
	if js == "" {
		t.Skip("runs only as a helper process of the namespace tests")
	}
	var spec helperSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		t.Fatalf("helper spec: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseline := runtime.NumGoroutine()

	var br *Browser
	printed := make(chan struct{})
	if s := spec.Browse; s != nil {
		var err error
		br, err = Browse(ctx, BrowseConfig{Cluster: s.Cluster, AnyCluster: s.AnyCluster, Self: s.Self,
			Interfaces: s.Interfaces, Interval: s.Interval, MaxInterval: s.MaxInterval, Logger: log})
		if err != nil {
			t.Fatalf("browse: %v", err)
		}
		go func() {
			defer close(printed)
			for p := range br.Peers() {
				b, _ := json.Marshal(p)
				fmt.Printf("PEER %s\n", b)
			}
		}()
	} else {
		close(printed)
	}
	var adv *Advertiser
	if s := spec.Advertise; s != nil {
		var err error
		adv, err = Advertise(ctx, AdvertiseConfig{Services: s.Services, Interfaces: s.Interfaces,
			Recheck: s.Recheck, Logger: log})
		if err != nil {
			t.Fatalf("advertise: %v", err)
		}
	}
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin) // until the test closes stdin or goes away
	for in.Scan() {
		if in.Text() == "refresh" && br != nil {
			br.Refresh()
		}
	}
	if adv != nil {
		adv.Close()
	}
	if br != nil {
		br.Close()
	}
	<-printed
	fmt.Println("CLOSED")
	if spec.CheckLeaks {
		// zeroconf's probe goroutine outlives Shutdown by up to ~3.3 s.
		deadline := time.Now().Add(10 * time.Second)
		n := runtime.NumGoroutine()
		for n > baseline && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		fmt.Printf("GOROUTINES %d %d\n", baseline, n)
	}
}
