package bulkdata

import (
	"errors"
	"strings"
	"testing"
)

// TestReportURLHidesPasswords: a URL with credentials is refused, and
// no error shows any part of the password, including URLs that do not
// parse and passwords that read as a port or a path ("/" in them).
func TestReportURLHidesPasswords(t *testing.T) {
	for _, raw := range []string{
		"https://user:s3cret@collector.example/r",
		"https://user:s3cret@collector.example:bad/r",
		"https://user:s3cret@collector.example/%zz",
		"http://user:s3cret@[::1/r",
		"https://user:s3c/ret@collector.example/r",
		"https://user:1234/s3cret@collector.example/r",
		"https://:s3cret@collector.example/r",
	} {
		_, err := ReportURL(raw, Identity{EndpointID: "e"}, nil)
		if !errors.Is(err, ErrURL) {
			t.Fatalf("%s: %v, want ErrURL", raw, err)
		}
		if strings.Contains(err.Error(), "s3c") || strings.Contains(err.Error(), "1234") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
		if !strings.Contains(err.Error(), "credentials in the URL are refused") {
			t.Errorf("%s: %v, want the credentials refused", raw, err)
		}
	}
	// An '@' after the query is a value, not userinfo.
	if _, err := ReportURL("https://collector.example/r?to=ops@example.org", Identity{EndpointID: "e"}, nil); err != nil {
		t.Fatal(err)
	}
}
