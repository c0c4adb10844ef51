package link

import (
	"bytes"
	"errors"
	"testing"

	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// forgedSeq is far ahead of any genuine sequence number: were a window to
// move to it, every genuine frame after it would be stale.
const forgedSeq = uint64(1) << 40

// attackerKeys has the link's SPIs with keys the link does not use.
func attackerKeys(t *testing.T) *sdls.Keys {
	t.Helper()
	k := sdls.NewKeys()
	for spi := uint16(1); spi <= 3; spi++ {
		if err := k.Add(spi, sdls.ModeEncrypt, bytes.Repeat([]byte{byte(spi), 0x5a}, 16)); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// A downlink frame with sequence 2^40 that fails the MAC (re-sequenced
// genuine frame, or one sealed under another key) moves no window and is
// not in the replay state a ground persists: genuine frames go on being
// accepted, also by a receiver restored from that state.
func TestForgedHighSequenceMovesNoDownlinkWindow(t *testing.T) {
	cfg := DefaultConfig()
	s, r := pair(t, cfg)
	enc, err := s.Item(KindRecord, ItemID{9}, make([]byte, 4*cfg.SymbolBytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	first, err := enc.AppendFrame(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Receive(first, "a"); err != nil {
		t.Fatal(err)
	}
	before := r.ReplayState()["a"]

	resequenced := bytes.Clone(first)
	sdls.PutHeader(resequenced[frame.TMHeaderBytes:], cfg.DownlinkSPI, forgedSeq)
	frame.PutFECF(resequenced)
	other, err := NewSender(cfg, attackerKeys(t), forgedSeq)
	if err != nil {
		t.Fatal(err)
	}
	oenc, err := other.Item(KindRecord, ItemID{9}, make([]byte, 4*cfg.SymbolBytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, err := oenc.AppendFrame(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string][]byte{"re-sequenced": resequenced, "wrong key": wrongKey} {
		if _, err := r.Receive(f, "a"); !errors.Is(err, sdls.ErrAuth) {
			t.Fatalf("%s frame at 2^40: %v, want ErrAuth", name, err)
		}
		if got := r.ReplayState()["a"]; got != before {
			t.Fatalf("%s frame moved the persisted window from %d to %d", name, before, got)
		}
	}
	second, err := enc.AppendFrame(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Receive(second, "a"); err != nil {
		t.Fatalf("genuine frame after the forgeries: %v", err)
	}
	r2, err := NewReceiver(cfg, testKeys(t), reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r2.RestoreReplayState(r.ReplayState())
	for name, f := range map[string][]byte{"re-sequenced": resequenced, "wrong key": wrongKey} {
		if _, err := r2.Receive(f, "a"); !errors.Is(err, sdls.ErrAuth) {
			t.Fatalf("after restart, %s frame: %v, want ErrAuth", name, err)
		}
	}
	third, err := enc.AppendFrame(nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Receive(third, "a"); err != nil {
		t.Fatalf("genuine frame after restart: %v", err)
	}
	if _, err := r2.Receive(second, "a"); !errors.Is(err, sdls.ErrReplay) {
		t.Fatalf("pre-restart frame after restart: %v, want ErrReplay", err)
	}
}

// The same on the uplink: a report frame at 2^40 that fails the MAC moves
// neither the window nor UplinkReplayTop (what flight persists), and a
// sender restored from UplinkReplayTop rejects recorded reports and
// accepts new ones.
func TestForgedHighSequenceMovesNoUplinkWindow(t *testing.T) {
	cfg := DefaultConfig()
	keys := testKeys(t)
	s, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := NewReportEncoder(cfg, keys, 10)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(u *ReportEncoder, seq uint32) []byte {
		t.Helper()
		fs, err := u.EncodeReport(report.Report{Seq: seq})
		if err != nil || len(fs) != 1 {
			t.Fatalf("encode: %d frames, %v", len(fs), err)
		}
		return fs[0]
	}
	old := encode(u, 1)
	if _, err := s.DecodeReport(old); err != nil {
		t.Fatal(err)
	}
	top := s.UplinkReplayTop()
	if top != 10 {
		t.Fatalf("UplinkReplayTop = %d, want 10", top)
	}
	forger, err := NewReportEncoder(cfg, attackerKeys(t), forgedSeq)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := encode(forger, 2)
	resequenced := bytes.Clone(encode(u, 2))
	sdls.PutHeader(resequenced[frame.TCHeaderBytes:], cfg.UplinkSPI, forgedSeq)
	frame.PutFECF(resequenced)
	for name, f := range map[string][]byte{"re-sequenced": resequenced, "wrong key": wrongKey} {
		if _, err := s.DecodeReport(f); !errors.Is(err, sdls.ErrAuth) {
			t.Fatalf("%s report at 2^40: %v, want ErrAuth", name, err)
		}
		if got := s.UplinkReplayTop(); got != top {
			t.Fatalf("%s report moved UplinkReplayTop to %d", name, got)
		}
	}
	s2, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2.RestoreUplinkReplay(s.UplinkReplayTop())
	if _, err := s2.DecodeReport(old); !errors.Is(err, sdls.ErrReplay) {
		t.Fatalf("recorded report after restart: %v, want ErrReplay", err)
	}
	if _, err := s2.DecodeReport(encode(u, 3)); err != nil {
		t.Fatalf("new report after restart: %v", err)
	}
}

// Only a frame that passed the MAC is Verified; a frame of the wrong
// length says so (ErrFrameLength) besides counting as a CRC failure.
func TestVerifiedAndFrameLength(t *testing.T) {
	cfg := DefaultConfig()
	s, r := pair(t, cfg)
	enc, err := s.Item(KindRecord, ItemID{4}, make([]byte, 2*cfg.SymbolBytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	good, err := enc.AppendFrame(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(good)
	forged[40] ^= 1
	frame.PutFECF(forged)
	if res, err := r.Receive(forged, "a"); !errors.Is(err, sdls.ErrAuth) || res.Verified {
		t.Fatalf("forged: Verified %v, %v", res.Verified, err)
	}
	if res, err := r.Receive(good, "a"); err != nil || !res.Verified {
		t.Fatalf("good: Verified %v, %v", res.Verified, err)
	}
	if res, err := r.Receive(good, "a"); !errors.Is(err, sdls.ErrReplay) || res.Verified {
		t.Fatalf("replay: Verified %v, %v", res.Verified, err)
	}
	_, err = r.Receive(good[:len(good)-16], "a")
	if !errors.Is(err, ErrFrameLength) || !errors.Is(err, frame.ErrCRC) {
		t.Fatalf("short frame: %v, want ErrFrameLength and frame.ErrCRC", err)
	}
}
