package datamodel

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

func get1(t *testing.T, m *Model, p string) string {
	t.Helper()
	res, err := m.Get(context.Background(), mustParse(t, p), 0, nil)
	if err != nil || len(res) != 1 || len(res[0].Params) != 1 {
		t.Fatalf("Get %s: %v %v", p, res, err)
	}
	return res[0].Params[0].Value
}

func TestUpdateValidation(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	cases := []struct {
		name  string
		param string
		value string
		code  uint32
	}{
		{"type", "Channel", "abc", CodeInvalidType},
		{"range", "Channel", "300", CodeInvalidValue},
		{"enum", "Bandwidth", "33MHz", CodeInvalidValue},
		{"list item enum", "Standards", "n,zz", CodeInvalidValue},
		{"read-only", "Band", "5GHz", CodeNotWritable},
		{"derived", "Stats.Noise", "1", CodeNotWritable},
		{"unknown", "Nope", "1", CodeUnsupportedParam},
		{"bad alias", "Alias", "88InvalidAlias", CodeInvalidValue},
		{"bool", "Enable", "maybe", CodeInvalidType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := m.Begin(ctx)
			defer tx.Rollback()
			o := objects(t, tx, "Device.WiFi.Radio.1.")
			_, err := tx.Update(o[0], []ParamUpdate{{Param: c.param, Value: c.value, Required: true}}, WriteOptions{})
			var we *WriteError
			if !errors.As(err, &we) || len(we.ParamErrs) != 1 || we.ParamErrs[0].Code != c.code || we.ParamErrs[0].Param != c.param {
				t.Fatalf("got %v, want param error %d on %s", err, c.code, c.param)
			}
			// Not required: the object succeeds and reports the parameter.
			res, err := tx.Update(o[0], []ParamUpdate{{Param: c.param, Value: c.value}, {Param: "Enable", Value: "1"}}, WriteOptions{})
			if c.param == "Enable" {
				if err != nil || len(res.ParamErrs) != 1 {
					t.Fatalf("non-required: %+v %v", res, err)
				}
				return
			}
			if err != nil || len(res.ParamErrs) != 1 || res.ParamErrs[0].Code != c.code {
				t.Fatalf("non-required: %+v %v", res, err)
			}
			if !reflect.DeepEqual(res.Updated, []ParamValue{{Name: "Enable", Value: "true"}}) {
				t.Fatalf("updated: %+v", res.Updated)
			}
		})
	}
	if v := get1(t, m, "Device.WiFi.Radio.1.Enable"); v != "false" {
		t.Fatalf("rolled back value kept: %s", v)
	}
}

