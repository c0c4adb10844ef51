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
// is not what Skysieve sends (wrong spacecraft, bad packet, no packet).
var ErrMalformed = errors.New("link: malformed frame")

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
	Idle    bool
	// Gap is how many frames of this VC were missed at this station before
	// this one, from the VC frame count (modulo 256).
	Gap       int
	Symbols   []Symbol
	Completed []Item
}

// Receiver verifies downlink frames and reassembles items (ground side).
// It is safe for concurrent use; frames are processed one at a time.
type Receiver struct {
	cfg  Config
	keys *sdls.Keys
	ra   *reassembly.Reassembler

	mu       sync.Mutex
	sealers  map[uint16]*sdls.Sealer
	windows  map[stationSPI]*sdls.ReplayWindow
	lastVC   map[stationVC]uint8
	counters map[CounterKey]uint64
	buf      []byte   // the decrypted frame
	syms     []Symbol // Result.Symbols, reused
}

type stationSPI struct {
	station string
	spi     uint16
}

type stationVC struct {
	station string
	vc      uint8
}

// NewReceiver returns a Receiver with a new Reassembler bounded by rc.
// Anti-replay windows are kept per station and SPI: the same frame heard
// by two stations is a duplicate symbol, not a replay; the same frame
// twice at one station is a replay.
func NewReceiver(cfg Config, keys *sdls.Keys, rc reassembly.Config) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := keys.SA(cfg.DownlinkSPI); err != nil {
		return nil, fmt.Errorf("link: downlink: %w", err)
	}
	return &Receiver{cfg: cfg, keys: keys, ra: reassembly.New(rc), sealers: map[uint16]*sdls.Sealer{},
		windows: map[stationSPI]*sdls.ReplayWindow{}, lastVC: map[stationVC]uint8{}, counters: map[CounterKey]uint64{}}, nil
}

// Reassembler is the receiver's reassembler, for persistence and reports.
func (r *Receiver) Reassembler() *reassembly.Reassembler { return r.ra }

// Counters returns a snapshot of all counters.
func (r *Receiver) Counters() map[CounterKey]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[CounterKey]uint64, len(r.counters))
	for k, v := range r.counters {
		out[k] = v
	}
	return out
}

func (r *Receiver) count(station string, vc int, reason Reason, n int) {
	r.counters[CounterKey{Station: station, VC: vc, Reason: reason}] += uint64(n)
}

