package link

import (
	"errors"
	"testing"

	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/sdls"
)

// A receiver restarted with the saved replay state rejects frames recorded
// before the restart, at the station that heard them, and accepts new ones.
func TestReplayStateAcrossRestart(t *testing.T) {
	cfg := DefaultConfig()
	s, r := pair(t, cfg)
	var id ItemID
	id[0] = 7
	enc, err := s.Item(KindRecord, id, make([]byte, 3*cfg.SymbolBytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	old, err := enc.AppendFrame(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Receive(old, "svalbard"); err != nil {
		t.Fatal(err)
	}
	saved := r.ReplayState()
	if saved["svalbard"] == 0 {
		t.Fatalf("ReplayState = %v, want svalbard's top", saved)
	}
	r2, err := NewReceiver(cfg, testKeys(t), reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r2.RestoreReplayState(saved)
	if _, err := r2.Receive(old, "svalbard"); !errors.Is(err, sdls.ErrReplay) {
		t.Fatalf("old frame after restart: %v, want ErrReplay", err)
	}
	if _, err := r2.Receive(old, "kiruna"); err != nil {
		t.Fatalf("same frame at another station: %v", err)
	}
	fresh, err := enc.AppendFrame(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Receive(fresh, "svalbard"); err != nil {
		t.Fatalf("new frame after restart: %v", err)
	}
}
