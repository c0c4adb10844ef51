package sim

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// timeline is the simulation's clock (a clock.Clock for the services): its
// time moves only when the driver sets it, and its sleepers wake one at a
// time, earliest deadline first (ties in the order they went to sleep),
// when the driver says. Waking one and letting the services settle before
// the next is what makes a step's outcome independent of how the
// goroutines happen to be scheduled.
type timeline struct {
	mu       sync.Mutex
	now      time.Time
	sleepers sleepers
	seq      uint64
}

type sleeper struct {
	at  time.Time
	seq uint64
	ch  chan time.Time
}

type sleepers []sleeper

func (s sleepers) Len() int { return len(s) }
func (s sleepers) Less(i, j int) bool {
	if !s[i].at.Equal(s[j].at) {
		return s[i].at.Before(s[j].at)
	}
	return s[i].seq < s[j].seq
}
func (s sleepers) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s *sleepers) Push(x any)   { *s = append(*s, x.(sleeper)) }
func (s *sleepers) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

func newTimeline(start time.Time) *timeline { return &timeline{now: start} }

// Now returns the simulated time.
func (c *timeline) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the deadline Now()+d when the
// driver wakes this sleeper (at once for d ≤ 0).
func (c *timeline) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	heap.Push(&c.sleepers, sleeper{at: c.now.Add(d), seq: c.seq, ch: ch})
	return ch
}

// Sleep blocks until the driver wakes it (see After) or ctx is done.
func (c *timeline) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-c.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// set moves the time to t (never backwards) and wakes no one.
func (c *timeline) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// wakeNext takes the earliest sleeper due by now, if any (due), and
// sends it its deadline; woke says whether a goroutine was waiting for it.
// One that was not has left (a select that took another case): with every
// goroutine at rest, no one else reads the channel later, so nothing moved.
func (c *timeline) wakeNext() (due, woke bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sleepers) == 0 || c.sleepers[0].at.After(c.now) {
		return false, false
	}
	s := heap.Pop(&c.sleepers).(sleeper)
	// A send to a waiting receiver hands the value over directly; with no
	// receiver it stays in the channel's buffer.
	s.ch <- s.at
	return true, len(s.ch) == 0
}

// nextDeadline reports the earliest sleeper's deadline.
func (c *timeline) nextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sleepers) == 0 {
		return time.Time{}, false
	}
	return c.sleepers[0].at, true
}

// sleeps counts the sleepers so far: a goroutine going to sleep is
// activity the driver waits out.
func (c *timeline) sleeps() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}
