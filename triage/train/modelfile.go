package train

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadModelFile is wrapped by every error ONNXMetadata returns.
var ErrBadModelFile = errors.New("bad ONNX model file")

// ONNXMetadata returns the metadata_props of a serialised ONNX ModelProto
// (field 14, entries of key = 1 and value = 2), walking the protobuf wire
// format without decoding the graph. It lets tests and tools read a model's
// contract without ONNX Runtime.
func ONNXMetadata(model []byte) (map[string]string, error) {
	meta := map[string]string{}
	err := walk(model, func(field int, v []byte) error {
		if field != 14 {
			return nil
		}
		var key, val string
		var hasKey bool
		if err := walk(v, func(f int, b []byte) error {
			switch f {
			case 1:
				key, hasKey = string(b), true
			case 2:
				val = string(b)
			}
			return nil
		}); err != nil {
			return err
		}
		if !hasKey {
			return fmt.Errorf("%w: metadata entry without a key", ErrBadModelFile)
		}
		if _, dup := meta[key]; dup {
			return fmt.Errorf("%w: metadata key %q twice", ErrBadModelFile, key)
		}
		meta[key] = val
		return nil
	})
	return meta, err
}

// walk calls f for each length-delimited field of a protobuf message and
// skips the others; it fails on truncated or malformed input.
func walk(b []byte, f func(field int, v []byte) error) error {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: bad field tag", ErrBadModelFile)
		}
		b = b[n:]
		field, wire := int(tag>>3), tag&7
		switch wire {
		case 0:
			if _, n = binary.Uvarint(b); n <= 0 {
				return fmt.Errorf("%w: bad varint in field %d", ErrBadModelFile, field)
			}
			b = b[n:]
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(b) < size {
				return fmt.Errorf("%w: field %d truncated", ErrBadModelFile, field)
			}
			b = b[size:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("%w: field %d length runs past the end", ErrBadModelFile, field)
			}
			if err := f(field, b[n:n+int(l)]); err != nil {
				return err
			}
			b = b[n+int(l):]
		default:
			return fmt.Errorf("%w: field %d has wire type %d", ErrBadModelFile, field, wire)
		}
	}
	return nil
}
