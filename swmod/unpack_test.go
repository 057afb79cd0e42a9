package swmod

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func goodManifest(t testing.TB) entry {
	return entry{name: "manifest.json", body: manifestJSON(t, Manifest{Name: "a", Version: "1", Args: []string{"/app"}})}
}

func TestUnpack(t *testing.T) {
	app := entry{name: "rootfs/app", body: []byte("#!"), mode: 0o4755}
	tests := []struct {
		name    string
		archive []byte
		budget  int64
		want    FaultKind // "" for success
		files   []string  // on success
	}{
		{"tar.gz", tarball(t, true, goodManifest(t), app, entry{name: "rootfs/lib", typ: tar.TypeSymlink, link: "sub/x"}), 1 << 20, "",
			[]string{"manifest.json", "rootfs", "rootfs/app", "rootfs/lib"}},
		{"plain tar", tarball(t, false, goodManifest(t), app), 1 << 20, "", []string{"manifest.json", "rootfs", "rootfs/app"}},
		{"dot-dot", tarball(t, false, goodManifest(t), entry{name: "rootfs/../../evil", body: []byte("x")}), 1 << 20, FaultArchive, nil},
		{"absolute", tarball(t, false, goodManifest(t), entry{name: "/etc/evil", body: []byte("x")}), 1 << 20, FaultArchive, nil},
		{"outside rootfs", tarball(t, false, goodManifest(t), entry{name: "other", body: []byte("x")}), 1 << 20, FaultArchive, nil},
		{"symlink absolute", tarball(t, false, goodManifest(t), entry{name: "rootfs/etc", typ: tar.TypeSymlink, link: "/etc"}), 1 << 20, FaultArchive, nil},
		{"symlink up", tarball(t, false, goodManifest(t), entry{name: "rootfs/up", typ: tar.TypeSymlink, link: "../.."}), 1 << 20, FaultArchive, nil},
		{"write through symlink", tarball(t, false, goodManifest(t), entry{name: "rootfs/d", typ: tar.TypeSymlink, link: "x"},
			entry{name: "rootfs/x/", typ: tar.TypeDir}, entry{name: "rootfs/d/f", body: []byte("x")}), 1 << 20, FaultArchive, nil},
		{"hard link", tarball(t, false, goodManifest(t), app, entry{name: "rootfs/h", typ: tar.TypeLink, link: "rootfs/app"}), 1 << 20, FaultArchive, nil},
		{"device", tarball(t, false, goodManifest(t), entry{name: "rootfs/null", typ: tar.TypeChar}), 1 << 20, FaultArchive, nil},
		{"fifo", tarball(t, false, goodManifest(t), entry{name: "rootfs/p", typ: tar.TypeFifo}), 1 << 20, FaultArchive, nil},
		{"over budget", tarball(t, false, goodManifest(t), entry{name: "rootfs/big", body: make([]byte, 4096)}), 1000, FaultResources, nil},
		{"no manifest", tarball(t, false, app), 1 << 20, FaultArchive, nil},
		{"no rootfs", tarball(t, false, goodManifest(t)), 1 << 20, FaultArchive, nil},
		{"bad manifest", tarball(t, false, entry{name: "manifest.json", body: []byte(`{"name":"a"}`)}, app), 1 << 20, FaultArchive, nil},
		{"two manifests", tarball(t, false, goodManifest(t), goodManifest(t), app), 1 << 20, FaultArchive, nil},
		{"duplicate file", tarball(t, false, goodManifest(t), app, app), 1 << 20, FaultArchive, nil},
		{"corrupt gzip", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{7}, 100)...), 1 << 20, FaultArchive, nil},
		{"truncated", tarball(t, false, goodManifest(t), app)[:700], 1 << 20, FaultArchive, nil},
		{"garbage", bytes.Repeat([]byte("not a tar "), 100), 1 << 20, FaultArchive, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "du")
			os.Mkdir(dir, 0o755)
			_, _, err := unpack(bytes.NewReader(tc.archive), dir, tc.budget)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := listing(t, dir); !slices.Equal(got, tc.files) {
					t.Fatalf("files %q, want %q", got, tc.files)
				}
				if fi, _ := os.Stat(filepath.Join(dir, "rootfs/app")); fi.Mode()&os.ModeSetuid != 0 {
					t.Fatalf("setuid bit kept: %v", fi.Mode())
				}
				return
			}
			var f *Fault
			if !errors.As(err, &f) || f.Kind != tc.want {
				t.Fatalf("err %v, want a %s fault", err, tc.want)
			}
			if got := listing(t, parent); slices.ContainsFunc(got, func(p string) bool { return p != "du" && !hasPrefix(p, "du/") }) {
				t.Fatalf("wrote outside its directory: %q", got)
			}
		})
	}
}

func hasPrefix(p, pre string) bool { return len(p) >= len(pre) && p[:len(pre)] == pre }

func TestParseManifest(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"name":"a","version":"1","args":["/app","-x"],"env":["A=b"],"limits":{"memory_bytes":1024}}`, true},
		{`{"name":"a","version":"1","args":["app"]}`, false},
		{`{"name":"a","version":"1"}`, false},
		{`{"name":"","version":"1","args":["/a"]}`, false},
		{`{"name":"a/b","version":"1","args":["/a"]}`, false},
		{`{"name":"a","version":"1","args":["/a"],"env":["noequals"]}`, false},
		{`{"name":"a","version":"1","args":["/a"],"limits":{"pids":-1}}`, false},
		{`{"name":"a","version":"1","args":["/a"],"extra":1}`, false},
		{`{"name":"a","version":"1","args":["/a"]} {}`, false},
		{`[`, false},
	}
	for _, tc := range tests {
		_, err := ParseManifest([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("ParseManifest(%s): err %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"name":"a","version":"1","args":["/app"],"env":["A=b"],"cwd":"/","limits":{"memory_bytes":1,"cpu_milli":2,"pids":3}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		if m.check() != nil {
			t.Fatalf("accepted a manifest that fails its own check: %+v", m)
		}
		if _, err := ParseManifest(manifestJSON(t, m)); err != nil {
			t.Fatalf("re-encoded manifest refused: %v", err)
		}
	})
}

func FuzzUnpack(f *testing.F) {
	f.Add(tarball(f, false, goodManifest(f), entry{name: "rootfs/app", body: []byte("x")}))
	f.Add(tarball(f, true, goodManifest(f), entry{name: "rootfs/l", typ: tar.TypeSymlink, link: "app"}))
	f.Add(tarball(f, false, entry{name: "rootfs/../x", body: []byte("x")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "du")
		os.Mkdir(dir, 0o755)
		_, used, err := unpack(bytes.NewReader(b), dir, 1<<16)
		if err != nil {
			var fl *Fault
			if !errors.As(err, &fl) {
				t.Fatalf("error is not a Fault: %v", err)
			}
		}
		if used > 1<<16 {
			t.Fatalf("wrote %d bytes past the budget", used)
		}
		for _, p := range listing(t, parent) {
			if p != "du" && !hasPrefix(p, "du/") {
				t.Fatalf("wrote outside its directory: %s", p)
			}
			fi, err := os.Lstat(filepath.Join(parent, p))
			if err == nil && fi.Mode()&os.ModeSymlink != 0 {
				l, _ := os.Readlink(filepath.Join(parent, p))
				if filepath.IsAbs(l) || hasDotDot(l) {
					t.Fatalf("symlink %s -> %s leads out", p, l)
				}
			}
		}
	})
}
