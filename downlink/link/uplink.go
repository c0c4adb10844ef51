package link

import (
	"fmt"
	"sync"

	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// MaxReportBytes is the report bytes one TC frame carries.
const MaxReportBytes = frame.MaxTCFrameBytes - frame.TCHeaderBytes - sdls.OverheadBytes - frame.FECFBytes

// ReportEncoder makes authenticated uplink TC frames carrying reports
// (ground side). Like Sender it owns a security sequence number that must
// never repeat: persist a reserved high-water mark and restart from it.
// It is safe for concurrent use.
type ReportEncoder struct {
	cfg Config

	mu     sync.Mutex
	sealer *sdls.Sealer
	seq    uint64
	tcSeq  uint8
}

// NewReportEncoder returns an encoder whose first frame uses security
// sequence number startSeq.
func NewReportEncoder(cfg Config, keys *sdls.Keys, startSeq uint64) (*ReportEncoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sa, err := keys.SA(cfg.UplinkSPI)
	if err != nil {
		return nil, fmt.Errorf("link: uplink: %w", err)
	}
	return &ReportEncoder{cfg: cfg, sealer: sdls.NewSealer(sa, sdls.Uplink), seq: startSeq}, nil
}

// Seq is the next security sequence number.
func (e *ReportEncoder) Seq() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seq
}

// EncodeReport splits rep into parts that fit one TC frame each and
// returns one authenticated TC frame per part (Type-BD: bypass flag set,
// no COP-1). Each frame stands alone: Sender.DecodeReport returns its part.
func (e *ReportEncoder) EncodeReport(rep report.Report) ([][]byte, error) {
	parts, err := report.Split(rep, MaxReportBytes)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	frames := make([][]byte, 0, len(parts))
	for i := range parts {
		if e.seq == ^uint64(0) {
			return nil, ErrSeqExhausted
		}
		head := frame.TCHeaderBytes + sdls.HeaderBytes
		b := make([]byte, head, frame.MaxTCFrameBytes)
		b, err = parts[i].AppendBinary(b)
		if err != nil {
			return nil, err
		}
		n := len(b) + sdls.MACBytes + frame.FECFBytes
		h := frame.TCHeader{Bypass: true, SCID: e.cfg.SpacecraftID, VCID: e.cfg.UplinkVC, FrameBytes: n, Seq: e.tcSeq}
		if err := h.Put(b); err != nil {
			return nil, err
		}
		sdls.PutHeader(b[frame.TCHeaderBytes:], e.sealer.SA().SPI, e.seq)
		b = b[:n]
		e.sealer.Seal(b[:n-frame.FECFBytes], head, e.seq)
		frame.PutFECF(b)
		e.seq++
		e.tcSeq++
		frames = append(frames, b)
	}
	return frames, nil
}
