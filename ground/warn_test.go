package ground

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
)

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the lines containing every one of match.
func (l *logBuffer) lines(match ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		ok := line != ""
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// TestRejectedFramesWarnRateLimited: frames of the wrong length, frames
// failing the MAC and replays each give one WARN line per station per
// minute (service clock), naming the station; the next line says how many
// were held back.
func TestRejectedFramesWarnRateLimited(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha", "beta")
	vclk := clock.NewVirtual(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC))
	cfg.Clock = vclk
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)
	attacker := newFlight(t, writeKeys(t, t.TempDir()), 1<<40)

	genuine := fl.recordFrames(detection(1, record.ClassFire))[0]
	forged := attacker.recordFrames(detection(2, record.ClassFire))[0]
	short := genuine[:len(genuine)-100]
	const n = 20
	var bad [][]byte
	for range n {
		bad = append(bad, short, forged)
	}
	sendUDP(t, g.UDPAddr("alpha"), [][]byte{genuine})
	for range n {
		bad = append(bad, genuine) // replays
	}
	sendUDP(t, g.UDPAddr("alpha"), bad)
	sendUDP(t, g.UDPAddr("beta"), [][]byte{short})
	waitFor(t, "every frame counted", 10*time.Second, func() bool {
		a := g.Stats().Frames[StationVC{"alpha", -1}]
		return a.CRC == n && a.Auth == n && a.Replay == n && g.Stats().Frames[StationVC{"beta", -1}].CRC == 1
	})
	for _, c := range []struct{ station, what string }{
		{"alpha", "wrong length"}, {"alpha", "authentication"}, {"alpha", "replayed"}, {"beta", "wrong length"},
	} {
		if got := logs.lines("level=WARN", "station="+c.station, c.what); len(got) != 1 {
			t.Fatalf("%s %q: %d WARN lines, want 1: %q", c.station, c.what, len(got), got)
		}
	}
	if got := logs.lines("level=WARN", "station=beta"); len(got) != 1 {
		t.Fatalf("beta: %q", got)
	}

	vclk.Set(vclk.Now().Add(warnEvery))
	sendUDP(t, g.UDPAddr("alpha"), [][]byte{short, forged, genuine})
	waitFor(t, "a second line of each kind", 10*time.Second, func() bool {
		return len(logs.lines("level=WARN", "station=alpha", "suppressed=19")) == 3
	})
	if got := logs.lines("level=WARN", "station=alpha", "wrong length", "link uses 1024"); len(got) != 2 {
		t.Fatalf("length lines %q, want 2 naming the link's frame length", got)
	}
}
