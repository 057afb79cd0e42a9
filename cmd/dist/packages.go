package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/ipk" // registers the ipk packager
)

// Meta is what every package says about itself.
type Meta struct {
	Version    string // the package version (PackageVersion)
	Maintainer string
	MTime      time.Time // of every file and the archives; zero: SOURCE_DATE_EPOCH or now
}

const (
	homepage    = "https://github.com/uspmesh/uspmesh"
	description = `in-home Wi-Fi mesh coordinator (USP Agent and Controller)
 meshd runs on every access point of a home: a Broadband Forum USP Agent
 (TR-369, TR-181 Device:2) and a mesh Controller. The nodes find each other
 over mDNS, talk USP over CoAP/DTLS, elect a leader, and the leader tunes
 the home's Wi-Fi channels. meshctl is its command-line USP Controller.`
)

// file is one packaged file: src under the module root (or an absolute
// built binary), dst on the target, its mode and type.
type file struct {
	src, dst string
	mode     os.FileMode
	typ      string // files.Type*; "" is a plain file
}

// DebPackage writes dir/uspmesh_VERSION_DEBARCH.deb for t from the
// binaries in bin (Build's dir) and root's packaging/ and returns its path.
func DebPackage(root, bin, dir string, t Target, m Meta) (string, error) {
	p := filepath.Join(root, "packaging")
	info := m.info("uspmesh", t.DebArch, []file{
		{filepath.Join(bin, "meshd"), "/usr/bin/meshd", 0o755, ""},
		{filepath.Join(bin, "meshctl"), "/usr/bin/meshctl", 0o755, ""},
		{filepath.Join(p, "debian/uspmesh.service"), "/lib/systemd/system/uspmesh.service", 0o644, ""},
		{filepath.Join(p, "debian/uspmesh.sysusers"), "/usr/lib/sysusers.d/uspmesh.conf", 0o644, ""},
		{filepath.Join(p, "etc/meshd.json"), "/etc/uspmesh/meshd.json", 0o644, files.TypeConfigNoReplace},
		{filepath.Join(root, "LICENSE"), "/usr/share/doc/uspmesh/copyright", 0o644, ""},
	})
	info.Section = "net"
	info.Suggests = []string{"hostapd"}
	info.Scripts = nfpm.Scripts{
		PostInstall: filepath.Join(p, "debian/postinst"),
		PreRemove:   filepath.Join(p, "debian/prerm"),
		PostRemove:  filepath.Join(p, "debian/postrm"),
	}
	info.Deb.Compression = "xz"
	return write("deb", info, dir)
}

// IPKPackages writes the OpenWrt packages for t into dir and returns
// their paths: uspmesh (meshd, its procd init script and UCI
// configuration) and uspmesh-meshctl (meshctl, apart because flash is
// small and one meshctl anywhere in the home is enough).
func IPKPackages(root, bin, dir string, t Target, m Meta) ([]string, error) {
	p := filepath.Join(root, "packaging")
	info := m.info("uspmesh", t.OpenWrtArch, []file{
		{filepath.Join(bin, "meshd"), "/usr/sbin/meshd", 0o755, ""},
		{filepath.Join(p, "openwrt/uspmesh.init"), "/etc/init.d/uspmesh", 0o755, ""},
		{filepath.Join(p, "openwrt/uspmesh.config"), "/etc/config/uspmesh", 0o600, files.TypeConfig},
		{filepath.Join(p, "openwrt/uspmesh.keep"), "/lib/upgrade/keep.d/uspmesh", 0o644, ""},
	})
	info.Section = "net"
	info.Scripts = nfpm.Scripts{
		PostInstall: filepath.Join(p, "openwrt/postinst"),
		PreRemove:   filepath.Join(p, "openwrt/prerm"),
	}
	info.IPK.Arch = t.OpenWrtArch
	main, err := write("ipk", info, dir)
	if err != nil {
		return nil, err
	}
	ctl := m.info("uspmesh-meshctl", t.OpenWrtArch, []file{
		{filepath.Join(bin, "meshctl"), "/usr/bin/meshctl", 0o755, ""},
	})
	ctl.Section = "net"
	ctl.Description = "command-line USP Controller of uspmesh (meshctl)\n meshctl queries and configures uspmesh nodes and mints mesh secrets."
	ctl.IPK.Arch = t.OpenWrtArch
	ctlPath, err := write("ipk", ctl, dir)
	if err != nil {
		return nil, err
	}
	return []string{main, ctlPath}, nil
}

// info is the nfpm description of package name for arch with files fs.
func (m Meta) info(name, arch string, fs []file) *nfpm.Info {
	info := &nfpm.Info{
		Name:          name,
		Arch:          arch,
		Platform:      "linux",
		Version:       m.Version,
		VersionSchema: "none",
		Priority:      "optional",
		Maintainer:    m.Maintainer,
		Description:   description,
		Homepage:      homepage,
		License:       "Apache-2.0",
		MTime:         m.MTime,
	}
	for _, f := range fs {
		info.Contents = append(info.Contents, &files.Content{
			Source:      f.src,
			Destination: f.dst,
			Type:        f.typ,
			FileInfo:    &files.ContentFileInfo{Mode: f.mode, Owner: "root", Group: "root", MTime: m.MTime},
		})
	}
	return nfpm.WithDefaults(info)
}

// write packages info with the named packager into dir under the
// packager's conventional file name.
func write(format string, info *nfpm.Info, dir string) (string, error) {
	pkgr, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, pkgr.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := pkgr.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("%s %s: %w", format, info.Name, err)
	}
	return path, f.Close()
}
