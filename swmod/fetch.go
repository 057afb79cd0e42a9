package swmod

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// splitChecksum returns raw without its fragment and the sha256 named by
// a "#sha256=<hex>" fragment (lower case; empty when there is none).
func splitChecksum(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fault(FaultInvalidRequest, "url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fault(FaultDownload, "url %q: scheme %q is not http or https", raw, u.Scheme)
	}
	frag := u.Fragment
	u.Fragment, u.RawFragment = "", ""
	if frag == "" {
		return u.String(), "", nil
	}
	sum, ok := strings.CutPrefix(frag, "sha256=")
	if !ok {
		return "", "", fault(FaultInvalidRequest, "url fragment %q: want sha256=<hex>", frag)
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return "", "", fault(FaultInvalidRequest, "url fragment: %q is not a sha256 in hex", sum)
	}
	return u.String(), strings.ToLower(sum), nil
}

// fetch downloads src into a new file in dir, at most max bytes, and
// returns the file (positioned at its start) and its sha256 in hex. The
// caller removes the file.
func fetch(ctx context.Context, client *http.Client, src, dir string, max int64) (*os.File, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", fault(FaultDownload, "fetch %s: %w", src, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fault(FaultDownload, "fetch %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fault(FaultDownload, "fetch %s: HTTP %s", src, resp.Status)
	}
	if resp.ContentLength > max {
		return nil, "", fault(FaultResources, "fetch %s: %d bytes, more than the %d allowed", src, resp.ContentLength, max)
	}
	f, err := os.CreateTemp(dir, "fetch-*")
	if err != nil {
		return nil, "", diskFault("fetch: temp file", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, max+1))
	if err == nil && n > max {
		err = fault(FaultResources, "fetch %s: more than the %d bytes allowed", src, max)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		var fl *Fault
		if errors.As(err, &fl) {
			return nil, "", fl
		}
		if errors.Is(err, syscall.ENOSPC) {
			return nil, "", diskFault("fetch", err)
		}
		return nil, "", fault(FaultDownload, "fetch %s: %w", src, err)
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

// diskFault names a failure to write the disk: a full disk is
// SystemResourcesExceeded, anything else internal.
func diskFault(what string, err error) *Fault {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fault(FaultResources, "%s: disk full: %w", what, err)
	}
	return fault(FaultInternal, "%s: %w", what, err)
}
