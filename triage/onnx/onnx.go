// Package onnx writes ONNX models (the onnx.proto3 ModelProto wire format)
// from Go values, with no dependency on protobuf code generation.
//
// It covers the subset Skysieve needs to build its own models: a graph of
// nodes with attributes, float32/int64 initializers, typed inputs and outputs
// with fixed or symbolic dimensions, opset imports and metadata_props (where
// the model contract lives). Field numbers follow onnx/onnx.proto.
package onnx

import (
	"encoding/binary"
	"math"
	"sort"
)

// Element types (TensorProto.DataType).
const (
	Float32 int32 = 1
	Int64   int32 = 7
)

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64 // 8 unless set
	OpsetVersion    int64 // default-domain opset; 17 unless set
	ProducerName    string
	ProducerVersion string
	ModelVersion    int64
	DocString       string
	Graph           Graph
	// Metadata becomes metadata_props, written in key order so output is deterministic.
	Metadata map[string]string
}

// Graph is an ONNX GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr is a node attribute; exactly one of the value fields is meaningful,
// chosen by Kind.
type Attr struct {
	Name   string
	Kind   AttrKind
	Int    int64
	Float  float32
	Ints   []int64
	Floats []float32
	String string
}

// AttrKind is AttributeProto.AttributeType.
type AttrKind int32

// Attribute kinds used by Skysieve models.
const (
	AttrFloat  AttrKind = 1
	AttrInt    AttrKind = 2
	AttrString AttrKind = 3
	AttrFloats AttrKind = 6
	AttrInts   AttrKind = 7
)

// IntAttr, IntsAttr, FloatAttr, FloatsAttr and StringAttr build attributes.
func IntAttr(name string, v int64) Attr         { return Attr{Name: name, Kind: AttrInt, Int: v} }
func IntsAttr(name string, v ...int64) Attr     { return Attr{Name: name, Kind: AttrInts, Ints: v} }
func FloatAttr(name string, v float32) Attr     { return Attr{Name: name, Kind: AttrFloat, Float: v} }
func FloatsAttr(name string, v ...float32) Attr { return Attr{Name: name, Kind: AttrFloats, Floats: v} }
func StringAttr(name, v string) Attr            { return Attr{Name: name, Kind: AttrString, String: v} }

// Tensor is an initializer. Float32 data goes into raw_data (little endian);
// Int64 data into int64_data.
type Tensor struct {
	Name    string
	Dims    []int64
	Float32 []float32
	Int64   []int64
}

// Dim is one dimension of a ValueInfo shape: a fixed size, or a symbolic
// name (Param) when Value is 0 and Param is not empty.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo names a typed graph input or output.
type ValueInfo struct {
	Name     string
	ElemType int32
	Shape    []Dim
}

// Marshal encodes the model as ONNX protobuf bytes. The output is a pure
// function of the model value.
func (m *Model) Marshal() []byte {
	var b buf
	ir := m.IRVersion
	if ir == 0 {
		ir = 8
	}
	opset := m.OpsetVersion
	if opset == 0 {
		opset = 17
	}
	b.varintField(1, uint64(ir))
	b.stringField(2, m.ProducerName)
	b.stringField(3, m.ProducerVersion)
	if m.ModelVersion != 0 {
		b.varintField(5, uint64(m.ModelVersion))
	}
	b.stringField(6, m.DocString)
	b.messageField(7, m.Graph.marshal())
	var op buf
	op.stringField(1, "")
	op.varintField(2, uint64(opset))
	b.messageFieldAlways(8, op.b)
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var kv buf
		kv.stringField(1, k)
		kv.stringField(2, m.Metadata[k])
		b.messageFieldAlways(14, kv.b)
	}
	return b.b
}

func (g *Graph) marshal() []byte {
	var b buf
	for i := range g.Nodes {
		b.messageFieldAlways(1, g.Nodes[i].marshal())
	}
	b.stringField(2, g.Name)
	for i := range g.Initializers {
		b.messageFieldAlways(5, g.Initializers[i].marshal())
	}
	for i := range g.Inputs {
		b.messageFieldAlways(11, g.Inputs[i].marshal())
	}
	for i := range g.Outputs {
		b.messageFieldAlways(12, g.Outputs[i].marshal())
	}
	return b.b
}

