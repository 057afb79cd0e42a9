package usp

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// checkOneofs reports an encoding in which one oneof holds two different
// members (R-ENC.4/5). The Go decoder silently keeps the last member, so
// the check walks the raw bytes against md. b must already have decoded
// successfully as md, which bounds the recursion by the decoder's limit.
//
// Occurrences of a singular message field are concatenated before being
// checked, which is how protobuf merges them: a body sent twice, once with
// a request and once with a response, is a broken oneof too.
func checkOneofs(b []byte, md protoreflect.MessageDescriptor) error {
	var (
		member  map[protoreflect.Name]protowire.Number // oneof → member seen
		pending map[protowire.Number][]byte            // singular message fields
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		val := b[:n]
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || typ != wireType(fd.Kind()) {
			continue // an unknown field to the decoder
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if prev, ok := member[od.Name()]; ok && prev != num {
				return fmt.Errorf("oneof %s has both field %d and field %d", od.FullName(), prev, num)
			}
			if member == nil {
				member = make(map[protoreflect.Name]protowire.Number)
			}
			member[od.Name()] = num
		}
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
			continue
		}
		sub, _ := protowire.ConsumeBytes(val)
		if fd.IsList() {
			if err := checkOneofs(sub, fd.Message()); err != nil {
				return err
			}
			continue
		}
		if pending == nil {
			pending = make(map[protowire.Number][]byte)
		}
		pending[num] = append(pending[num], sub...)
	}
	for num, sub := range pending {
		if err := checkOneofs(sub, md.Fields().ByNumber(num).Message()); err != nil {
			return err
		}
	}
	return nil
}

// wireType is the wire type a (non-packed) field of kind k is decoded from.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.MessageKind, protoreflect.StringKind, protoreflect.BytesKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}
