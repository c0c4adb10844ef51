package report

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/packet"
)

// TestGolden checks a report against the layout in doc.go, by hand:
// version 1, flags 0, seq 0x01020304, time 0x0000019A_2B3C4D5E ms, part 0
// of 1, one complete, one need.
func TestGolden(t *testing.T) {
	r := Report{
		Seq: 0x01020304, Time: time.UnixMilli(0x19A2B3C4D5E).UTC(), Parts: 1,
		Complete: []ItemRef{{Kind: packet.KindRecord, ID: packet.ItemID{0: 0xAB}}},
		Need:     []NeedRef{{Ref: ItemRef{Kind: packet.KindChip, ID: packet.ItemID{15: 0xCD}}, Symbols: 0x102}},
	}
	got, err := r.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("01" + "00" + "01020304" + "0000019a2b3c4d5e" + "00" + "01" + "0001" + "0001" +
		"0100" + "ab000000000000000000000000000000" +
		"0101" + "000000000000000000000000000000cd" + "00000102")
	if !bytes.Equal(got, want) {
		t.Fatalf("\n% X\nwant\n% X", got, want)
	}
	back, err := Parse(want)
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Fatalf("parse = %+v, %v", back, err)
	}
}

// TestSplitRoundTrip: any report splits into parts within the size limit
// that parse back to the same entries in order.
func TestSplitRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	kinds := []packet.Kind{packet.KindRecord, packet.KindChip, packet.KindHousekeeping}
	for trial := 0; trial < 200; trial++ {
		r := Report{Seq: rng.Uint32(), Time: time.UnixMilli(rng.Int64N(1 << 42)).UTC()}
		for i := rng.IntN(300); i > 0; i-- {
			var id packet.ItemID
			id[0], id[1] = byte(i), byte(trial)
			r.Complete = append(r.Complete, ItemRef{Kind: kinds[rng.IntN(3)], ID: id})
		}
		for i := rng.IntN(300); i > 0; i-- {
			var id packet.ItemID
			id[2] = byte(i)
			r.Need = append(r.Need, NeedRef{Ref: ItemRef{Kind: kinds[rng.IntN(3)], ID: id}, Symbols: rng.IntN(1000)})
		}
		limit := 200 + rng.IntN(1000)
		parts, err := Split(r, limit)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		for i, p := range parts {
			b, err := p.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > limit {
				t.Fatalf("part of %d bytes, limit %d", len(b), limit)
			}
			q, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if q.Part != i || q.Parts != len(parts) || q.Seq != r.Seq || !q.Time.Equal(r.Time) {
				t.Fatalf("part header %+v", q)
			}
			back.Complete = append(back.Complete, q.Complete...)
			back.Need = append(back.Need, q.Need...)
		}
		if !reflect.DeepEqual(back.Complete, r.Complete) || !reflect.DeepEqual(back.Need, r.Need) {
			t.Fatalf("trial %d: entries differ after split", trial)
		}
	}
	if _, err := Split(Report{}, 30); err == nil {
		t.Fatal("limit below one entry accepted")
	}
}

func TestParseRejects(t *testing.T) {
	good, _ := (&Report{Parts: 1, Complete: []ItemRef{{Kind: packet.KindChip}}}).AppendBinary(nil)
	for _, c := range []struct {
		name string
		mut  func([]byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:10] }},
		{"version", func(b []byte) []byte { b[0] = 2; return b }},
		{"flags", func(b []byte) []byte { b[1] = 1; return b }},
		{"parts zero", func(b []byte) []byte { b[15] = 0; return b }},
		{"part beyond", func(b []byte) []byte { b[14] = 1; return b }},
		{"count too big", func(b []byte) []byte { b[16], b[17] = 0xFF, 0xFF; return b }},
		{"trailing", func(b []byte) []byte { return append(b, 0) }},
		{"kind", func(b []byte) []byte { b[HeaderBytes] = 0x7F; return b }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.mut(bytes.Clone(good))); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	good, _ := (&Report{Parts: 2, Part: 1, Complete: []ItemRef{{Kind: packet.KindChip}},
		Need: []NeedRef{{Ref: ItemRef{Kind: packet.KindRecord}, Symbols: 3}}}).AppendBinary(nil)
	f.Add(good)
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v is not ErrMalformed", err)
			}
			return
		}
		out, err := r.AppendBinary(nil)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("re-encode: %v\n% X\n% X", err, out, in)
		}
	})
}
