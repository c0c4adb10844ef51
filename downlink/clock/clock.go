// Package clock is the time source every Skysieve service takes by
// injection: Real for the binaries, Virtual for the simulator and tests, so
// a simulated day runs in seconds and the same seed gives the same result.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and wakes sleepers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
	// Sleep blocks until d has elapsed or ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits for d or ctx.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Virtual is a clock that moves only when told to. Sleepers wake in deadline
// order as Advance or Set passes their deadlines.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	seq     uint64
	changed chan struct{}
}

type waiter struct {
	at  time.Time
	seq uint64
	ch  chan time.Time
}

// NewVirtual returns a virtual clock reading start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start, changed: make(chan struct{})}
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// After returns a channel that fires when the virtual time reaches Now()+d.
func (v *Virtual) After(d time.Duration) <-chan time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := v.now.Add(d)
	if d <= 0 {
		ch <- v.now
		return ch
	}
	v.seq++
	v.waiters = append(v.waiters, waiter{at: at, seq: v.seq, ch: ch})
	v.signal()
	return ch
}

// Sleep blocks until the virtual time has advanced by d, or ctx is done.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-v.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Advance moves the clock forward by d, waking every sleeper whose deadline
// is passed, earliest first.
func (v *Virtual) Advance(d time.Duration) { v.Set(v.Now().Add(d)) }

// Set moves the clock to t (never backwards), waking due sleepers in
// deadline order.
func (v *Virtual) Set(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.Before(v.now) {
		return
	}
	sort.Slice(v.waiters, func(i, j int) bool {
		if v.waiters[i].at.Equal(v.waiters[j].at) {
			return v.waiters[i].seq < v.waiters[j].seq
		}
		return v.waiters[i].at.Before(v.waiters[j].at)
	})
	n := 0
	for _, w := range v.waiters {
		if w.at.After(t) {
			break
		}
		w.ch <- w.at
		n++
	}
	v.waiters = append(v.waiters[:0], v.waiters[n:]...)
	v.now = t
	v.signal()
}

// NextDeadline reports the earliest pending sleeper's deadline.
func (v *Virtual) NextDeadline() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.waiters) == 0 {
		return time.Time{}, false
	}
	min := v.waiters[0].at
	for _, w := range v.waiters[1:] {
		if w.at.Before(min) {
			min = w.at
		}
	}
	return min, true
}

// Waiters returns the number of pending sleepers.
func (v *Virtual) Waiters() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.waiters)
}

// Changed returns a channel closed at the next change of time or of the
// set of sleepers, so a driver can wait for goroutines to go to sleep.
func (v *Virtual) Changed() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.changed
}

func (v *Virtual) signal() {
	close(v.changed)
	v.changed = make(chan struct{})
}
