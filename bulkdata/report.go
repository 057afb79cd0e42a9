package bulkdata

import (
	"time"

	"github.com/uspmesh/uspmesh/datamodel/value"
)

// Item is one collected parameter.
type Item struct {
	// Name is the parameter's name in the report: its path, or the
	// label its Parameter row's Name gives.
	Name string
	// Path is the parameter's full path in the model.
	Path string
	// Value is the value as the model reports it (canonical for Type).
	Value string
	// Type is the parameter's TR-181 type.
	Type value.Type
}

// Report is one collection: the parameters read at Time.
type Report struct {
	Time  time.Time
	Items []Item
}

// size estimates r's memory and encoded size, for the retention cap.
func (r *Report) size() int {
	n := 64
	for i := range r.Items {
		it := &r.Items[i]
		n += len(it.Name) + len(it.Path) + len(it.Value) + 48
	}
	return n
}
