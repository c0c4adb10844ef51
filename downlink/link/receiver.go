package link

import (
	"errors"
	"fmt"
	"sync"

	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/packet"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// Reason is why a frame or symbol was counted.
type Reason string

// Counter reasons. The first group are rejections: Receive returns an
// error for them. The rest count normal traffic.
const (
	ReasonCRC       Reason = "crc"       // FECF mismatch (or wrong length)
	ReasonAuth      Reason = "auth"      // MAC failed or unknown SPI
	ReasonReplay    Reason = "replay"    // sequence number seen or too old
	ReasonMalformed Reason = "malformed" // bad header, packet or symbol
	ReasonDuplicate Reason = "duplicate" // symbol already held or item complete
	ReasonAccepted  Reason = "accepted"  // symbol stored
	ReasonIdle      Reason = "idle"      // idle frame
	ReasonGap       Reason = "gap"       // frames missing by VC frame count
	ReasonComplete  Reason = "complete"  // items completed
)

// ErrMalformed is wrapped when a frame passed CRC and MAC but its content
// is not what Skysieve sends (wrong spacecraft, bad packet, no packet) or
// the reassembler refused a symbol; in that case the error also wraps the
// reassembly error (reassembly.ErrCorrupt, ErrInconsistent, ErrTooLarge,
// ErrDigest) for errors.Is.
var ErrMalformed = errors.New("link: malformed frame")

// ErrFrameLength is wrapped, together with frame.ErrCRC (it is counted as
// a CRC failure), when a frame is not the link's length: most often the
// two ends disagree on the frame length, which the ground must say
// plainly rather than show as a stream of CRC errors.
var ErrFrameLength = errors.New("link: frame length mismatch")

// CounterKey names one counter: station, virtual channel (-1 when the
// frame was rejected before its header could be trusted) and reason.
type CounterKey struct {
	Station string
	VC      int
	Reason  Reason
}

// Symbol describes one symbol a frame carried.
type Symbol struct {
	Ref     ItemRef
	Index   int
	Outcome reassembly.Outcome
	// Need is how many more symbols the item needs (0 once complete).
	Need int
	// Packet is the decrypted symbol packet, valid until the next Receive:
	// persist a copy of accepted ones and replay them with
	// Reassembler().AddPacket after a restart.
	Packet []byte
}

// Item is a completed, digest-verified item.
type Item struct {
	Ref  ItemRef
	Data []byte
}

// Result is what one received frame produced. Symbols (and each
// Symbol.Packet) are valid until the next Receive; Completed items belong
// to the caller.
type Result struct {
	Station string
	VC      int
	Seq     uint64 // security sequence number
	// Verified is set once the frame passed the anti-replay check and its
	// MAC: it came from the spacecraft, even if its content is then
	// refused as malformed. Only such a frame may steer the uplink.
	Verified bool
	Idle     bool
	// Gap is how many frames of this VC were missed at this station before
	// this one, from the VC frame count (modulo 256).
	Gap       int
	Symbols   []Symbol
	Completed []Item
}

// Receiver verifies downlink frames and reassembles items (ground side).
// It is safe for concurrent use; frames are processed one at a time.
type Receiver struct {
	cfg Config
	ra  *reassembly.Reassembler

	mu       sync.Mutex
	sealer   *sdls.Sealer
	stations map[string]*station
	buf      []byte   // the decrypted frame
	syms     []Symbol // Result.Symbols, reused
}

// reasons lists the counter reasons; counters are kept by index.
var reasons = [...]Reason{ReasonCRC, ReasonAuth, ReasonReplay, ReasonMalformed, ReasonDuplicate,
	ReasonAccepted, ReasonIdle, ReasonGap, ReasonComplete}

const (
	iCRC = iota
	iAuth
	iReplay
	iMalformed
	iDuplicate
	iAccepted
	iIdle
	iGap
	iComplete
)

// station is what the receiver keeps per station: its anti-replay window,
// the last VC frame count per VC, and its counters ([0] for frames
// rejected before their VC could be trusted, [1+vc] per VC).
type station struct {
	window   sdls.ReplayWindow
	lastVC   [frame.MaxTMVCID + 1]uint8
	lastSeq  [frame.MaxTMVCID + 1]uint64
	seenVC   [frame.MaxTMVCID + 1]bool
	counters [frame.MaxTMVCID + 2][len(reasons)]uint64
}

func (st *station) count(vc, reason, n int) { st.counters[vc+1][reason] += uint64(n) }

// NewReceiver returns a Receiver with a new Reassembler bounded by rc.
// Anti-replay windows are kept per station and SPI: the same frame heard
// by two stations is a duplicate symbol, not a replay; the same frame
// twice at one station is a replay.
func NewReceiver(cfg Config, keys *sdls.Keys, rc reassembly.Config) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sa, err := keys.SA(cfg.DownlinkSPI)
	if err != nil {
		return nil, fmt.Errorf("link: downlink: %w", err)
	}
	return &Receiver{cfg: cfg, ra: reassembly.New(rc), sealer: sdls.NewSealer(sa, sdls.Downlink),
		stations: map[string]*station{}}, nil
}

// Reassembler is the receiver's reassembler, for persistence and reports.
func (r *Receiver) Reassembler() *reassembly.Reassembler { return r.ra }

// Counters returns a snapshot of all counters.
func (r *Receiver) Counters() map[CounterKey]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[CounterKey]uint64{}
	for name, st := range r.stations {
		for vc := range st.counters {
			for i, v := range st.counters[vc] {
				if v != 0 {
					out[CounterKey{Station: name, VC: vc - 1, Reason: reasons[i]}] = v
				}
			}
		}
	}
	return out
}

