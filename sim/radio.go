package sim

import (
	"context"
	"errors"
	"sync"

	"github.com/skysieve/skysieve/sim/channel"
)

// radio is a flight service's radio in the simulation: frames go straight
// into the satellite's relay at the simulated time they are sent, and the
// reports the driver takes from the relay wait here for flight's uplink
// loop. No socket and no wall-clock timing is involved, so what flight
// sends and when depends only on the timeline.
type radio struct {
	relay *channel.Link
	clk   *timeline

	mu     sync.Mutex
	up     [][]byte
	signal chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newRadio(relay *channel.Link, clk *timeline) *radio {
	return &radio{relay: relay, clk: clk, signal: make(chan struct{}, 1), closed: make(chan struct{})}
}

var errRadioClosed = errors.New("sim: radio closed")

// WriteFrame puts frame on the relay now.
func (r *radio) WriteFrame(_ context.Context, frame []byte) error {
	r.relay.Downlink(r.clk.Now(), frame)
	return nil
}

// ReadFrame returns the next report the driver delivered, truncated to
// buf as a datagram would be.
func (r *radio) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	for {
		r.mu.Lock()
		if len(r.up) > 0 {
			n := copy(buf, r.up[0])
			r.up = r.up[1:]
			r.mu.Unlock()
			return n, nil
		}
		r.mu.Unlock()
		select {
		case <-r.signal:
		case <-r.closed:
			return 0, errRadioClosed
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// Close ends ReadFrame.
func (r *radio) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}

// deliver queues one uplink report for flight.
func (r *radio) deliver(report []byte) {
	r.mu.Lock()
	r.up = append(r.up, report)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// pending is the number of reports flight has not read yet.
func (r *radio) pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.up)
}
