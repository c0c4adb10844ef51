package sim

import (
	"testing"
	"time"
)

// TestTimelineWakesOneAtATime: setting the time wakes no one; wakeNext
// wakes the sleepers due, one per call, earliest deadline first and ties
// in the order they went to sleep; the time never goes back.
func TestTimelineWakesOneAtATime(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	c := newTimeline(t0)
	if got := <-c.After(0); !got.Equal(t0) {
		t.Fatalf("After(0) fired with %v, want at once with %v", got, t0)
	}
	late := c.After(3 * time.Second)
	first := c.After(time.Second)
	tieA := c.After(2 * time.Second)
	tieB := c.After(2 * time.Second)
	if dl, ok := c.nextDeadline(); !ok || !dl.Equal(t0.Add(time.Second)) {
		t.Fatalf("next deadline %v %v", dl, ok)
	}
	c.set(t0.Add(2 * time.Second))
	c.set(t0) // never backwards
	if !c.Now().Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("now %v", c.Now())
	}
	fired := func(ch <-chan time.Time) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if fired(first) || fired(tieA) {
		t.Fatal("set woke a sleeper")
	}
	for i, want := range []<-chan time.Time{first, tieA, tieB} {
		if !c.wakeNext() {
			t.Fatalf("wake %d: nothing woken", i)
		}
		for j, ch := range []<-chan time.Time{first, tieA, tieB, late} {
			if got := fired(ch); got != (ch == want) {
				t.Fatalf("wake %d: sleeper %d fired %v", i, j, got)
			}
		}
	}
	if c.wakeNext() {
		t.Fatal("woke a sleeper not yet due")
	}
	if c.sleeps() != 4 {
		t.Fatalf("%d sleeps counted, want 4", c.sleeps())
	}
}
