package sim

import (
	"testing"
	"testing/synctest"
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
		if due, woke := c.wakeNext(); !due || woke {
			t.Fatalf("wake %d: due %v, woke %v; want due and no one waiting", i, due, woke)
		}
		for j, ch := range []<-chan time.Time{first, tieA, tieB, late} {
			if got := fired(ch); got != (ch == want) {
				t.Fatalf("wake %d: sleeper %d fired %v", i, j, got)
			}
		}
	}
	if due, _ := c.wakeNext(); due {
		t.Fatal("woke a sleeper not yet due")
	}
	if c.sleeps() != 4 {
		t.Fatalf("%d sleeps counted, want 4", c.sleeps())
	}
}

// TestTimelineWokeWaiter: wakeNext tells a sleeper a goroutine waits on
// (it runs) from one that was left behind (nothing moves).
func TestTimelineWokeWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		c := newTimeline(t0)
		left := c.After(time.Second)
		waited := c.After(2 * time.Second)
		got := make(chan time.Time, 1)
		go func() { got <- <-waited }()
		synctest.Wait() // the goroutine is blocked on waited
		c.set(t0.Add(2 * time.Second))
		if due, woke := c.wakeNext(); !due || woke {
			t.Fatalf("left-behind sleeper: due %v woke %v, want due, not woken", due, woke)
		}
		if due, woke := c.wakeNext(); !due || !woke {
			t.Fatalf("waited-for sleeper: due %v woke %v, want both", due, woke)
		}
		if at := <-got; !at.Equal(t0.Add(2 * time.Second)) {
			t.Fatalf("woken with %v", at)
		}
		if at := <-left; !at.Equal(t0.Add(time.Second)) {
			t.Fatalf("left-behind channel holds %v", at)
		}
	})
}
