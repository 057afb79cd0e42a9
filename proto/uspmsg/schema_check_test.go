package uspmsg_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// wantField is one field of a schema table.
type wantField struct {
	num   protoreflect.FieldNumber
	name  protoreflect.Name
	kind  protoreflect.Kind
	rep   bool
	isMap bool                  // map<string,string>
	typ   protoreflect.FullName // message or enum type; "" for scalars and maps
	oneof protoreflect.Name
}

// wantSchema is a parsed schema table: fields per message, "NAME n" values
// per enum, keyed by full name.
type wantSchema struct {
	messages map[protoreflect.FullName][]wantField
	enums    map[protoreflect.FullName][]string
}

var scalarKinds = map[string]protoreflect.Kind{
	"string":  protoreflect.StringKind,
	"bytes":   protoreflect.BytesKind,
	"bool":    protoreflect.BoolKind,
	"uint64":  protoreflect.Uint64Kind,
	"fixed32": protoreflect.Fixed32Kind,
}

func parseSchema(t *testing.T, pkg string, messages, enums map[string]string) wantSchema {
	t.Helper()
	full := func(scope, name string) protoreflect.FullName {
		if strings.HasPrefix(name, ".") {
			return protoreflect.FullName(scope + name)
		}
		return protoreflect.FullName(pkg + "." + name)
	}
	s := wantSchema{
		messages: make(map[protoreflect.FullName][]wantField),
		enums:    make(map[protoreflect.FullName][]string),
	}
	for name, values := range enums {
		for _, v := range strings.Split(values, ",") {
			s.enums[full("", name)] = append(s.enums[full("", name)], strings.TrimSpace(v))
		}
	}
	for name := range messages {
		s.messages[full("", name)] = nil
	}
	for name, fields := range messages {
		msg := full("", name)
		for _, spec := range strings.Split(fields, ";") {
			tok := strings.Fields(spec)
			if len(tok) == 0 {
				continue
			}
			if len(tok) < 3 {
				t.Fatalf("%s: bad field %q", msg, spec)
			}
			n, err := strconv.Atoi(tok[0])
			if err != nil {
				t.Fatalf("%s: bad field number in %q", msg, spec)
			}
			f := wantField{num: protoreflect.FieldNumber(n), name: protoreflect.Name(tok[1])}
			rest := tok[2:]
			if rest[0] == "rep" {
				f.rep, rest = true, rest[1:]
			}
			if len(rest) == 2 && strings.HasPrefix(rest[1], "@") {
				f.oneof, rest = protoreflect.Name(rest[1][1:]), rest[:1]
			}
			if len(rest) != 1 {
				t.Fatalf("%s: bad field %q", msg, spec)
			}
			switch typ := rest[0]; {
			case typ == "map":
				f.kind, f.rep, f.isMap = protoreflect.MessageKind, true, true
			case scalarKinds[typ] != 0:
				f.kind = scalarKinds[typ]
			default:
				f.typ = full(string(msg), typ)
				if _, ok := s.enums[f.typ]; ok {
					f.kind = protoreflect.EnumKind
				} else if _, ok := s.messages[f.typ]; ok {
					f.kind = protoreflect.MessageKind
				} else {
					t.Fatalf("%s.%s: table has no type %s", msg, f.name, f.typ)
				}
			}
			s.messages[msg] = append(s.messages[msg], f)
		}
	}
	return s
}

// checkSchema compares want with the descriptors of fd both ways.
func checkSchema(t *testing.T, fd protoreflect.FileDescriptor, want wantSchema) {
	t.Helper()
	gotMsgs, gotEnums := map[protoreflect.FullName]bool{}, map[protoreflect.FullName]bool{}
	walkFile(fd, func(md protoreflect.MessageDescriptor) { gotMsgs[md.FullName()] = true },
		func(ed protoreflect.EnumDescriptor) { gotEnums[ed.FullName()] = true })
	for name := range gotMsgs {
		if _, ok := want.messages[name]; !ok {
			t.Errorf("descriptor has message %s, the table does not", name)
		}
	}
	for name := range gotEnums {
		if _, ok := want.enums[name]; !ok {
			t.Errorf("descriptor has enum %s, the table does not", name)
		}
	}
	for name, fields := range want.messages {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
		md, ok := d.(protoreflect.MessageDescriptor)
		if err != nil || !ok || md.ParentFile().Path() != fd.Path() {
			t.Errorf("message %s: not found in %s (%v)", name, fd.Path(), err)
			continue
		}
		checkMessage(t, md, fields)
	}
	for name, values := range want.enums {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
		ed, ok := d.(protoreflect.EnumDescriptor)
		if err != nil || !ok || ed.ParentFile().Path() != fd.Path() {
			t.Errorf("enum %s: not found in %s (%v)", name, fd.Path(), err)
			continue
		}
		var got []string
		for i := 0; i < ed.Values().Len(); i++ {
			v := ed.Values().Get(i)
			got = append(got, fmt.Sprintf("%s %d", v.Name(), v.Number()))
		}
		if strings.Join(got, ", ") != strings.Join(values, ", ") {
			t.Errorf("enum %s:\n got %s\nwant %s", name, strings.Join(got, ", "), strings.Join(values, ", "))
		}
	}
}

