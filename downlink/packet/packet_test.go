package packet

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestPrimaryHeaderGolden checks a header worked out by hand from CCSDS
// 133.0-B: version 000, type 0, secondary header flag 1, APID 0x100 →
// 000 0 1 00100000000 = 0x0900; sequence flags 11, count 5 → 0xC005; data
// length 100 − 1 = 0x0063.
func TestPrimaryHeaderGolden(t *testing.T) {
	h := Header{SecHeader: true, APID: 0x100, SeqFlags: SeqUnsegmented, SeqCount: 5, DataBytes: 100}
	var b [6]byte
	if err := h.Put(b[:]); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x09, 0x00, 0xC0, 0x05, 0x00, 0x63}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("header % X, want % X", b, want)
	}
	got, err := ParseHeader(want)
	if err != nil || got != h {
		t.Fatalf("parse = %+v, %v; want %+v", got, err, h)
	}
	// Telecommand, APID 0x7FF, first segment, count 0x3FFF, 65536 bytes:
	// 000 1 0 11111111111 = 0x17FF; 01 11111111111111 = 0x7FFF; 0xFFFF.
	h = Header{Telecommand: true, APID: 0x7FF, SeqFlags: SeqFirst, SeqCount: 0x3FFF, DataBytes: 65536}
	if err := h.Put(b[:]); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x17, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF}; !bytes.Equal(b[:], want) {
		t.Fatalf("header % X, want % X", b, want)
	}
}

// TestSymbolGolden checks a whole symbol packet byte for byte against the
// secondary header table in doc.go.
func TestSymbolGolden(t *testing.T) {
	s := Symbol{
		Ref:   ItemRef{Kind: KindChip, ID: ItemID{0: 0xAA, 15: 0xBB}},
		Index: 0x0102, K: 3, Blocks: 2, SizeBytes: 4, ItemBytes: 21,
		Digest: [8]byte{0: 0x11, 7: 0x22}, Data: []byte{1, 2, 3, 4},
	}
	got, err := AppendSymbol(nil, 9, &s)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("" +
		"0901" + "c009" + "002d" + // APID 0x101, unsegmented count 9, 46 data bytes − 1
		"aa0000000000000000000000000000bb" + // item id
		"00000102" + "0003" + "0002" + "0004" + "00000015" + // index k blocks size length
		"1100000000000022" + // digest
		"00000000" + // CRC-32C of the data, filled in below (the algorithm has its own check value)
		"01020304")
	crc := SymbolCRC([]byte{1, 2, 3, 4})
	want[44], want[45], want[46], want[47] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	if !bytes.Equal(got, want) {
		t.Fatalf("packet\n% X\nwant\n% X", got, want)
	}
	// CRC-32C check value (RFC 3720 B.4): "123456789" → 0xE3069283.
	if c := SymbolCRC([]byte("123456789")); c != 0xE3069283 {
		t.Fatalf("CRC-32C = %#x", c)
	}
	p, rest, err := ParseSymbol(append(got, 0xEE))
	if err != nil || len(rest) != 1 {
		t.Fatalf("parse: %v rest %d", err, len(rest))
	}
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Data, s.Data) || p.Ref != s.Ref || p.Index != s.Index || p.K != s.K || p.Blocks != s.Blocks ||
		p.SizeBytes != s.SizeBytes || p.ItemBytes != s.ItemBytes || p.Digest != s.Digest || p.CRC != s.CRC {
		t.Fatalf("parsed %+v, want %+v", p, s)
	}
}

func TestParseSymbolRejects(t *testing.T) {
	good := func() []byte {
		s := Symbol{Ref: ItemRef{Kind: KindRecord}, K: 2, Blocks: 1, SizeBytes: 4, ItemBytes: 8, Data: []byte{1, 2, 3, 4}}
		b, err := AppendSymbol(nil, 0, &s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		mut  func([]byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"version", func(b []byte) []byte { b[0] |= 0x20; return b }},
		{"telecommand", func(b []byte) []byte { b[0] |= 0x10; return b }},
		{"no secondary header", func(b []byte) []byte { b[0] &^= 0x08; return b }},
		{"idle apid", func(b []byte) []byte { b[0] |= 0x07; b[1] = 0xFF; return b }},
		{"segmented", func(b []byte) []byte { b[2] &^= 0x40; return b }},
		{"k zero", func(b []byte) []byte { b[6+20], b[6+21] = 0, 0; return b }},
		{"k wrong", func(b []byte) []byte { b[6+21] = 3; return b }},
		{"blocks wrong", func(b []byte) []byte { b[6+23] = 2; return b }},
		{"size mismatch", func(b []byte) []byte { b[6+25] = 5; return b }},
		{"length zero", func(b []byte) []byte { b[6+29] = 0; return b }},
		{"index beyond", func(b []byte) []byte { b[6+18] = 1; return b }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := ParseSymbol(c.mut(good())); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	b := good()
	b[len(b)-1] ^= 1
	s, _, err := ParseSymbol(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); !errors.Is(err, ErrSymbolCRC) {
		t.Fatalf("Verify = %v, want ErrSymbolCRC", err)
	}
}

func TestDetectionID(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"00112233445566778899aabbccddeeff", true},
		{"00112233445566778899AABBCCDDEEFF", false},
		{"00112233445566778899aabbccddeef", false},
		{"00112233445566778899aabbccddeeff00", false},
		{"0011223344556677", false},
		{"g0112233445566778899aabbccddeeff", false},
		{"", false},
	} {
		id, err := ParseDetectionID(c.in)
		if c.ok != (err == nil) {
			t.Fatalf("%q: err = %v", c.in, err)
		}
		if err != nil {
			if !errors.Is(err, ErrBadID) {
				t.Fatalf("%q: %v is not ErrBadID", c.in, err)
			}
			continue
		}
		if FormatID(id) != c.in {
			t.Fatalf("round trip %q → %q", c.in, FormatID(id))
		}
	}
}

func FuzzParseSymbol(f *testing.F) {
	s := Symbol{Ref: ItemRef{Kind: KindChip, ID: ItemID{7}}, Index: 3, K: 2, Blocks: 1, SizeBytes: 5, ItemBytes: 9, Data: []byte("abcde")}
	b, _ := AppendSymbol(nil, 1, &s)
	f.Add(b)
	f.Add([]byte{0x09, 0x00, 0xC0, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		s, rest, err := ParseSymbol(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		out, err := AppendSymbol(nil, 0, &s)
		if err != nil {
			t.Fatalf("parsed symbol does not re-encode: %v", err)
		}
		pkt := in[:len(in)-len(rest)]
		// Everything but the sequence count and CRC round-trips.
		out[2], out[3] = pkt[2], pkt[3]
		copy(out[PrimaryHeaderBytes+38:PrimaryHeaderBytes+42], pkt[PrimaryHeaderBytes+38:])
		if !bytes.Equal(out, pkt) {
			t.Fatalf("re-encoded\n% X\nfrom\n% X", out, pkt)
		}
	})
}
