package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/uspmesh/uspmesh/datamodel"
)

// identity is what a node keeps of itself across restarts.
type identity struct {
	SerialNumber string `json:"serial_number"`
}

const identityFile = "identity.json"

// loadIdentity opens the state dir (creating it, mode 0700) and returns
// the node's identity, creating one with a random serial number at the
// first start (then created is true). A corrupt identity file is an error
// naming it.
func loadIdentity(dir string) (id *identity, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("state dir: %w", err)
	}
	name := filepath.Join(dir, identityFile)
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, false, fmt.Errorf("identity: %w", err)
		}
		id := &identity{SerialNumber: strings.ToUpper(hex.EncodeToString(r[:]))}
		doc, _ := json.MarshalIndent(id, "", " ")
		if err := datamodel.WriteFileAtomic(name, doc, 0o600); err != nil {
			return nil, false, fmt.Errorf("identity: %w", err)
		}
		return id, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("identity: %w", err)
	}
	id = &identity{}
	if err := json.Unmarshal(b, id); err != nil || id.SerialNumber == "" {
		return nil, false, fmt.Errorf("identity: corrupt %s (move it away to make a new identity): %v", name, err)
	}
	return id, false, nil
}

// earlierState lists the state files of an earlier run in dir: found
// beside a newly made identity, they mean identity.json was lost (or
// removed) and the node now has a new Endpoint ID.
func earlierState(dir string) []string {
	var found []string
	for _, f := range []string{"datamodel.json", fenceFile, electionFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			found = append(found, f)
		}
	}
	return found
}
