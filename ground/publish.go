package ground

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/feed"
	"github.com/skysieve/skysieve/ground/outbox"
)

// Item kinds in the outbox.
const (
	kindRecord = "record"
	kindChip   = "chip"
)

// Subjects.
const (
	subjectDetectionPrefix = "detections."
	subjectAlertPrefix     = "alerts.cap."
)

// DetectionSubject is the subject a detection is published on.
func DetectionSubject(class, id string) string {
	return subjectDetectionPrefix + class + "." + id
}

// AlertSubject is the subject of a class's CAP alerts.
func AlertSubject(class string) string { return subjectAlertPrefix + class }

// publisher drains the outbox onto the bus.
type publisher struct {
	bus       *bus.Bus
	ob        *outbox.Outbox
	clk       clock.Clock
	log       *slog.Logger
	m         *metrics
	capSender string
	stats     *statsCounters
	wake      chan struct{}
	// maxAttempts is how often an entry may fail for a reason of its own
	// before it goes to the dead letters (outbox.Fail).
	maxAttempts int

	mu sync.Mutex
	// lastSymbol holds the wall time of each queued item's last symbol,
	// for the last-symbol-to-ack histogram (not persisted).
	lastSymbol map[string]time.Time
	// ackLatency keeps the most recent last-symbol-to-ack durations (a
	// ring of latencyRing), for Stats.
	ackLatency []time.Duration
	ackNext    int
	latSorted  []time.Duration
	latDirty   bool

	// Entries published but not yet removed from the outbox (publish
	// goroutine only).
	retiring      []*outbox.Entry
	retiringSet   map[string]bool
	retiringSince time.Time
}

// latencyRing is how many recent publish latencies Stats summarises.
const latencyRing = 4096

// latencyQuantiles returns the p50 and p99 of the recent last-symbol-to-
// ack durations, sorting only when new ones arrived since the last call.
func (p *publisher) latencyQuantiles() (p50, p99 time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.latDirty {
		p.latSorted = append(p.latSorted[:0], p.ackLatency...)
		slices.Sort(p.latSorted)
		p.latDirty = false
	}
	return quantile(p.latSorted, 0.5), quantile(p.latSorted, 0.99)
}

func newPublisher(b *bus.Bus, ob *outbox.Outbox, clk clock.Clock, log *slog.Logger, m *metrics, st *statsCounters, capSender string, maxAttempts int) *publisher {
	return &publisher{bus: b, ob: ob, clk: clk, log: log, m: m, stats: st, capSender: capSender, maxAttempts: maxAttempts,
		wake: make(chan struct{}, 1), lastSymbol: map[string]time.Time{}, retiringSet: map[string]bool{}}
}

