package link

import (
	"errors"
	"fmt"
	"sync"

	"github.com/skysieve/skysieve/downlink/fec"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// ErrSeqExhausted is returned when the 64-bit security sequence runs out.
var ErrSeqExhausted = errors.New("link: security sequence number exhausted")

// Sender makes downlink frames (flight side). It owns the security
// sequence number, the master and virtual channel frame counts and the
// packet sequence counts; all its methods are safe for concurrent use.
type Sender struct {
	cfg Config

	mu       sync.Mutex
	sealer   *sdls.Sealer
	seq      uint64
	mc       uint8
	vc       [frame.MaxTMVCID + 1]uint8
	pktCount map[packet.Kind]uint16

	upMu     sync.Mutex
	upSealer *sdls.Sealer
	upWindow sdls.ReplayWindow
}

// NewSender returns a Sender whose first frame uses security sequence
// number startSeq. Sequence numbers must never repeat under a key: flight
// persists a reserved high-water mark H before using numbers below H, and
// after a restart passes H here (see Seq).
func NewSender(cfg Config, keys *sdls.Keys, startSeq uint64) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	down, err := keys.SA(cfg.DownlinkSPI)
	if err != nil {
		return nil, fmt.Errorf("link: downlink: %w", err)
	}
	up, err := keys.SA(cfg.UplinkSPI)
	if err != nil {
		return nil, fmt.Errorf("link: uplink: %w", err)
	}
	return &Sender{cfg: cfg, sealer: sdls.NewSealer(down, sdls.Downlink), seq: startSeq,
		pktCount: map[packet.Kind]uint16{}, upSealer: sdls.NewSealer(up, sdls.Uplink)}, nil
}

// Config returns the sender's configuration.
func (s *Sender) Config() Config { return s.cfg }

// FrameBytes is the length of every frame the sender makes.
func (s *Sender) FrameBytes() int { return s.cfg.FrameBytes }

// Seq is the next security sequence number; every number used so far is
// below it.
func (s *Sender) Seq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// ItemEncoder makes the frames of one item. It is safe for concurrent use
// and may be kept across passes to send repair symbols later.
type ItemEncoder struct {
	s      *Sender
	ref    ItemRef
	vcid   uint8
	enc    *fec.Encoder
	l      fec.Layout
	digest [packet.DigestBytes]byte
}

// Item prepares data (kind, id) for sending on the VC of priority class.
// data must not change while the encoder is in use.
func (s *Sender) Item(kind Kind, id ItemID, data []byte, class int) (*ItemEncoder, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("link: kind %v is not an item kind", kind)
	}
	vcid, err := s.cfg.VCForClass(class)
	if err != nil {
		return nil, err
	}
	l, err := s.cfg.Layout(len(data))
	if err != nil {
		return nil, fmt.Errorf("link: item %v: %w", ItemRef{Kind: kind, ID: id}, err)
	}
	enc, err := fec.NewEncoder(l, data)
	if err != nil {
		return nil, err
	}
	return &ItemEncoder{s: s, ref: ItemRef{Kind: kind, ID: id}, vcid: vcid, enc: enc, l: l,
		digest: packet.ItemDigest(data)}, nil
}

// Ref is the item's reference.
func (e *ItemEncoder) Ref() ItemRef { return e.ref }

// K is the number of source symbols (frames) the item needs with no loss;
// indices 0..K()-1 are source symbols, K() and above are repair symbols.
func (e *ItemEncoder) K() int { return e.l.SourceSymbols() }

// MaxSymbols is one more than the largest valid symbol index.
func (e *ItemEncoder) MaxSymbols() int { return e.l.MaxSymbols() }

// Layout is the item's code layout.
func (e *ItemEncoder) Layout() fec.Layout { return e.l }

// Reserve precomputes every repair symbol with index below symbols, in one
// batch per code block. Optional: a sender that knows how many symbols it
// will send this pass (K plus the repair its loss model asks for) saves
// work; AppendFrame computes missing repair symbols on demand anyway.
func (e *ItemEncoder) Reserve(symbols int) error {
	if err := e.enc.Reserve(symbols); err != nil {
		return fmt.Errorf("link: item %v: %w", e.ref, err)
	}
	return nil
}

// AppendFrame appends one complete, authenticated TM frame carrying symbol
// symbolIndex to dst and returns the extended slice. Repair symbols (index
// ≥ K) are computed on first use. Indices wrap modulo MaxSymbols: once
// every distinct symbol has been sent, index MaxSymbols()+j sends symbol j
// again (ground keeps the ones it lacks), so a sender can always make
// progress by counting up. Each call uses a new security sequence number
// and advances the frame counts, so call it once per frame sent.
func (e *ItemEncoder) AppendFrame(dst []byte, symbolIndex int) ([]byte, error) {
	if symbolIndex >= 0 {
		symbolIndex %= e.l.MaxSymbols()
	}
	data, err := e.enc.Symbol(symbolIndex)
	if err != nil {
		return dst, fmt.Errorf("link: item %v: %w", e.ref, err)
	}
	sym := packet.Symbol{Ref: e.ref, Index: uint32(symbolIndex), K: uint16(e.l.K), Blocks: uint16(e.l.Blocks),
		SizeBytes: uint16(e.l.SymbolBytes), ItemBytes: uint32(e.l.ItemBytes),
		Digest: e.digest, Data: data}
	return e.s.appendFrame(dst, e.vcid, 0, &sym)
}

