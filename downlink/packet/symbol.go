package packet

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// SecHeaderBytes is the size of the Skysieve secondary header.
const SecHeaderBytes = 42

// OverheadBytes is the packet bytes around one symbol.
const OverheadBytes = PrimaryHeaderBytes + SecHeaderBytes

// DigestBytes is the size of the item digest (see ItemDigest).
const DigestBytes = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SymbolCRC is the CRC-32C the secondary header carries for data.
func SymbolCRC(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

// Symbol is one erasure-coded symbol with the secondary header fields that
// place it in its item. Data has exactly SizeBytes bytes.
type Symbol struct {
	Ref       ItemRef
	Index     uint32 // symbol index within the item
	K         uint16 // source symbols per code block
	Blocks    uint16 // code blocks in the item
	SizeBytes uint16 // symbol size
	ItemBytes uint32 // item length
	Digest    [DigestBytes]byte
	CRC       uint32 // CRC-32C of Data
	Data      []byte
}

// AppendSymbol appends a complete Space Packet carrying s to dst, with the
// given 14-bit sequence count. It computes s.CRC itself from s.Data and
// checks the header fields as ParseSymbol does.
func AppendSymbol(dst []byte, seqCount uint16, s *Symbol) ([]byte, error) {
	if !s.Ref.Kind.Valid() {
		return dst, fmt.Errorf("packet: kind %v is not an item kind", s.Ref.Kind)
	}
	if len(s.Data) != int(s.SizeBytes) || s.SizeBytes == 0 {
		return dst, fmt.Errorf("packet: symbol has %d bytes, header says %d", len(s.Data), s.SizeBytes)
	}
	if err := s.checkLayout(); err != nil {
		return dst, err
	}
	n := OverheadBytes + len(s.Data)
	if n-PrimaryHeaderBytes > 65536 {
		return dst, fmt.Errorf("packet: symbol of %d bytes does not fit a packet", len(s.Data))
	}
	off := len(dst)
	dst = grow(dst, n)
	b := dst[off:]
	h := Header{SecHeader: true, APID: uint16(s.Ref.Kind), SeqFlags: SeqUnsegmented,
		SeqCount: seqCount & MaxSeqCount, DataBytes: n - PrimaryHeaderBytes}
	if err := h.Put(b); err != nil {
		return dst[:off], err
	}
	p := b[PrimaryHeaderBytes:]
	copy(p[0:16], s.Ref.ID[:])
	binary.BigEndian.PutUint32(p[16:], s.Index)
	binary.BigEndian.PutUint16(p[20:], s.K)
	binary.BigEndian.PutUint16(p[22:], s.Blocks)
	binary.BigEndian.PutUint16(p[24:], s.SizeBytes)
	binary.BigEndian.PutUint32(p[26:], s.ItemBytes)
	copy(p[30:38], s.Digest[:])
	copy(p[SecHeaderBytes:], s.Data)
	s.CRC = SymbolCRC(s.Data)
	binary.BigEndian.PutUint32(p[38:], s.CRC)
	return dst, nil
}

// ParseSymbol decodes one symbol packet at the start of b and returns the
// bytes after it. s.Data aliases b. It checks the header's structure (kind,
// sizes, k and block counts consistent with the item length) but not the
// CRC: call Verify for that.
func ParseSymbol(b []byte) (s Symbol, rest []byte, err error) {
	h, data, rest, err := Split(b)
	if err != nil {
		return Symbol{}, nil, err
	}
	if err := parseSymbolData(&s, h, data); err != nil {
		return Symbol{}, nil, err
	}
	return s, rest, nil
}

func parseSymbolData(s *Symbol, h Header, data []byte) error {
	k := Kind(h.APID)
	if h.Telecommand || !h.SecHeader || !k.Valid() {
		return fmt.Errorf("%w: APID %#x type %v secondary header %v is not a Skysieve symbol",
			ErrMalformed, h.APID, h.Telecommand, h.SecHeader)
	}
	if h.SeqFlags != SeqUnsegmented {
		return fmt.Errorf("%w: sequence flags %02b, want unsegmented", ErrMalformed, h.SeqFlags)
	}
	if len(data) < SecHeaderBytes+1 {
		return fmt.Errorf("%w: data field of %d bytes too short for a symbol", ErrMalformed, len(data))
	}
	s.Ref.Kind = k
	copy(s.Ref.ID[:], data[0:16])
	s.Index = binary.BigEndian.Uint32(data[16:])
	s.K = binary.BigEndian.Uint16(data[20:])
	s.Blocks = binary.BigEndian.Uint16(data[22:])
	s.SizeBytes = binary.BigEndian.Uint16(data[24:])
	s.ItemBytes = binary.BigEndian.Uint32(data[26:])
	copy(s.Digest[:], data[30:38])
	s.CRC = binary.BigEndian.Uint32(data[38:])
	s.Data = data[SecHeaderBytes:]
	if len(s.Data) != int(s.SizeBytes) {
		return fmt.Errorf("%w: %v symbol %d carries %d bytes, header says %d",
			ErrMalformed, s.Ref, s.Index, len(s.Data), s.SizeBytes)
	}
	return s.checkLayout()
}

// MaxBlockSymbols is the most symbols (source plus repair) one code block
// can have: Reed-Solomon over GF(2^8).
const MaxBlockSymbols = 256

func (s *Symbol) checkLayout() error {
	if s.ItemBytes == 0 || s.K == 0 || s.Blocks == 0 {
		return fmt.Errorf("%w: %v: zero item length, k or block count", ErrMalformed, s.Ref)
	}
	if int(s.K) >= MaxBlockSymbols {
		return fmt.Errorf("%w: %v: k=%d leaves no room for repair symbols", ErrMalformed, s.Ref, s.K)
	}
	total := uint64(s.SizeBytes) * uint64(s.K) * uint64(s.Blocks)
	srcSyms := (uint64(s.ItemBytes) + uint64(s.SizeBytes) - 1) / uint64(s.SizeBytes)
	if total < uint64(s.ItemBytes) || srcSyms < uint64(s.Blocks) ||
		uint64(s.K) != (srcSyms+uint64(s.Blocks)-1)/uint64(s.Blocks) {
		return fmt.Errorf("%w: %v: k=%d blocks=%d symbol=%dB do not lay out a %d-byte item",
			ErrMalformed, s.Ref, s.K, s.Blocks, s.SizeBytes, s.ItemBytes)
	}
	if uint64(s.Index) >= uint64(s.Blocks)*MaxBlockSymbols {
		return fmt.Errorf("%w: %v: symbol index %d beyond %d blocks of %d",
			ErrMalformed, s.Ref, s.Index, s.Blocks, MaxBlockSymbols)
	}
	return nil
}

// ErrSymbolCRC is returned by Verify when the symbol bytes do not match
// their CRC-32C.
var ErrSymbolCRC = fmt.Errorf("%w: symbol CRC-32C mismatch", ErrMalformed)

// Verify checks s.Data against s.CRC.
func (s *Symbol) Verify() error {
	if SymbolCRC(s.Data) != s.CRC {
		return fmt.Errorf("%w: %v symbol %d", ErrSymbolCRC, s.Ref, s.Index)
	}
	return nil
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}