// notify tells the publisher that the outbox has new entries.
func (p *publisher) notify(ref string, lastSymbolWall time.Time) {
	if ref != "" {
		p.mu.Lock()
		p.lastSymbol[ref] = lastSymbolWall
		p.mu.Unlock()
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Retired entries are removed from the outbox in batches: at most this
// many, or this long after the first, or when the outbox is drained. A
// crash before that removal only means the entry is published again, and
// the bus stores it once (create-only detections, deduplicated alerts,
// chips checked by digest); meanwhile the publisher skips it.
const (
	retireBatch = 64
	retireDelay = 200 * time.Millisecond
)

// run publishes until ctx ends. Bus failures are retried with backoff in
// wall time (an outage is a wall-clock matter even in a simulation). An
// entry that fails for a reason of its own is counted against it and the
// entries behind it go on; see outbox's dead letters.
func (p *publisher) run(ctx context.Context) error {
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	defer func() { _ = p.flushRetired() }()
	for {
		es, err := p.ob.Peek(retireBatch + len(p.retiring))
		if errors.Is(err, outbox.ErrCorrupt) {
			if err := p.deadLetterCorrupt(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("ground: outbox: %w", err)
		}
		es = slices.DeleteFunc(es, func(e *outbox.Entry) bool { return p.retiringSet[e.Ref()] })
		if len(es) == 0 {
			if err := p.flushRetired(); err != nil {
				return err
			}
			p.m.outbox.Set(float64(p.ob.Len()))
			select {
			case <-ctx.Done():
				return nil
			case <-p.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		failed := false
		for _, e := range es {
			if err := p.publish(ctx, e); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				p.m.publishErrors.Inc()
				p.stats.publishErrors.Add(1)
				if !entryFault(err) {
					p.log.Warn("publish failed; item stays in the outbox", "item", e.Ref(), "err", err, "retry_in", backoff)
					failed = true
					break
				}
				if err := p.entryFailed(e, err); err != nil {
					return err
				}
				// Retry it after a pause, not in a tight loop; the
				// entries behind it go on now.
				failed = true
				continue
			}
			backoff = minBackoff
			if len(p.retiring) >= retireBatch || time.Since(p.retiringSince) > retireDelay {
				if err := p.flushRetired(); err != nil {
					return err
				}
			}
			if p.woken() {
				// A newly completed item may outrank the rest of es.
				break
			}
		}
		if failed {
			if err := p.flushRetired(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// errEntry marks a failure that is the entry's own (it does not encode),
// as opposed to the bus's.
var errEntry = errors.New("entry cannot be published")

// entryFault reports whether err is the entry's own fault, which retrying
// cannot cure: our encoding failed, the client refused the message
// (too large, a bad subject, an object name the store does not take), or
// JetStream answered "bad request" (400) for it. Anything else (not
// connected, timeouts, no responders, permissions, a stream missing,
// JetStream unavailable) is the bus's, and is never counted against an
// entry: an outage must not dead-letter the queue.
func entryFault(err error) bool {
	switch {
	case errors.Is(err, errEntry), errors.Is(err, nats.ErrMaxPayload), errors.Is(err, nats.ErrBadSubject),
		errors.Is(err, jetstream.ErrNameRequired), errors.Is(err, jetstream.ErrBadObjectMeta),
		errors.Is(err, jetstream.ErrInvalidStoreName):
		return true
	}
	var jsErr jetstream.JetStreamError
	return errors.As(err, &jsErr) && jsErr.APIError() != nil && jsErr.APIError().Code == 400
}

// entryFailed counts a failure against e and dead-letters it once it has
// failed maxAttempts times.
func (p *publisher) entryFailed(e *outbox.Entry, cause error) error {
	attempts, dead, err := p.ob.Fail(e, cause, p.maxAttempts, p.clk.Now())
	if errors.Is(err, outbox.ErrNotQueued) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ground: outbox: %w", err)
	}
	if dead {
		p.m.deadLetters.Inc()
		p.stats.deadLetters.Add(1)
		p.log.Error("outbox entry moved to the dead letters; the queue goes on", "item", e.Ref(),
			"attempts", attempts, "err", cause)
		return nil
	}
	p.log.Warn("publish refused; entry retried later", "item", e.Ref(), "attempt", attempts,
		"max_attempts", p.maxAttempts, "err", cause)
	return nil
}

// deadLetterCorrupt moves the entries whose stored bytes do not decode to
// the dead letters, so the queue behind them goes on (now and after a
// restart).
func (p *publisher) deadLetterCorrupt() error {
	moved, err := p.ob.DeadLetterCorrupt(p.clk.Now())
	if err != nil {
		return fmt.Errorf("ground: %w", err)
	}
	for _, d := range moved {
		p.m.deadLetters.Inc()
		p.stats.deadLetters.Add(1)
		p.log.Error("outbox entry does not decode; moved to the dead letters, the queue goes on",
			"key", fmt.Sprintf("%x", d.Key), "err", d.Reason)
	}
	if len(moved) == 0 {
		return fmt.Errorf("ground: outbox: %w: reported by Peek, not found by a scan", outbox.ErrCorrupt)
	}
	return nil
}

// flushRetired removes the retired entries from the outbox.
func (p *publisher) flushRetired() error {
	if len(p.retiring) == 0 {
		return nil
	}
	err := p.ob.Done(p.clk.Now(), p.retiring...)
	if err != nil && !errors.Is(err, outbox.ErrNotQueued) {
		return fmt.Errorf("ground: outbox: %w", err)
	}
	p.retiring = p.retiring[:0]
	clear(p.retiringSet)
	return nil
}

func (p *publisher) woken() bool {
	select {
	case <-p.wake:
		return true
	default:
		return false
	}
}

// publish runs the remaining steps of one entry and retires it.
func (p *publisher) publish(ctx context.Context, e *outbox.Entry) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	switch e.Kind {
	case kindChip:
		out, err := p.bus.PutChip(ctx, e.ID, e.Payload)
		if err != nil {
			return err
		}
		p.m.published.WithLabelValues("chip", out.String()).Inc()
		return p.retire(e)
	case kindRecord:
		return p.publishRecord(ctx, e)
	}
	err := fmt.Errorf("unknown kind %q", e.Kind)
	p.log.Error("outbox entry of unknown kind; not published, kept in the dead letters", "item", e.Ref())
	return p.deadLetterNow(e, err)
}

func (p *publisher) publishRecord(ctx context.Context, e *outbox.Entry) error {
	d, err := record.Unmarshal(e.Payload)
	if err == nil && d.ID != e.ID {
		err = fmt.Errorf("record id %s differs from item id %s", d.ID, e.ID)
	}
	if err != nil {
		// The digest verified, so flight sent this; publishing it would
		// hand responders garbage. Keep it out and say so.
		p.m.invalid.Inc()
		p.stats.invalidRecords.Add(1)
		p.log.Error("reassembled record is invalid; not published, kept in the dead letters", "item", e.Ref(), "err", err)
		return p.deadLetterNow(e, err)
	}
	now := p.clk.Now()
	del := feed.Delivery{Station: e.Station, Pass: e.Pass, DownlinkTime: e.DownlinkTime, PublishTime: now}
	if d.ChipBytes > 0 {
		del.ChipBucket, del.ChipName = bus.BucketChips, d.ID
	}
	payload, err := feed.GeoJSON(d, del)
	if err != nil {
		p.m.invalid.Inc()
		p.stats.invalidRecords.Add(1)
		p.log.Error("record does not make a GeoJSON Feature; not published, kept in the dead letters", "item", e.Ref(), "err", err)
		return p.deadLetterNow(e, err)
	}
	hdr := nats.Header{}
	hdr.Set(bus.HeaderClass, d.Class)
	hdr.Set(bus.HeaderPriority, strconv.FormatFloat(d.Priority, 'f', 4, 64))
	hdr.Set("Content-Type", "application/geo+json")
	out, err := p.bus.PublishOnce(ctx, DetectionSubject(d.Class, d.ID), "det-"+d.ID, hdr, payload)
	if err != nil {
		return err
	}
	p.m.published.WithLabelValues("detection", out.String()).Inc()
	if out == bus.Published {
		p.stats.published.Add(1)
		p.m.captureToPublish.Observe(now.Sub(d.CaptureTime).Seconds())
		p.mu.Lock()
		if t, ok := p.lastSymbol[e.Ref()]; ok {
			lat := time.Since(t)
			p.m.symbolToAck.Observe(lat.Seconds())
			if len(p.ackLatency) < latencyRing {
				p.ackLatency = append(p.ackLatency, lat)
			} else {
				p.ackLatency[p.ackNext] = lat
				p.ackNext = (p.ackNext + 1) % latencyRing
			}
			p.latDirty = true
		}
		p.mu.Unlock()
		p.log.Info("detection published", "id", d.ID, "class", d.Class, "station", e.Station,
			"capture_to_publish", now.Sub(d.CaptureTime).Round(time.Second))
	} else {
		p.stats.alreadyPublished.Add(1)
	}
	// The alert follows its detection; if the process dies in between, the
	// retry finds the detection already published and still sends the
	// alert (deduplicated by Nats-Msg-Id over AlertDuplicateWindow).
	if feed.IsSevere(d.Class) {
		xml, err := feed.CAP(d, del, p.capSender)
		if err != nil {
			return fmt.Errorf("%w: CAP: %w", errEntry, err)
		}
		hdr := nats.Header{}
		hdr.Set(bus.HeaderClass, d.Class)
		hdr.Set("Content-Type", "application/cap+xml")
		out, err := p.bus.PublishDedup(ctx, AlertSubject(d.Class), "cap-"+d.ID, hdr, xml)
		if err != nil {
			return err
		}
		p.m.published.WithLabelValues("alert", out.String()).Inc()
		if out == bus.Published {
			p.stats.alerts.Add(1)
		}
	}
	return p.retire(e)
}

// deadLetterNow moves e to the dead letters at once (a fault no retry
// cures).
func (p *publisher) deadLetterNow(e *outbox.Entry, cause error) error {
	p.mu.Lock()
	delete(p.lastSymbol, e.Ref())
	p.mu.Unlock()
	if err := p.ob.DeadLetterNow(e, cause, p.clk.Now()); err != nil && !errors.Is(err, outbox.ErrNotQueued) {
		return fmt.Errorf("ground: outbox: %w", err)
	}
	p.m.deadLetters.Inc()
	p.stats.deadLetters.Add(1)
	return nil
}

// retire marks e published; flushRetired removes it from the outbox.
func (p *publisher) retire(e *outbox.Entry) error {
	p.mu.Lock()
	delete(p.lastSymbol, e.Ref())
	p.mu.Unlock()
	if len(p.retiring) == 0 {
		p.retiringSince = time.Now()
	}
	p.retiring = append(p.retiring, e)
	p.retiringSet[e.Ref()] = true
	return nil
}