// Receive processes one TM frame heard at station. It checks the length
// and FECF, the header, the SPI, the anti-replay window and the MAC, then
// feeds each symbol to the reassembler. A rejected frame returns an error
// wrapping frame.ErrCRC, sdls.ErrAuth, sdls.ErrUnknownSPI, sdls.ErrReplay
// or ErrMalformed, and is counted under that reason. frame is not
// modified. Station names should come from configuration: the receiver
// keeps a little state per name.
func (r *Receiver) Receive(f []byte, stationName string) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Station: stationName, VC: -1}
	st := r.stations[stationName]
	if st == nil {
		st = &station{}
		r.stations[stationName] = st
	}
	if len(f) != r.cfg.FrameBytes {
		st.count(-1, iCRC, 1)
		return res, fmt.Errorf("%w: %w: frame of %d bytes, link uses %d", frame.ErrCRC, ErrFrameLength, len(f), r.cfg.FrameBytes)
	}
	if err := frame.CheckFECF(f); err != nil {
		st.count(-1, iCRC, 1)
		return res, err
	}
	h, err := frame.ParseTMHeader(f)
	if err != nil {
		st.count(-1, iMalformed, 1)
		return res, err
	}
	if h.SCID != r.cfg.SpacecraftID {
		st.count(-1, iMalformed, 1)
		return res, fmt.Errorf("%w: spacecraft %d, want %d", ErrMalformed, h.SCID, r.cfg.SpacecraftID)
	}
	spi, seq, _ := sdls.ParseHeader(f[frame.TMHeaderBytes:])
	if spi != r.cfg.DownlinkSPI {
		st.count(-1, iAuth, 1)
		return res, fmt.Errorf("%w: %d is not the downlink SPI %d", sdls.ErrUnknownSPI, spi, r.cfg.DownlinkSPI)
	}
	if err := st.window.Check(seq); err != nil {
		st.count(-1, iReplay, 1)
		return res, err
	}
	if cap(r.buf) < len(f) {
		r.buf = make([]byte, len(f))
	}
	r.buf = r.buf[:len(f)-frame.FECFBytes]
	if err := r.sealer.OpenTo(r.buf, f[:len(f)-frame.FECFBytes], frameHeadBytes, seq); err != nil {
		st.count(-1, iAuth, 1)
		return res, err
	}
	st.window.Accept(seq)
	vc := int(h.VCID)
	res.VC, res.Seq, res.Verified = vc, seq, true
	// Gaps are counted on in-order frames only; a late frame (older
	// sequence number than the VC's last) fills no gap and opens none.
	if !st.seenVC[vc] || seq > st.lastSeq[vc] {
		if st.seenVC[vc] {
			res.Gap = int(h.VCCount - st.lastVC[vc] - 1)
			if res.Gap > 0 {
				st.count(vc, iGap, res.Gap)
			}
		}
		st.seenVC[vc], st.lastVC[vc], st.lastSeq[vc] = true, h.VCCount, seq
	}
	data := r.buf[frameHeadBytes : len(r.buf)-sdls.MACBytes]
	switch {
	case h.FHP == frame.FHPIdle:
		res.Idle = true
		st.count(vc, iIdle, 1)
		return res, nil
	case h.FHP == frame.FHPNoPacketStart:
		st.count(vc, iMalformed, 1)
		return res, fmt.Errorf("%w: no packet starts in the frame (FHP 0x7FF); Skysieve never splits packets", ErrMalformed)
	case int(h.FHP) >= len(data):
		st.count(vc, iMalformed, 1)
		return res, fmt.Errorf("%w: first header pointer %d beyond %d data bytes", ErrMalformed, h.FHP, len(data))
	}
	return r.packets(st, res, data[h.FHP:])
}

// packets feeds every packet in data to the reassembler.
func (r *Receiver) packets(st *station, res Result, data []byte) (Result, error) {
	vc := res.VC
	r.syms = r.syms[:0]
	for len(data) > 0 {
		ph, _, rest, err := packet.Split(data)
		if err != nil {
			st.count(vc, iMalformed, 1)
			return res, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		pkt := data[:len(data)-len(rest)]
		data = rest
		if ph.APID == packet.IdleAPID {
			continue
		}
		sym, _, err := packet.ParseSymbol(pkt)
		if err != nil {
			st.count(vc, iMalformed, 1)
			return res, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		ar, err := r.ra.Add(&sym)
		if err != nil {
			st.count(vc, iMalformed, 1)
			return res, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		r.syms = append(r.syms, Symbol{Ref: sym.Ref, Index: int(sym.Index), Outcome: ar.Outcome, Need: ar.Need, Packet: pkt})
		if ar.Outcome == reassembly.Accepted {
			st.count(vc, iAccepted, 1)
		} else {
			st.count(vc, iDuplicate, 1)
		}
		res.Symbols = r.syms
		if ar.Item != nil {
			st.count(vc, iComplete, 1)
			res.Completed = append(res.Completed, Item{Ref: sym.Ref, Data: ar.Item})
		}
	}
	return res, nil
}

// ReplayState returns, per station that has accepted a frame, the highest
// accepted security sequence number. A ground that persists it together
// with the symbols it logged, and hands it to RestoreReplayState after a
// restart, rejects frames recorded before the restart as replays.
func (r *Receiver) ReplayState() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]uint64, len(r.stations))
	for name, st := range r.stations {
		if top := st.window.Top(); top != 0 {
			out[name] = top
		}
	}
	return out
}

// RestoreReplayState treats, for each named station, every sequence number
// up to the saved one as already seen (see sdls.ReplayWindow.Restore).
func (r *Receiver) RestoreReplayState(tops map[string]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, top := range tops {
		st := r.stations[name]
		if st == nil {
			st = &station{}
			r.stations[name] = st
		}
		st.window.Restore(top)
	}
}
