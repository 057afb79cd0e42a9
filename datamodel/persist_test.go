package datamodel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPersistRoundTrip(t *testing.T) {
	ctx := context.Background()
	store := FileStore{Path: filepath.Join(t.TempDir(), "dm.json")}
	m, _ := newTestModel(t, Config{Store: store})
	tx := m.Begin(ctx)
	root := objects(t, tx, "Device.")[0]
	if _, err := tx.Update(root, []ParamUpdate{{Param: "Name", Value: "kitchen"}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	subs := tables(t, tx, "Device.Sub.")[0]
	for range 3 {
		if _, err := tx.Add(subs, []ParamUpdate{{Param: "Enable", Value: "true"}}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tx.Delete(objects(t, tx, "Device.Sub.3.")[0], WriteOptions{})
	tx.Update(objects(t, tx, "Device.Sub.1.")[0], []ParamUpdate{{Param: "Hits", Value: "9"}}, WriteOptions{Internal: true})
	tx.Update(objects(t, tx, "Device.WiFi.SSID.2.")[0], []ParamUpdate{{Param: "SSID", Value: "Garden"}}, WriteOptions{})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// A fresh model on the same store: the same rows, numbers and values.
	e2 := newTestSchema()
	m2, err := NewModel(ctx, e2.s, Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if v := get1(t, m2, "Device.Name"); v != "kitchen" {
		t.Fatalf("Name %q", v)
	}
	if v := get1(t, m2, "Device.WiFi.SSID.2.SSID"); v != "Garden" {
		t.Fatalf("SSID %q", v)
	}
	res, err := m2.Get(ctx, mustParse(t, "Device.Sub.*.ID"), 0, nil)
	if err != nil || len(res) != 2 || res[0].Path != "Device.Sub.1." || res[1].Path != "Device.Sub.2." || res[1].Params[0].Value != "auto-2" {
		t.Fatalf("Sub rows %+v %v", res, err)
	}
	// Agent-kept values in persistent rows are not saved.
	if v := get1(t, m2, "Device.Sub.1.Hits"); v != "0" {
		t.Fatalf("read-only row value restored: %s", v)
	}
	if v := get1(t, m2, "Device.Sub.1.Enable"); v != "true" {
		t.Fatalf("written row value lost: %s", v)
	}
	// Not persistent: radios and ports are the Agent's to recreate.
	if v := get1(t, m2, "Device.WiFi.RadioNumberOfEntries"); v != "0" {
		t.Fatalf("radios restored: %s", v)
	}
	// Numbers continue after the deleted row 3.
	tx = m2.Begin(ctx)
	r, err := tx.Add(tables(t, tx, "Device.Sub.")[0], nil, WriteOptions{})
	tx.Commit()
	if err != nil || r.Path != "Device.Sub.4." {
		t.Fatalf("next instance after restore: %v %v", r, err)
	}
}

func TestPersistCorruptFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := map[string]string{
		"garbage":      "{not json",
		"wrong format": `{"format":"other","version":1}`,
		"repeated row": `{"format":"uspmesh-datamodel","version":1,"tables":{"Device.Sub.":{"next":3,"rows":[1,1]}}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
			os.WriteFile(p, []byte(doc), 0o600)
			_, err := NewModel(ctx, newTestSchema().s, Config{Store: FileStore{Path: p}})
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("corrupt state not reported with its file name: %v", err)
			}
			if b, _ := os.ReadFile(p); string(b) != doc {
				t.Fatal("corrupt file was modified")
			}
		})
	}
	// Unknown tables and values a newer schema dropped are skipped.
	p := filepath.Join(dir, "old.json")
	os.WriteFile(p, []byte(`{"format":"uspmesh-datamodel","version":1,"tables":{"Device.Gone.":{"next":2,"rows":[1]},"Device.Sub.":{"next":8,"rows":[7]}},"params":{"Device.Gone.1.X":"1","Device.Sub.7.TTL":"notanumber","Device.Sub.7.Enable":"1"}}`), 0o600)
	m, err := NewModel(ctx, newTestSchema().s, Config{Store: FileStore{Path: p}})
	if err != nil {
		t.Fatal(err)
	}
	if v := get1(t, m, "Device.Sub.7.Enable"); v != "true" {
		t.Fatalf("restored value %q", v)
	}
	if v := get1(t, m, "Device.Sub.7.TTL"); v != "0" {
		t.Fatalf("invalid value restored: %q", v)
	}
}

type failingStore struct {
	FileStore
	fail bool
}

func (f *failingStore) Save(ctx context.Context, doc []byte) error {
	if f.fail {
		return errors.New("disk full")
	}
	return f.FileStore.Save(ctx, doc)
}

func TestPersistFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	store := &failingStore{FileStore: FileStore{Path: filepath.Join(t.TempDir(), "x")}}
	m, _ := newTestModel(t, Config{Store: store})
	store.fail = true
	var evs int
	m.Listen(func(Event) { evs++ })
	tx := m.Begin(ctx)
	tx.Update(objects(t, tx, "Device.")[0], []ParamUpdate{{Param: "Name", Value: "x"}}, WriteOptions{})
	if err := tx.Commit(); codeOf(err) != CodeInternal {
		t.Fatalf("commit with failing store: %v", err)
	}
	if v := get1(t, m, "Device.Name"); v != "" || evs != 0 {
		t.Fatalf("unsaved write kept: %q, %d events", v, evs)
	}
	// Non-persistent writes do not touch the store.
	tx = m.Begin(ctx)
	tx.Update(objects(t, tx, "Device.WiFi.Radio.1.")[0], []ParamUpdate{{Param: "Enable", Value: "true"}}, WriteOptions{})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashDuringWrite kills a process that keeps committing persistent
// writes, at a random moment, and checks that the state file then holds a
// whole, recent document.
func TestCrashDuringWrite(t *testing.T) {
	if os.Getenv("DM_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	for round := range 3 {
		file := filepath.Join(dir, fmt.Sprintf("dm%d.json", round))
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringWrite$")
		cmd.Env = append(os.Environ(), "DM_CRASH_CHILD="+file)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := -1
		deadline := time.Now().Add(20 * time.Second)
		for sc.Scan() && time.Now().Before(deadline) {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				continue
			}
			last = n
			if last >= 20+round*37 {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if last < 0 {
			t.Fatal("child committed nothing")
		}
		m, err := NewModel(context.Background(), newTestSchema().s, Config{Store: FileStore{Path: file}})
		if err != nil {
			t.Fatalf("round %d: state unreadable after crash: %v", round, err)
		}
		v := get1(t, m, "Device.Name")
		n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
		if err != nil || n < last {
			t.Fatalf("round %d: after crash Name=%q, last committed v%d", round, v, last)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".dm*.tmp-*"))
		t.Logf("round %d: killed after commit %d, state has %s, %d temp files left", round, last, v, len(leftovers))
	}
}

func crashChild() {
	ctx := context.Background()
	e := newTestSchema()
	m, err := NewModel(ctx, e.s, Config{Store: FileStore{Path: os.Getenv("DM_CRASH_CHILD")}})
	if err != nil {
		os.Exit(3)
	}
	for i := 0; ; i++ {
		tx := m.Begin(ctx)
		os, _ := tx.Objects(mustParseNoT("Device."))
		tx.Update(os[0], []ParamUpdate{{Param: "Name", Value: "v" + strconv.Itoa(i)}}, WriteOptions{})
		if err := tx.Commit(); err != nil {
			panic(err)
		}
		fmt.Println(i)
	}
}

// TestUnchangedStateNotWritten: a commit whose persisted document is the
// one already in the store writes nothing (a value set and set back, or
// a restart that provisions what is there), so a read-only store does
// not fail it and flash is not worn; a real change still fails on it.
func TestUnchangedStateNotWritten(t *testing.T) {
	ctx := context.Background()
	store := &failingStore{FileStore: FileStore{Path: filepath.Join(t.TempDir(), "x")}}
	m, _ := newTestModel(t, Config{Store: store})
	// set writes the values in turn in one transaction.
	set := func(m *Model, vs ...string) error {
		tx := m.Begin(ctx)
		defer tx.Rollback()
		for _, v := range vs {
			if _, err := tx.Update(objects(t, tx, "Device.")[0], []ParamUpdate{{Param: "Name", Value: v}}, WriteOptions{}); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
	if err := set(m, "kitchen"); err != nil {
		t.Fatal(err)
	}
	store.fail = true
	if err := set(m, "garage"); codeOf(err) != CodeInternal {
		t.Fatalf("a change with a failing store: %v", err)
	}
	if err := set(m, "garage", "kitchen"); err != nil {
		t.Fatalf("a change undone in the same transaction wrote: %v", err)
	}
	// A restarted model on the read-only store: the same again.
	m2, err := NewModel(ctx, newTestSchema().s, Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := set(m2, "attic", "kitchen"); err != nil {
		t.Fatalf("after a restart, a change undone in the same transaction wrote: %v", err)
	}
	if err := set(m2, "attic"); codeOf(err) != CodeInternal {
		t.Fatalf("a change after the restart with a failing store: %v", err)
	}
}
