package reassembly

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/skysieve/skysieve/downlink/packet"
)

// stateMagic opens an exported state; the last byte is the format version.
var stateMagic = [8]byte{'S', 'K', 'Y', 'R', 'S', 'M', 0, 1}

// ErrState is wrapped by Import errors.
var ErrState = errors.New("reassembly: bad state")

// Export writes the whole state: remembered completed items, then every
// held symbol as a packet. The format is
//
//	magic "SKYRSM\x00\x01"
//	uint32 C, then C × (APID uint16, id [16]byte)
//	uint32 S, then S × (uint32 length, symbol packet)
//
// all big-endian. Import reads it back.
func (r *Reassembler) Export(w io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	bw := bufio.NewWriter(w)
	bw.Write(stateMagic[:])
	var n [4]byte
	done := len(r.doneOrder)
	binary.BigEndian.PutUint32(n[:], uint32(done))
	bw.Write(n[:])
	for i := 0; i < done; i++ {
		ref := r.doneOrder[(r.doneNext+i)%done]
		bw.Write(binary.BigEndian.AppendUint16(nil, uint16(ref.Kind)))
		bw.Write(ref.ID[:])
	}
	var syms []packet.Symbol
	for e := r.age.Front(); e != nil; e = e.Next() {
		it := e.Value.(*item)
		for bi := range it.blocks {
			b := &it.blocks[bi]
			emit := func(row int, data []byte) {
				syms = append(syms, packet.Symbol{Ref: it.ref, Index: uint32(it.l.Index(bi, row)),
					K: uint16(it.l.K), Blocks: uint16(it.l.Blocks),
					SizeBytes: uint16(it.l.SymbolBytes), ItemBytes: uint32(it.l.ItemBytes),
					Digest: it.digest, Data: data})
			}
			if b.done {
				for row := 0; row < it.l.K; row++ {
					emit(row, b.slab[row*it.l.SymbolBytes:(row+1)*it.l.SymbolBytes])
				}
				continue
			}
			for row, d := range b.rows {
				if len(d) > 0 {
					emit(row, d)
				}
			}
		}
	}
	binary.BigEndian.PutUint32(n[:], uint32(len(syms)))
	bw.Write(n[:])
	var buf []byte
	for i := range syms {
		var err error
		buf, err = packet.AppendSymbol(buf[:0], 0, &syms[i])
		if err != nil {
			return fmt.Errorf("reassembly: export %v: %w", syms[i].Ref, err)
		}
		binary.BigEndian.PutUint32(n[:], uint32(len(buf)))
		bw.Write(n[:])
		bw.Write(buf)
	}
	return bw.Flush()
}

// maxPacketBytes bounds one symbol packet in an exported state.
const maxPacketBytes = packet.PrimaryHeaderBytes + 65536

// Import adds an exported state to r (usually a new one). Symbols go
// through Add, so a damaged state yields errors, not bad items; items a
// symbol completes during import are counted as completed and remembered
// but not returned (they were not complete when exported only if the
// export was torn, and the caller had them already).
func (r *Reassembler) Import(rd io.Reader) error {
	br := bufio.NewReader(rd)
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return fmt.Errorf("%w: magic: %v", ErrState, err)
	}
	if magic != stateMagic {
		return fmt.Errorf("%w: magic %q, want %q", ErrState, magic[:], stateMagic[:])
	}
	var n [4]byte
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return fmt.Errorf("%w: completed count: %v", ErrState, err)
	}
	var ref [2 + packet.IDBytes]byte
	for i, c := 0, binary.BigEndian.Uint32(n[:]); i < int(c); i++ {
		if _, err := io.ReadFull(br, ref[:]); err != nil {
			return fmt.Errorf("%w: completed entry %d: %v", ErrState, i, err)
		}
		ir := packet.ItemRef{Kind: packet.Kind(binary.BigEndian.Uint16(ref[:]))}
		if !ir.Kind.Valid() {
			return fmt.Errorf("%w: completed entry %d: APID %#x is not an item kind", ErrState, i, uint16(ir.Kind))
		}
		copy(ir.ID[:], ref[2:])
		r.mu.Lock()
		if _, ok := r.done[ir]; !ok {
			r.markDone(ir)
		}
		r.mu.Unlock()
	}
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return fmt.Errorf("%w: symbol count: %v", ErrState, err)
	}
	var buf []byte
	for i, c := 0, binary.BigEndian.Uint32(n[:]); i < int(c); i++ {
		if _, err := io.ReadFull(br, n[:]); err != nil {
			return fmt.Errorf("%w: symbol %d length: %v", ErrState, i, err)
		}
		size := binary.BigEndian.Uint32(n[:])
		if size > maxPacketBytes {
			return fmt.Errorf("%w: symbol %d of %d bytes exceeds %d", ErrState, i, size, maxPacketBytes)
		}
		buf = append(buf[:0], make([]byte, size)...)
		if _, err := io.ReadFull(br, buf); err != nil {
			return fmt.Errorf("%w: symbol %d: %v", ErrState, i, err)
		}
		if _, err := r.AddPacket(buf); err != nil {
			return fmt.Errorf("%w: symbol %d: %v", ErrState, i, err)
		}
	}
	return nil
}