func checkMessage(t *testing.T, md protoreflect.MessageDescriptor, want []wantField) {
	t.Helper()
	wantOneofs := map[protoreflect.Name]bool{}
	for _, w := range want {
		if w.oneof != "" {
			wantOneofs[w.oneof] = true
		}
		f := md.Fields().ByNumber(w.num)
		if f == nil {
			t.Errorf("%s: no field %d (%s)", md.FullName(), w.num, w.name)
			continue
		}
		if got := describe(f); got != w.String() {
			t.Errorf("%s field %d:\n got %s\nwant %s", md.FullName(), w.num, got, w)
		}
	}
	if md.Fields().Len() != len(want) {
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			if !hasNumber(want, f.Number()) {
				t.Errorf("%s: descriptor has field %s, the table does not", md.FullName(), describe(f))
			}
		}
	}
	for i := 0; i < md.Oneofs().Len(); i++ {
		od := md.Oneofs().Get(i)
		if od.IsSynthetic() || !wantOneofs[od.Name()] {
			t.Errorf("%s: descriptor has oneof %s, the table does not", md.FullName(), od.Name())
		}
		delete(wantOneofs, od.Name())
	}
	for name := range wantOneofs {
		t.Errorf("%s: no oneof %s", md.FullName(), name)
	}
}

func hasNumber(fields []wantField, n protoreflect.FieldNumber) bool {
	for _, f := range fields {
		if f.num == n {
			return true
		}
	}
	return false
}

// String prints w the way describe prints a descriptor.
func (w wantField) String() string {
	s := fmt.Sprintf("%d %s %s", w.num, w.name, w.kind)
	if w.rep {
		s += " repeated"
	}
	if w.isMap {
		s += " map<string,string>"
	}
	if w.typ != "" {
		s += " " + string(w.typ)
	}
	if w.oneof != "" {
		s += " oneof " + string(w.oneof)
	}
	return s
}

// describe prints the properties of f the tables specify, plus any that
// USP never uses (proto3 optional, packing, non-string map types), so that
// they show up as a difference.
func describe(f protoreflect.FieldDescriptor) string {
	s := fmt.Sprintf("%d %s %s", f.Number(), f.Name(), f.Kind())
	switch f.Cardinality() {
	case protoreflect.Repeated:
		s += " repeated"
	case protoreflect.Required:
		s += " required"
	}
	switch {
	case f.IsMap() && f.MapKey().Kind() == protoreflect.StringKind && f.MapValue().Kind() == protoreflect.StringKind:
		s += " map<string,string>"
	case f.IsMap():
		s += fmt.Sprintf(" map<%s,%s>", f.MapKey().Kind(), f.MapValue().Kind())
	case f.Message() != nil:
		s += " " + string(f.Message().FullName())
	case f.Enum() != nil:
		s += " " + string(f.Enum().FullName())
	}
	if od := f.ContainingOneof(); od != nil && !od.IsSynthetic() {
		s += " oneof " + string(od.Name())
	}
	if f.HasOptionalKeyword() {
		s += " optional-keyword"
	}
	if f.IsPacked() {
		s += " packed"
	}
	return s
}

// walkFile calls msg for every message of fd, nested ones included but map
// entries excluded, and enum for every enum.
func walkFile(fd protoreflect.FileDescriptor, msg func(protoreflect.MessageDescriptor), enum func(protoreflect.EnumDescriptor)) {
	var walk func(protoreflect.MessageDescriptors, protoreflect.EnumDescriptors)
	walk = func(ms protoreflect.MessageDescriptors, es protoreflect.EnumDescriptors) {
		for i := 0; i < es.Len(); i++ {
			enum(es.Get(i))
		}
		for i := 0; i < ms.Len(); i++ {
			md := ms.Get(i)
			if md.IsMapEntry() {
				continue
			}
			msg(md)
			walk(md.Messages(), md.Enums())
		}
	}
	walk(fd.Messages(), fd.Enums())
}

// fieldsWhere lists "pkg.Message.field number kind [oneof name]" for every
// field of fds that keep accepts, sorted.
func fieldsWhere(keep func(protoreflect.FieldDescriptor) bool, fds ...protoreflect.FileDescriptor) []string {
	var out []string
	for _, fd := range fds {
		walkFile(fd, func(md protoreflect.MessageDescriptor) {
			for i := 0; i < md.Fields().Len(); i++ {
				if f := md.Fields().Get(i); keep(f) {
					s := fmt.Sprintf("%s %d %s", f.FullName(), f.Number(), f.Kind())
					if od := f.ContainingOneof(); od != nil && !od.IsSynthetic() {
						s += " oneof " + string(od.Name())
					}
					out = append(out, s)
				}
			}
		}, func(protoreflect.EnumDescriptor) {})
	}
	sort.Strings(out)
	return out
}