// Receive processes one TM frame heard at station. It checks the length
// and FECF, the header, the SPI, the anti-replay window and the MAC, then
// feeds each symbol to the reassembler. A rejected frame returns an error
// wrapping frame.ErrCRC, sdls.ErrAuth, sdls.ErrUnknownSPI, sdls.ErrReplay
// or ErrMalformed, and is counted under that reason. frame is not
// modified.
func (r *Receiver) Receive(f []byte, station string) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Station: station, VC: -1}
	if len(f) != r.cfg.FrameBytes {
		r.count(station, -1, ReasonCRC, 1)
		return res, fmt.Errorf("%w: frame of %d bytes, link uses %d", frame.ErrCRC, len(f), r.cfg.FrameBytes)
	}
	if err := frame.CheckFECF(f); err != nil {
		r.count(station, -1, ReasonCRC, 1)
		return res, err
	}
	h, err := frame.ParseTMHeader(f)
	if err != nil {
		r.count(station, -1, ReasonMalformed, 1)
		return res, err
	}
	if h.SCID != r.cfg.SpacecraftID {
		r.count(station, -1, ReasonMalformed, 1)
		return res, fmt.Errorf("%w: spacecraft %d, want %d", ErrMalformed, h.SCID, r.cfg.SpacecraftID)
	}
	spi, seq, _ := sdls.ParseHeader(f[frame.TMHeaderBytes:])
	sealer, err := r.sealer(spi)
	if err != nil {
		r.count(station, -1, ReasonAuth, 1)
		return res, err
	}
	win := r.windows[stationSPI{station, spi}]
	if win == nil {
		win = &sdls.ReplayWindow{}
		r.windows[stationSPI{station, spi}] = win
	}
	if err := win.Check(seq); err != nil {
		r.count(station, -1, ReasonReplay, 1)
		return res, err
	}
	if cap(r.buf) < len(f) {
		r.buf = make([]byte, len(f))
	}
	r.buf = r.buf[:len(f)-frame.FECFBytes]
	if err := sealer.OpenTo(r.buf, f[:len(f)-frame.FECFBytes], frameHeadBytes, seq); err != nil {
		r.count(station, -1, ReasonAuth, 1)
		return res, err
	}
	win.Accept(seq)
	vc := int(h.VCID)
	res.VC, res.Seq = vc, seq
	key := stationVC{station, h.VCID}
	if last, ok := r.lastVC[key]; ok {
		res.Gap = int(h.VCCount - last - 1)
		if res.Gap > 0 {
			r.count(station, vc, ReasonGap, res.Gap)
		}
	}
	r.lastVC[key] = h.VCCount
	data := r.buf[frameHeadBytes : len(r.buf)-sdls.MACBytes]
	switch {
	case h.FHP == frame.FHPIdle:
		res.Idle = true
		r.count(station, vc, ReasonIdle, 1)
		return res, nil
	case h.FHP == frame.FHPNoPacketStart:
		r.count(station, vc, ReasonMalformed, 1)
		return res, fmt.Errorf("%w: no packet starts in the frame (FHP 0x7FF); Skysieve never splits packets", ErrMalformed)
	case int(h.FHP) >= len(data):
		r.count(station, vc, ReasonMalformed, 1)
		return res, fmt.Errorf("%w: first header pointer %d beyond %d data bytes", ErrMalformed, h.FHP, len(data))
	}
	return r.packets(res, data[h.FHP:])
}

// packets feeds every packet in data to the reassembler.
func (r *Receiver) packets(res Result, data []byte) (Result, error) {
	station, vc := res.Station, res.VC
	r.syms = r.syms[:0]
	for len(data) > 0 {
		ph, _, rest, err := packet.Split(data)
		if err != nil {
			r.count(station, vc, ReasonMalformed, 1)
			return res, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		pkt := data[:len(data)-len(rest)]
		data = rest
		if ph.APID == packet.IdleAPID {
			continue
		}
		sym, _, err := packet.ParseSymbol(pkt)
		if err != nil {
			r.count(station, vc, ReasonMalformed, 1)
			return res, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		ar, err := r.ra.Add(&sym)
		if err != nil {
			r.count(station, vc, ReasonMalformed, 1)
			return res, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		r.syms = append(r.syms, Symbol{Ref: sym.Ref, Index: int(sym.Index), Outcome: ar.Outcome, Need: ar.Need, Packet: pkt})
		if ar.Outcome == reassembly.Accepted {
			r.count(station, vc, ReasonAccepted, 1)
		} else {
			r.count(station, vc, ReasonDuplicate, 1)
		}
		res.Symbols = r.syms
		if ar.Item != nil {
			r.count(station, vc, ReasonComplete, 1)
			res.Completed = append(res.Completed, Item{Ref: sym.Ref, Data: ar.Item})
		}
	}
	return res, nil
}

func (r *Receiver) sealer(spi uint16) (*sdls.Sealer, error) {
	if s := r.sealers[spi]; s != nil {
		return s, nil
	}
	if spi != r.cfg.DownlinkSPI {
		return nil, fmt.Errorf("%w: %d is not the downlink SPI %d", sdls.ErrUnknownSPI, spi, r.cfg.DownlinkSPI)
	}
	sa, err := r.keys.SA(spi)
	if err != nil {
		return nil, err
	}
	s := sdls.NewSealer(sa, sdls.Downlink)
	r.sealers[spi] = s
	return s, nil
}
