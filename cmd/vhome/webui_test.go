//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/uspmesh/uspmesh/proto/uspmsg"
)

// The status page (package webui) end to end: every node serves it on its
// WebSocket server (-ui, plain ws for the lab) and trusts the page's
// Controller; Debian's chromium runs headless in the harness Controller's
// namespace (a phone on the home's LAN), driven by chromedp over a pipe
// (no debugging port), and opens the page of node 0.

// uiControllerID is the page's Controller, read-only on every node.
const uiControllerID = "proto::ui"

// pageState is what the page shows, read by pageStateJS.
type pageState struct {
	Nodes, Live, Radios, Links, Runs int
	Channels                         map[string]string // data-radio → channel cell
	Error                            string
}

const pageStateJS = `JSON.stringify((() => {
	const q = (s) => [...document.querySelectorAll(s)];
	const ch = {};
	for (const tr of q("#app tr.radio")) ch[tr.dataset.radio] = tr.querySelector("td.channel").textContent;
	const err = document.querySelector("#app .err");
	return {Nodes: q("#app tr.node").length, Live: q("#app tr.node td.session.up").length, Radios: q("#app tr.radio").length,
		Links: q("#app td.link:not(.none)").length, Runs: q("svg.chart polyline.score").map((p) => p.getAttribute("points").split(" ").filter(Boolean).length).concat(0)[0], Channels: ch, Error: err ? err.textContent : ""};
})())`

func TestWebUI(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("USPMESH_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatalf("no chromium (scripts/deps.sh installs it): %v", err)
		}
		t.Skip("no chromium (scripts/deps.sh installs it):", err)
	}
	h := startHome(t, HomeConfig{Nodes: 5, Profile: "fast", SimHome: filepath.Join("..", "..", "homes", "house.json"),
		NodeArgs: func(Node) []string {
			return []string{"-ws-listen", fmt.Sprintf(":%d", wsPort), "-ws-insecure", "-ui", "-controller", uiControllerID + "=read"}
		}})
	n0, _ := h.Node(0)
	page := fmt.Sprintf("http://%s:%d/ui/?eid=%s", n0.Addr, wsPort, uiControllerID)
	ctx := startBrowser(t, h.net.ctlNS(), chromium)

	t0 := time.Now()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1500, 1100), chromedp.Navigate(page)); err != nil {
		t.Fatalf("open %s: %v", page, err)
	}
	read := func() (pageState, error) {
		var st pageState
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s, err := chromedp.Run(rctx, chromedp.Evaluate[string](pageStateJS))
		if err == nil {
			err = json.Unmarshal([]byte(s), &st)
		}
		return st, err
	}
	var st pageState
	if err := waitFor(90*time.Second, func() error {
		if st, err = read(); err != nil {
			return err
		}
		if st.Error != "" || st.Nodes != 5 || st.Live != 5 || st.Radios != 10 {
			return fmt.Errorf("the page shows %+v", st)
		}
		return nil
	}); err != nil {
		t.Fatalf("%s: not all 5 nodes live: %v", page, err)
	}
	t.Logf("the page shows all 5 nodes, live, and their 10 radios %v after opening %s", time.Since(t0).Round(time.Millisecond), page)

	// The owner pins node 3's 2.4 GHz radio to another channel through USP;
	// the page (its session with node 3) must show it within 5 s.
	n3, _ := h.Node(3)
	key := string(n3.AgentID) + "/radio0"
	before, ok := st.Channels[key]
	if !ok {
		t.Fatalf("the page has no radio %s: %v", key, st.Channels)
	}
	want := "1"
	if before == want {
		want = "6"
	}
	c, err := h.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	set := &uspmsg.Set_UpdateObject{ObjPath: `Device.WiFi.Radio.[Name=="radio0"].`, ParamSettings: []*uspmsg.Set_UpdateParamSetting{
		{Param: "AutoChannelEnable", Value: "false", Required: true}, {Param: "Channel", Value: want, Required: true}}}
	// A switch of the leader's plan under way on that radio refuses the
	// Set (7020) until it completes.
	if err := waitFor(30*time.Second, func() error {
		_, err := c.Set(t.Context(), n3.AgentID, false, set)
		return err
	}); err != nil {
		t.Fatalf("set %s to channel %s: %v", key, want, err)
	}
	changed := time.Now()
	err = waitFor(5*time.Second, func() error {
		if st, err = read(); err != nil {
			return err
		}
		if got := st.Channels[key]; got != want {
			return fmt.Errorf("the page shows channel %q for %s", got, key)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("channel %s → %s not shown within 5 s: %v", before, want, err)
	}
	t.Logf("the page showed %s moving from channel %s to %s %v after the Set", key, before, want, time.Since(changed).Round(time.Millisecond))

	// For the screenshot, give the score chart a few of the leader's plan
	// runs and the neighbour scans a moment (not a condition of the test).
	if err := waitFor(30*time.Second, func() error {
		if st, err = read(); err == nil && (st.Runs < 4 || st.Links == 0) {
			err = fmt.Errorf("plan runs charted %d, links %d", st.Runs, st.Links)
		}
		return err
	}); err != nil {
		t.Logf("screenshot without everything: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), "webui.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes; kept with go test -artifacts)", path, len(shot))
	if dst := os.Getenv("USPMESH_UI_SCREENSHOT"); dst != "" {
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot copied to %s", dst)
	}
}

// startBrowser starts headless chromium inside namespace ns, so that the
// page reaches exactly what a device on the home's LAN reaches; chromedp
// talks to it over its pipe (fds 3 and 4, which ip netns exec passes on).
// The browser ends with the test.
func startBrowser(t *testing.T, ns, chromium string) context.Context {
	t.Helper()
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "chromium-in-"+ns)
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", ns, chromium)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(wrapper), chromedp.Flag("headless", "new"),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(filepath.Join(dir, "profile")))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium in %s: %v", ns, err)
	}
	return ctx
}