func TestUpdateCanonicalAndCommit(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	tx := m.Begin(ctx)
	o := objects(t, tx, "Device.WiFi.Radio.*.")
	for _, x := range o {
		res, err := tx.Update(x, []ParamUpdate{{Param: "Channel", Value: "011"}, {Param: "Standards", Value: " b , g ,n"}}, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Updated, []ParamValue{{Name: "Channel", Value: "11"}, {Name: "Standards", Value: "b,g,n"}}) {
			t.Fatalf("canonical: %+v", res.Updated)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if v := get1(t, m, "Device.WiFi.Radio.2.Channel"); v != "11" {
		t.Fatalf("committed value %s", v)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
}

func TestCommitHookSeesObjectAtOnce(t *testing.T) {
	m, e := newTestModel(t, Config{})
	ctx := context.Background()
	// Channel 14 with 40MHz is refused as a whole: neither value changes.
	tx := m.Begin(ctx)
	o := objects(t, tx, "Device.WiFi.Radio.1.")[0]
	_, err := tx.Update(o, []ParamUpdate{{Param: "Channel", Value: "14"}, {Param: "Bandwidth", Value: "40MHz"}}, WriteOptions{})
	var we *WriteError
	if !errors.As(err, &we) || we.Code != CodeInvalidValue || we.Path != "Device.WiFi.Radio.1." {
		t.Fatalf("hook refusal: %v", err)
	}
	tx.Commit()
	if get1(t, m, "Device.WiFi.Radio.1.Channel") != "6" || get1(t, m, "Device.WiFi.Radio.1.Bandwidth") != "20MHz" {
		t.Fatal("refused change applied")
	}
	// Both at once, valid: one hook call with two changes.
	e.hookLog = nil
	tx = m.Begin(ctx)
	o = objects(t, tx, "Device.WiFi.Radio.1.")[0]
	if _, err := tx.Update(o, []ParamUpdate{{Param: "Channel", Value: "14"}, {Param: "Bandwidth", Value: "20MHz"}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	if !reflect.DeepEqual(e.hookLog, []string{"Device.WiFi.Radio.1. ch=14 bw=20MHz n=1"}) {
		t.Fatalf("hook calls: %q", e.hookLog)
	}
	// Rolling back a hooked change asks the hook to undo it.
	e.hookLog = nil
	tx = m.Begin(ctx)
	o = objects(t, tx, "Device.WiFi.Radio.1.")[0]
	if _, err := tx.Update(o, []ParamUpdate{{Param: "Channel", Value: "1"}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if !reflect.DeepEqual(e.hookLog, []string{"Device.WiFi.Radio.1. ch=1 bw=20MHz n=1", "Device.WiFi.Radio.1. ch=14 bw=20MHz n=1"}) {
		t.Fatalf("hook calls on rollback: %q", e.hookLog)
	}
}

func TestAddKeysAndNumbers(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	tx := m.Begin(ctx)
	subs := tables(t, tx, "Device.Sub.")[0]
	a, err := tx.Add(subs, []ParamUpdate{{Param: "Enable", Value: "true"}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tx.Add(subs, nil, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Path != "Device.Sub.1." || b.Path != "Device.Sub.2." {
		t.Fatalf("paths %s %s", a.Path, b.Path)
	}
	if !reflect.DeepEqual(a.Keys, map[string]string{"Alias": "cpe-1", "ID": "auto-1", "Recipient": "Device.Ctrl.1"}) || b.Keys["ID"] == a.Keys["ID"] {
		t.Fatalf("keys %v %v", a.Keys, b.Keys)
	}
	// Duplicate keys are refused: Alias, then (Recipient, ID).
	if _, err := tx.Add(subs, []ParamUpdate{{Param: "Alias", Value: "cpe-1"}}, WriteOptions{}); codeOf(err) != CodeDuplicateKey {
		t.Fatalf("duplicate alias: %v", err)
	}
	if _, err := tx.Add(subs, []ParamUpdate{{Param: "ID", Value: "auto-2"}}, WriteOptions{}); codeOf(err) != CodeDuplicateKey {
		t.Fatalf("duplicate ID: %v", err)
	}
	o := objects(t, tx, "Device.Sub.2.")[0]
	if _, err := tx.Update(o, []ParamUpdate{{Param: "Alias", Value: "cpe-1", Required: true}}, WriteOptions{}); codeOf(err) != CodeDuplicateKey {
		t.Fatalf("duplicate alias on Set: %v", err)
	}
	// Write-once: given at Add, refused on Set.
	if _, err := tx.Update(o, []ParamUpdate{{Param: "ID", Value: "new", Required: true}}, WriteOptions{}); codeOf(err) != CodeNotWritable {
		t.Fatalf("write-once Set: %v", err)
	}
	// Key params count as required at Add.
	if _, err := tx.Add(subs, []ParamUpdate{{Param: "Alias", Value: "9bad"}}, WriteOptions{}); codeOf(err) != CodeInvalidValue {
		t.Fatalf("bad key alias: %v", err)
	}
	// Read-only tables refuse Controllers, not the Agent.
	if _, err := tx.Add(tables(t, tx, "Device.WiFi.Radio.")[0], nil, WriteOptions{}); codeOf(err) != CodeNotCreatable {
		t.Fatalf("read-only table add: %v", err)
	}
	// Numbers are never reused: delete 2 then add → 3 (2 refused adds
	// above consumed nothing).
	if _, err := tx.Delete(o, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := tx.Add(subs, nil, WriteOptions{})
	if err != nil || c.Path != "Device.Sub.3." {
		t.Fatalf("after delete: %v %v", c, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := get1(t, m, "Device.SubNumberOfEntries"); n != "2" {
		t.Fatalf("count %s", n)
	}
}

func TestAddIntoChildObjectAndRequired(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	tx := m.Begin(ctx)
	defer tx.Rollback()
	ports := tables(t, tx, "Device.Box.Port.")[0]
	res, err := tx.Add(ports, []ParamUpdate{{Param: "Speed", Value: "x"}, {Param: "Alias", Value: "p2"}}, WriteOptions{})
	if err != nil || len(res.ParamErrs) != 1 || res.ParamErrs[0].Param != "Speed" || res.ParamErrs[0].Code != CodeInvalidType {
		t.Fatalf("non-required add failure: %+v %v", res, err)
	}
	if _, err := tx.Add(ports, []ParamUpdate{{Param: "Speed", Value: "x", Required: true}}, WriteOptions{}); codeOf(err) != CodeInvalidType {
		t.Fatalf("required add failure: %v", err)
	}
	res2, err := tx.Add(tables(t, tx, "Device.WiFi.SSID.")[0], []ParamUpdate{{Param: "Name", Value: "n9"}}, WriteOptions{})
	if err != nil || res2.Path != "Device.WiFi.SSID.3." {
		t.Fatalf("write-once at add: %v %v", res2, err)
	}
}

func TestDeleteRules(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	var evs []Event
	m.Listen(func(e Event) { evs = append(evs, e) })
	tx := m.Begin(ctx)
	gone, err := tx.Delete(objects(t, tx, "Device.Box.Port.1.")[0], WriteOptions{})
	if err != nil || !reflect.DeepEqual(gone, []string{"Device.Box.Port.1.", "Device.Box.Port.1.Lane.1.", "Device.Box.Port.1.Lane.2."}) {
		t.Fatalf("delete nested: %q %v", gone, err)
	}
	if _, err := tx.Delete(objects(t, tx, "Device.WiFi.Radio.1.")[0], WriteOptions{}); codeOf(err) != CodeDeleteFailure {
		t.Fatalf("delete read-only row: %v", err)
	}
	if _, err := tx.Delete(objects(t, tx, "Device.Box.")[0], WriteOptions{}); codeOf(err) != CodeNotTable {
		t.Fatalf("delete single object: %v", err)
	}
	tx.Commit()
	var got []string
	for _, e := range evs {
		got = append(got, e.Path)
	}
	if !reflect.DeepEqual(got, []string{"Device.Box.Port.1.Lane.2.", "Device.Box.Port.1.Lane.1.", "Device.Box.Port.1."}) {
		t.Fatalf("deletion events %q", got)
	}
}

func TestRollbackAndSavepoint(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	var evs []Event
	m.Listen(func(e Event) { evs = append(evs, e) })
	tx := m.Begin(ctx)
	subs := tables(t, tx, "Device.Sub.")[0]
	if _, err := tx.Add(subs, nil, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	sp := tx.Savepoint()
	if _, err := tx.Add(subs, nil, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	o := objects(t, tx, "Device.WiFi.SSID.1.")[0]
	tx.Update(o, []ParamUpdate{{Param: "SSID", Value: "Changed"}}, WriteOptions{})
	tx.RollbackTo(sp)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := get1(t, m, "Device.SubNumberOfEntries"); n != "1" {
		t.Fatalf("rows after savepoint rollback: %s", n)
	}
	if v := get1(t, m, "Device.WiFi.SSID.1.SSID"); v != "Home" {
		t.Fatalf("value after savepoint rollback: %s", v)
	}
	if len(evs) != 1 || evs[0].Kind != ObjectCreated || evs[0].Path != "Device.Sub.1." {
		t.Fatalf("events %+v", evs)
	}
	// A rolled-back transaction emits nothing.
	evs = nil
	tx = m.Begin(ctx)
	tx.Add(tables(t, tx, "Device.Sub.")[0], nil, WriteOptions{})
	tx.Rollback()
	tx.Rollback()
	if len(evs) != 0 || get1(t, m, "Device.SubNumberOfEntries") != "1" {
		t.Fatalf("rollback leaked: %+v", evs)
	}
}

func TestEvents(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	var evs []Event
	remove := m.Listen(func(e Event) { evs = append(evs, e) })
	tx := m.Begin(ctx)
	o := objects(t, tx, "Device.WiFi.SSID.1.")[0]
	tx.Update(o, []ParamUpdate{{Param: "SSID", Value: "Home"}, {Param: "Enable", Value: "false"}}, WriteOptions{})
	tx.Commit()
	if len(evs) != 1 || evs[0].Kind != ValueChanged || evs[0].Path != "Device.WiFi.SSID.1.Enable" || evs[0].Value != "false" {
		t.Fatalf("only real changes notify: %+v", evs)
	}
	if err := m.Changed(ctx, "Device.Live", "7"); err != nil || len(evs) != 2 || evs[1].Path != "Device.Live" {
		t.Fatalf("Changed: %v %+v", err, evs)
	}
	if err := m.Changed(ctx, "Device.Nope", "7"); codeOf(errors.Unwrap(err)) != CodeInvalidPath && codeOf(err) != CodeInvalidPath {
		t.Fatalf("Changed unknown: %v", err)
	}
	if err := m.Raise(ctx, "Device.", "Boot", map[string]string{"Cause": "LocalReboot"}); err != nil || len(evs) != 3 || evs[2].Kind != EventRaised || evs[2].Args["Cause"] != "LocalReboot" {
		t.Fatalf("Raise: %v %+v", err, evs)
	}
	if err := m.Raise(ctx, "Device.", "Nope", nil); err == nil {
		t.Fatal("Raise of unknown event succeeded")
	}
	remove()
	m.Raise(ctx, "Device.", "Boot", nil)
	if len(evs) != 3 {
		t.Fatal("removed listener still called")
	}
}

func TestCommandsAndLookup(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	ct, err := m.Commands(ctx, mustParse(t, "Device.WiFi.Radio.*.Scan()"))
	if err != nil || len(ct) != 2 || ct[1].Row.Path != "Device.WiFi.Radio.2." || !ct[1].Def.Async {
		t.Fatalf("Commands: %+v %v", ct, err)
	}
	if _, err := m.Commands(ctx, mustParse(t, "Device.WiFi.Radio.*.Nope()")); codeOf(err) != CodeInvalidPath {
		t.Fatalf("unknown command: %v", err)
	}
	s := m.Schema()
	for _, c := range []struct {
		p    string
		want string
	}{
		{"Device.WiFi.Radio.{i}.Stats.", "Device.WiFi.Radio.{i}.Stats."},
		{"Device.WiFi.Radio.", "Device.WiFi.Radio.{i}."},
		{"Device.WiFi.Radio.1.Channel", "Device.WiFi.Radio.{i}."},
		{"Device.Reboot()", "Device."},
		{"Device.Boot!", "Device."},
	} {
		p, err := parseSupportedForTest(c.p)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := s.Lookup(p)
		if err != nil || sp.Object.SupportedPath() != c.want {
			t.Errorf("Lookup %s: %+v %v", c.p, sp, err)
		}
	}
	p, _ := parseSupportedForTest("Device.WiFi.Nope.")
	if _, err := s.Lookup(p); codeOf(err) != CodeInvalidPath {
		t.Errorf("Lookup unknown: %v", err)
	}
}

func TestEmptyKeysDoNotCollide(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	ssids := tables(t, tx, "Device.WiFi.SSID.")[0]
	// Name (a key) left empty twice: an empty key set identifies nothing.
	for range 2 {
		if _, err := tx.Add(ssids, []ParamUpdate{{Param: "SSID", Value: "x"}}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHookParamErrorKeepsParam(t *testing.T) {
	e := newTestSchema()
	radio := e.s.Root().Child("WiFi").Child("Radio")
	radio.Hook = func(ctx context.Context, ch *ObjectChange) error {
		return errorf(CodeInvalidValue, ch.Row.Path+"Channel", "not allowed here")
	}
	m, err := NewModel(context.Background(), e.s, Config{})
	if err != nil {
		t.Fatal(err)
	}
	tx := m.Begin(context.Background())
	defer tx.Rollback()
	if _, err := tx.Add(tables(t, tx, "Device.WiFi.Radio.")[0], nil, WriteOptions{Internal: true}); err == nil {
		t.Fatal("hook did not refuse")
	} else {
		var we *WriteError
		if !errors.As(err, &we) || len(we.ParamErrs) != 1 || we.ParamErrs[0].Param != "Channel" || we.ParamErrs[0].Code != CodeInvalidValue {
			t.Fatalf("hook error %#v", err)
		}
	}
}

// TestListenerReadsWhileOthersCommit: a listener that reads the model must
// not deadlock with writers committing meanwhile, and events stay in
// commit order.
func TestListenerReadsWhileOthersCommit(t *testing.T) {
	m, _ := newTestModel(t, Config{})
	ctx := context.Background()
	p := mustParse(t, "Device.WiFi.Radio.*.Channel")
	var mu sync.Mutex
	var seen []string
	m.Listen(func(e Event) {
		if _, err := m.Get(ctx, p, 0, nil); err != nil {
			t.Error(err)
		}
		mu.Lock()
		seen = append(seen, e.Value)
		mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					tx := m.Begin(ctx)
					o, _ := tx.Objects(mustParseNoT("Device."))
					tx.Update(o[0], []ParamUpdate{{Param: "Name", Value: strconv.Itoa(w*1000 + i)}}, WriteOptions{})
					tx.Commit()
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("writers and a reading listener deadlocked")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 200 {
		t.Fatalf("%d events, want 200", len(seen))
	}
}
