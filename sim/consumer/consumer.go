package consumer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/sim/world"
)

// Arrival is one published detection as the responder saw it.
type Arrival struct {
	Detection
	// ReceivedAt is the simulation clock when the message arrived.
	ReceivedAt time.Time
	// Event is the matched ground-truth event index, or -1.
	Event int
	// StreamSeq is the message's JetStream stream sequence.
	StreamSeq uint64
}

// Snapshot is the consumer's tally so far.
type Snapshot struct {
	// Arrivals holds each detection id's first arrival, in arrival order.
	Arrivals []Arrival
	// Messages counts distinct stream messages read.
	Messages int
	// Duplicates counts stream messages whose detection id was already seen.
	Duplicates int
	// Malformed counts payloads Decode refused.
	Malformed int
	// FirstSeen maps a matched event index to its first arrival time.
	FirstSeen map[int]time.Time
}

// Consumer reads detections from the bus.
type Consumer struct {
	clk    clock.Clock
	events []world.Event

	mu       sync.Mutex
	snap     Snapshot
	seen     map[string]bool
	seqs     map[uint64]bool
	lastSeq  uint64
	lastSeen chan struct{}
}

// New returns a consumer matching against events, stamping with clk.
func New(clk clock.Clock, events []world.Event) *Consumer {
	return &Consumer{
		clk:      clk,
		events:   events,
		seen:     map[string]bool{},
		seqs:     map[uint64]bool{},
		snap:     Snapshot{FirstSeen: map[int]time.Time{}},
		lastSeen: make(chan struct{}),
	}
}

// Run connects to the NATS server at url (with opts, such as the
// credentials of a read-only user) and consumes until ctx is done.
// It returns once the ordered consumer is set up, reporting setup errors;
// consumption continues in the background until ctx ends.
func (c *Consumer) Run(ctx context.Context, url string, opts ...nats.Option) error {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name("skysieve-sim-consumer"), nats.MaxReconnects(-1)}, opts...)...)
	if err != nil {
		return fmt.Errorf("consumer: connect %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("consumer: jetstream: %w", err)
	}
	var cons jetstream.Consumer
	for {
		cons, err = js.OrderedConsumer(ctx, bus.StreamDetections, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{bus.SubjectDetections},
			DeliverPolicy:  jetstream.DeliverAllPolicy,
		})
		if err == nil {
			break
		}
		// The stream appears when ground's bus is ready; wait for it briefly.
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("consumer: stream %s: %w", bus.StreamDetections, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	cc, err := cons.Consume(c.handle)
	if err != nil {
		nc.Close()
		return fmt.Errorf("consumer: consume: %w", err)
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
		nc.Close()
	}()
	return nil
}

func (c *Consumer) handle(m jetstream.Msg) {
	now := c.clk.Now()
	var seq uint64
	if md, err := m.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	c.Observe(m.Data(), seq, now)
}

// Observe records one stream message (payload and stream sequence) received
// at now. Run calls it for each message; it is exported for replaying a
// stream.
func (c *Consumer) Observe(payload []byte, seq uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq != 0 {
		if c.seqs[seq] {
			return // a redelivery of the same stored message
		}
		c.seqs[seq] = true
		if seq > c.lastSeq {
			c.lastSeq = seq
		}
	}
	c.snap.Messages++
	close(c.lastSeen)
	c.lastSeen = make(chan struct{})
	d, err := Decode(payload)
	if err != nil {
		c.snap.Malformed++
		return
	}
	if c.seen[d.ID] {
		c.snap.Duplicates++
		return
	}
	c.seen[d.ID] = true
	ev := Match(c.events, d.Class, d.Footprint, d.CaptureTime)
	c.snap.Arrivals = append(c.snap.Arrivals, Arrival{Detection: *d, ReceivedAt: now, Event: ev, StreamSeq: seq})
	if ev >= 0 {
		if _, ok := c.snap.FirstSeen[ev]; !ok {
			c.snap.FirstSeen[ev] = now
		}
	}
}

// LastSeq is the highest stream sequence read so far.
func (c *Consumer) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// WaitSeq blocks until the consumer has read stream sequence seq, ctx ends
// or timeout passes (wall time); it reports whether seq was reached.
func (c *Consumer) WaitSeq(ctx context.Context, seq uint64, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if c.lastSeq >= seq {
			c.mu.Unlock()
			return true
		}
		ch := c.lastSeen
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		}
	}
}

// Snapshot returns a copy of the tally.
func (c *Consumer) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.Arrivals = append([]Arrival(nil), c.snap.Arrivals...)
	s.FirstSeen = make(map[int]time.Time, len(c.snap.FirstSeen))
	for k, v := range c.snap.FirstSeen {
		s.FirstSeen[k] = v
	}
	return s
}
