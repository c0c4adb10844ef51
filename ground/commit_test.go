package ground

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/record"
)

// setFaultHook installs a fault hook for one test.
func setFaultHook(t *testing.T, h func(point string, completed int) error) {
	t.Helper()
	faultHook = h
	t.Cleanup(func() { faultHook = nil })
}

// A batch whose transaction fails leaves no ACK and counts no item: the
// completion enters the report list only when its transaction commits.
// While the transaction is open, a report built then (as the report loop
// may build one at any moment) acknowledges nothing either.
func TestFailedCommitLeavesNoAck(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	var s *Service
	var during []string
	errInjected := errors.New("injected commit failure")
	setFaultHook(t, func(point string, completed int) error {
		if point != faultBeforeCommit || completed == 0 {
			return nil
		}
		for _, ref := range s.buildReport(s.clk.Now()).Complete {
			during = append(during, ref.String())
		}
		return errInjected
	})
	var err error
	s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	}
	fl := newFlight(t, keys, 1)
	sendUDP(t, s.UDPAddr("alpha"), fl.recordFrames(detection(1, record.ClassFire)))
	select {
	case err := <-done:
		if !errors.Is(err, errInjected) {
			t.Fatalf("Run: %v, want the injected failure", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the failed batch did not stop the service")
	}
	if len(during) != 0 {
		t.Fatalf("a report built before the commit acknowledges %v", during)
	}
	if rep := s.buildReport(s.clk.Now()); len(rep.Complete) != 0 {
		t.Fatalf("after the failed transaction the report acknowledges %v", rep.Complete)
	}
	if n := s.Stats().ItemsCompleted[kindRecord]; n != 0 {
		t.Fatalf("ItemsCompleted[record] = %d after the failed transaction, want 0", n)
	}

	// Restarted, the ground has no trace of the item: it is neither
	// acknowledged nor lost, since flight still holds it.
	faultHook = nil
	g := start(t, cfg)
	if rep := g.buildReport(g.clk.Now()); len(rep.Complete) != 0 {
		t.Fatalf("after restart the report acknowledges %v", rep.Complete)
	}
	sendUDP(t, g.UDPAddr("alpha"), fl.recordFrames(detection(1, record.ClassFire)))
	waitFor(t, "the resent detection published", 10*time.Second, func() bool { return g.Stats().Published == 1 })
	if rep := g.buildReport(g.clk.Now()); len(rep.Complete) != 1 || !strings.HasPrefix(rep.Complete[0].String(), "record") {
		t.Fatalf("after the commit the report acknowledges %v, want the record", rep.Complete)
	}
}
