package bulkdata

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Identity names the device in a collector's URL.
type Identity struct {
	// OUI, ProductClass and SerialNumber give ?oui=&pc=&sn= when all
	// three are set; otherwise EndpointID gives ?eid=.
	OUI, ProductClass, SerialNumber string
	EndpointID                      string
}

// ErrURL is wrapped by the errors of ReportURL.
var ErrURL = errors.New("bulkdata: bad HTTP.URL")

// ReportURL is the URL a report goes to: raw (http or https, with a host
// and no credentials: those belong in HTTP.Username and Password) with
// the device's identity and then extra (the RequestURIParameters'
// names and values) appended to its query.
func ReportURL(raw string, id Identity, extra [][2]string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%w: empty", ErrURL)
	}
	// An '@' before the query is userinfo, or userinfo that does not
	// parse as such (a password holding '/' reads as a port or a path):
	// refused before parsing, whose errors quote the URL, so that no
	// part of a password reaches the profile's status or a log.
	if strings.Contains(strings.SplitN(raw, "?", 2)[0], "@") {
		return "", fmt.Errorf("%w: credentials in the URL are refused; set HTTP.Username and HTTP.Password", ErrURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrURL, unwrapURL(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: scheme %q (http or https)", ErrURL, u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: credentials in the URL are refused; set HTTP.Username and HTTP.Password", ErrURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%w: no host", ErrURL)
	}
	u.Fragment, u.RawFragment = "", ""
	var q strings.Builder
	q.WriteString(u.RawQuery)
	add := func(k, v string) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(url.QueryEscape(k))
		q.WriteByte('=')
		q.WriteString(url.QueryEscape(v))
	}
	if id.OUI != "" && id.ProductClass != "" && id.SerialNumber != "" {
		add("oui", id.OUI)
		add("pc", id.ProductClass)
		add("sn", id.SerialNumber)
	} else {
		add("eid", id.EndpointID)
	}
	for _, kv := range extra {
		add(kv[0], kv[1])
	}
	u.RawQuery = q.String()
	return u.String(), nil
}

// HTTPError is a collector's answer other than 2xx.
type HTTPError struct {
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return "collector answered " + e.Status }

// httpRequest is one report delivery over HTTP.
type httpRequest struct {
	url, method      string
	user, password   string
	gzip             bool
	date             time.Time // zero: no Date header
	contentType, fmt string
	body             []byte
}

// maxAnswer bounds what is read of a collector's answer.
const maxAnswer = 64 << 10

// send makes one attempt at delivering r with c.
func (r *httpRequest) send(ctx context.Context, c *http.Client) error {
	body := r.body
	if r.gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		body = b.Bytes()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bulkdata: %w", err)
	}
	req.Header.Set("Content-Type", r.contentType)
	req.Header.Set("BBF-Report-Format", r.fmt)
	if r.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if !r.date.IsZero() {
		req.Header.Set("Date", r.date.UTC().Format(http.TimeFormat))
	}
	if r.user != "" || r.password != "" {
		req.SetBasicAuth(r.user, r.password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("bulkdata: %s %s: %w", r.method, redact(r.url), unwrapURL(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// unwrapURL drops *url.Error's repetition of the method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact is u without its query (which may carry parameter values).
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// NewHTTPClient returns the client reports are sent with: TLS 1.2 or
// later verified against roots (nil: the system's), no redirects (a
// report is not re-sent elsewhere), at most timeout per attempt.
func NewHTTPClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 4, 1
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
