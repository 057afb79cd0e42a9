package mqtttest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// ConfigOptions describe a mosquitto.conf for WriteConfig.
type ConfigOptions struct {
	// Listen is the plain MQTT listener, "ip:port". Required.
	Listen string
	// TLSListen is the TLS listener, "ip:port"; empty means none. CAFile,
	// CertFile and KeyFile (PEM paths) are then required.
	TLSListen string
	// CAFile, CertFile and KeyFile are the TLS listener's PEM files.
	CAFile, CertFile, KeyFile string
	// RequireClientCert makes the TLS listener demand a client certificate
	// issued by CAFile.
	RequireClientCert bool
	// LogFile is where mosquitto logs; empty means mosquitto.log in dir.
	LogFile string
	// User is the account mosquitto runs as. Empty means "root" when the
	// calling process is root (mosquitto would otherwise switch to the
	// "mosquitto" user, which cannot write into test directories), and
	// mosquitto's default otherwise.
	User string
}

// WriteConfig writes dir/mosquitto.conf for a broker with a plain listener
// and optionally a TLS one, anonymous access, no persistence and full
// logging to a file, and returns its path.
func WriteConfig(dir string, o ConfigOptions) (confPath string, err error) {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	user := o.User
	if user == "" && os.Geteuid() == 0 {
		user = "root"
	}
	if user != "" {
		line("user %s", user)
	}
	logFile := o.LogFile
	if logFile == "" {
		logFile = filepath.Join(dir, "mosquitto.log")
	}
	line("persistence false")
	line("allow_anonymous true")
	line("log_dest file %s", logFile)
	line("log_type all")
	line("log_timestamp_format %%H:%%M:%%S")
	line("connection_messages true")
	line("set_tcp_nodelay true")

	if err := listener(line, o.Listen); err != nil {
		return "", fmt.Errorf("mqtttest: Listen: %w", err)
	}
	if o.TLSListen != "" {
		if o.CAFile == "" || o.CertFile == "" || o.KeyFile == "" {
			return "", fmt.Errorf("mqtttest: TLSListen %s needs CAFile, CertFile and KeyFile", o.TLSListen)
		}
		if err := listener(line, o.TLSListen); err != nil {
			return "", fmt.Errorf("mqtttest: TLSListen: %w", err)
		}
		line("cafile %s", o.CAFile)
		line("certfile %s", o.CertFile)
		line("keyfile %s", o.KeyFile)
		line("require_certificate %t", o.RequireClientCert)
	}
	confPath = filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("mqtttest: %w", err)
	}
	return confPath, nil
}

// listener writes a listener block header for addr ("ip:port").
func listener(line func(string, ...any), addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("%q: want ip:port", addr)
	}
	line("")
	line("listener %s %s", port, host)
	return nil
}