func (n *Node) marshal() []byte {
	var b buf
	for _, s := range n.Inputs {
		b.stringFieldAlways(1, s)
	}
	for _, s := range n.Outputs {
		b.stringFieldAlways(2, s)
	}
	b.stringField(3, n.Name)
	b.stringField(4, n.OpType)
	for i := range n.Attrs {
		b.messageFieldAlways(5, n.Attrs[i].marshal())
	}
	b.stringField(7, n.Domain)
	return b.b
}

func (a *Attr) marshal() []byte {
	var b buf
	b.stringField(1, a.Name)
	switch a.Kind {
	case AttrFloat:
		b.fixed32Field(2, math.Float32bits(a.Float))
	case AttrInt:
		b.varintField(3, uint64(a.Int))
	case AttrString:
		b.stringFieldAlways(4, a.String)
	case AttrFloats:
		for _, f := range a.Floats {
			b.fixed32Field(7, math.Float32bits(f))
		}
	case AttrInts:
		for _, v := range a.Ints {
			b.varintField(8, uint64(v))
		}
	}
	b.varintField(20, uint64(a.Kind))
	return b.b
}

func (t *Tensor) marshal() []byte {
	var b buf
	for _, d := range t.Dims {
		b.varintField(1, uint64(d))
	}
	if t.Int64 != nil {
		b.varintField(2, uint64(Int64))
		var packed buf
		for _, v := range t.Int64 {
			packed.varint(uint64(v))
		}
		b.messageFieldAlways(7, packed.b)
	} else {
		b.varintField(2, uint64(Float32))
	}
	b.stringField(8, t.Name)
	if t.Int64 == nil {
		raw := make([]byte, 4*len(t.Float32))
		for i, f := range t.Float32 {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		b.messageFieldAlways(9, raw)
	}
	return b.b
}

func (v *ValueInfo) marshal() []byte {
	var shape buf
	for _, d := range v.Shape {
		var dim buf
		if d.Value == 0 && d.Param != "" {
			dim.stringField(2, d.Param)
		} else {
			dim.varintFieldAlways(1, uint64(d.Value))
		}
		shape.messageFieldAlways(1, dim.b)
	}
	var tensor buf
	tensor.varintField(1, uint64(v.ElemType))
	tensor.messageFieldAlways(2, shape.b)
	var typ buf
	typ.messageFieldAlways(1, tensor.b)
	var b buf
	b.stringField(1, v.Name)
	b.messageFieldAlways(2, typ.b)
	return b.b
}

// buf is a protobuf wire-format writer.
type buf struct{ b []byte }

func (b *buf) varint(v uint64) { b.b = binary.AppendUvarint(b.b, v) }

func (b *buf) tag(field, wireType int) { b.varint(uint64(field)<<3 | uint64(wireType)) }

func (b *buf) varintField(field int, v uint64) {
	if v != 0 {
		b.varintFieldAlways(field, v)
	}
}

func (b *buf) varintFieldAlways(field int, v uint64) {
	b.tag(field, 0)
	b.varint(v)
}

func (b *buf) fixed32Field(field int, v uint32) {
	b.tag(field, 5)
	b.b = binary.LittleEndian.AppendUint32(b.b, v)
}

func (b *buf) stringField(field int, s string) {
	if s != "" {
		b.stringFieldAlways(field, s)
	}
}

func (b *buf) stringFieldAlways(field int, s string) {
	b.tag(field, 2)
	b.varint(uint64(len(s)))
	b.b = append(b.b, s...)
}

func (b *buf) messageField(field int, m []byte) {
	if len(m) != 0 {
		b.messageFieldAlways(field, m)
	}
}

func (b *buf) messageFieldAlways(field int, m []byte) {
	b.tag(field, 2)
	b.varint(uint64(len(m)))
	b.b = append(b.b, m...)
}