// AppendIdle appends one authenticated idle frame (first header pointer
// 0x7FE) on the idle VC, for pacing and fill.
func (s *Sender) AppendIdle(dst []byte) ([]byte, error) {
	return s.appendFrame(dst, s.cfg.IdleVC, frame.FHPIdle, nil)
}

// appendFrame writes header, security header, packet (or idle fill), MAC
// and FECF, under s.mu.
func (s *Sender) appendFrame(dst []byte, vcid uint8, fhp uint16, sym *packet.Symbol) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seq == ^uint64(0) {
		return dst, ErrSeqExhausted
	}
	off := len(dst)
	n := s.cfg.FrameBytes
	if cap(dst)-off < n {
		nd := make([]byte, off, off+n)
		copy(nd, dst)
		dst = nd
	}
	f := dst[off : off+frameHeadBytes]
	h := frame.NewTMHeader(s.cfg.SpacecraftID, vcid, s.mc, s.vc[vcid], fhp)
	if err := h.Put(f); err != nil {
		return dst[:off], err
	}
	sdls.PutHeader(f[frame.TMHeaderBytes:], s.sealer.SA().SPI, s.seq)
	out := dst[:off+frameHeadBytes]
	if sym != nil {
		var err error
		out, err = packet.AppendSymbol(out, s.pktCount[sym.Ref.Kind], sym)
		if err != nil {
			return dst[:off], err
		}
		if len(out)-off != n-frameTailBytes {
			return dst[:off], fmt.Errorf("link: packet of %d bytes does not fill a %d-byte frame", len(out)-off-frameHeadBytes, n)
		}
		s.pktCount[sym.Ref.Kind] = (s.pktCount[sym.Ref.Kind] + 1) & packet.MaxSeqCount
	} else {
		out = out[:off+n-frameTailBytes]
		clear(out[off+frameHeadBytes:])
	}
	out = out[:off+n]
	f = out[off:]
	s.sealer.Seal(f[:n-frame.FECFBytes], frameHeadBytes, s.seq)
	frame.PutFECF(f)
	s.seq++
	s.mc++
	s.vc[vcid]++
	return out, nil
}

// DecodeReport verifies one uplink TC frame (CRC, spacecraft id, SPI, MAC,
// anti-replay) and returns the report part it carries.
func (s *Sender) DecodeReport(tc []byte) (report.Report, error) {
	h, err := frame.ParseTCHeader(tc)
	if err != nil {
		return report.Report{}, err
	}
	if err := frame.CheckFECF(tc); err != nil {
		return report.Report{}, err
	}
	if h.SCID != s.cfg.SpacecraftID {
		return report.Report{}, fmt.Errorf("%w: TC frame for spacecraft %d, we are %d", frame.ErrMalformed, h.SCID, s.cfg.SpacecraftID)
	}
	body := tc[:len(tc)-frame.FECFBytes]
	if len(body) < frame.TCHeaderBytes+sdls.OverheadBytes {
		return report.Report{}, fmt.Errorf("%w: TC frame of %d bytes cannot hold security fields", frame.ErrMalformed, len(tc))
	}
	spi, seq, err := sdls.ParseHeader(body[frame.TCHeaderBytes:])
	if err != nil {
		return report.Report{}, err
	}
	s.upMu.Lock()
	defer s.upMu.Unlock()
	if spi != s.upSealer.SA().SPI {
		return report.Report{}, fmt.Errorf("%w: TC frame SPI %d, uplink uses %d", sdls.ErrUnknownSPI, spi, s.upSealer.SA().SPI)
	}
	if err := s.upWindow.Check(seq); err != nil {
		return report.Report{}, err
	}
	buf := append([]byte(nil), body...)
	if err := s.upSealer.Open(buf, frame.TCHeaderBytes+sdls.HeaderBytes, seq); err != nil {
		return report.Report{}, err
	}
	s.upWindow.Accept(seq)
	return report.Parse(buf[frame.TCHeaderBytes+sdls.HeaderBytes : len(buf)-sdls.MACBytes])
}

// UplinkReplayTop is the highest security sequence number of an uplink
// frame whose MAC verified (0 if none). Only verified frames move it, so
// flight may persist it after each accepted report and hand it to
// RestoreUplinkReplay after a restart: reports recorded before the restart
// are then rejected as replays, and a forged frame can never raise it.
func (s *Sender) UplinkReplayTop() uint64 {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	return s.upWindow.Top()
}

// RestoreUplinkReplay treats every uplink sequence number up to top as
// already seen (see sdls.ReplayWindow.Restore). It is a no-op for 0, the
// state of a flight that never accepted a report.
func (s *Sender) RestoreUplinkReplay(top uint64) {
	if top == 0 {
		return
	}
	s.upMu.Lock()
	defer s.upMu.Unlock()
	s.upWindow.Restore(top)
}
