package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/record"
)

// members makes n members with valid records (ids ...0000 + i) and chips
// on all but every third.
func members(n int) []Member {
	out := make([]Member, n)
	for i := range out {
		d := &record.Detection{
			ID: fmt.Sprintf("%032x", 0xb0000+i), Class: record.ClassVessel, Confidence: 0.9, Priority: 0.5,
			Footprint:   [][2]float64{{10, 45}, {10.1, 45}, {10.1, 45.1}, {10, 45.1}, {10, 45}},
			CaptureTime: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC), Satellite: "SKY-1", SceneID: "s", TileRow: i,
		}
		b, err := record.Marshal(d)
		if err != nil {
			panic(err)
		}
		out[i].Record = b
		out[i].ID, _ = packet.ParseDetectionID(d.ID)
		if i%3 != 2 {
			out[i].Chip = bytes.Repeat([]byte{0xff, byte(i)}, 40+7*i)
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 7, 300} {
		in := members(n)
		b, err := Encode([]byte("prefix"), in)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(b)-len("prefix"), Size(in); got != want {
			t.Fatalf("n=%d: encoded %d bytes, Size says %d", n, got, want)
		}
		out, err := Decode(b[len("prefix"):])
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(out) != n {
			t.Fatalf("n=%d: decoded %d members", n, len(out))
		}
		for i := range in {
			if out[i].ID != in[i].ID || !bytes.Equal(out[i].Record, in[i].Record) || !bytes.Equal(out[i].Chip, in[i].Chip) {
				t.Fatalf("n=%d: member %d differs", n, i)
			}
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	for name, in := range map[string][]Member{
		"empty":       nil,
		"no record":   {{Chip: []byte{1}}},
		"too many":    make([]Member, MaxMembers+1),
		"huge record": {{Record: make([]byte, MaxPartBytes+1)}},
		"huge chip":   {{Record: []byte{1}, Chip: make([]byte, MaxPartBytes+1)}},
	} {
		if _, err := Encode(nil, in); err == nil {
			t.Errorf("%s: Encode accepted it", name)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := Encode(nil, members(3))
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short header", good[:5]},
		{"bad magic", mut(func(b []byte) []byte { b[3] = '2'; return b })},
		{"zero members", mut(func(b []byte) []byte { b[4], b[5] = 0, 0; return b })},
		{"count beyond data", mut(func(b []byte) []byte { b[4], b[5] = 0x0f, 0xff; return b })},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"zero record", mut(func(b []byte) []byte { b[6], b[7] = 0, 0; return b })},
		{"record length huge", mut(func(b []byte) []byte { copy(b[6:], []byte{0xff, 0xff, 0xff, 0x7f}); return b })},
		{"record length not shortest", mut(func(b []byte) []byte { return append(b[:6:6], append([]byte{0x80, 0x80, 0x00}, b[6:]...)...) })},
		{"record past end", mut(func(b []byte) []byte { copy(b[6:], []byte{0xff, 0x7f}); return b })},
		{"record not a record", mut(func(b []byte) []byte { b[8] = '['; return b })},
	} {
		_, err := Decode(c.data)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", c.name, err)
		}
	}
}

func TestIDStableAndOrderSensitive(t *testing.T) {
	a, b := packet.ItemID{1}, packet.ItemID{2}
	if ID([]packet.ItemID{a, b}) != ID([]packet.ItemID{{1}, {2}}) {
		t.Fatal("same members, different ids")
	}
	if ID([]packet.ItemID{a, b}) == ID([]packet.ItemID{b, a}) {
		t.Fatal("order does not change the id")
	}
	if ID([]packet.ItemID{a}) == a {
		t.Fatal("a one-member bundle reuses its member's id")
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(nil, members(4))
	f.Add(good)
	f.Add([]byte("SKB1\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := Encode(nil, ms)
		if err != nil {
			t.Fatalf("decoded bundle does not re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("decode/encode is not the identity")
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data, _ := Encode(nil, members(40))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParts(t *testing.T) {
	ms := members(3)
	if p := ms[0].Parts(); len(p) != 2 || p[0].Ref.Kind != packet.KindRecord || p[1].Ref.Kind != packet.KindChip ||
		p[0].Ref.ID != ms[0].ID || !bytes.Equal(p[1].Data, ms[0].Chip) {
		t.Fatalf("member with a chip: %+v", p)
	}
	if p := ms[2].Parts(); len(p) != 1 || p[0].Ref.Kind != packet.KindRecord {
		t.Fatalf("member without a chip: %+v", p)
	}
}
