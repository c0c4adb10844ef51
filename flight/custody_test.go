package flight

import (
	"testing"
	"time"
)

// TestUncoverKeepsSymbolsStillOnTheirWay: a report made at some time
// covers the symbols that ended on air at least reportGuard before it; the
// rest stay counted as in flight, so the planner does not resend them.
func TestUncoverKeepsSymbolsStillOnTheirWay(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	ends := []time.Time{t0, t0.Add(4 * time.Second), t0.Add(8 * time.Second), t0.Add(12 * time.Second)}
	cases := []struct {
		name   string
		madeAt time.Time
		want   int
	}{
		{"before any", t0.Add(-time.Second), 4},
		{"inside the guard of the first", t0.Add(reportGuard - time.Millisecond), 4},
		{"first covered", t0.Add(reportGuard), 3},
		{"two covered", t0.Add(4*time.Second + reportGuard), 2},
		{"last still in guard", t0.Add(12*time.Second + reportGuard/2), 1},
		{"all covered", t0.Add(time.Minute), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			li := &linkItem{unreported: len(ends), inFlight: append([]time.Time(nil), ends...)}
			li.uncover(c.madeAt)
			if li.unreported != c.want || len(li.inFlight) != c.want {
				t.Fatalf("unreported %d, in flight %d; want %d", li.unreported, len(li.inFlight), c.want)
			}
			for _, end := range li.inFlight {
				if !end.Add(reportGuard).After(c.madeAt) {
					t.Fatalf("kept %v, which the report covers", end)
				}
			}
		})
	}
}
