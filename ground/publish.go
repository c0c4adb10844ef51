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

func newPublisher(b *bus.Bus, ob *outbox.Outbox, clk clock.Clock, log *slog.Logger, m *metrics, st *statsCounters, capSender string) *publisher {
	return &publisher{bus: b, ob: ob, clk: clk, log: log, m: m, stats: st, capSender: capSender,
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
// wall time (an outage is a wall-clock matter even in a simulation).
func (p *publisher) run(ctx context.Context) error {
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	defer func() { _ = p.flushRetired() }()
	for {
		es, err := p.ob.Peek(retireBatch + len(p.retiring))
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
				p.log.Warn("publish failed; item stays in the outbox", "item", e.Ref(), "err", err, "retry_in", backoff)
				failed = true
				break
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
	p.log.Error("outbox entry of unknown kind dropped", "item", e.Ref())
	return p.retire(e)
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
		p.log.Error("reassembled record is invalid; not published", "item", e.Ref(), "err", err)
		return p.retire(e)
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
		p.log.Error("record does not make a GeoJSON Feature; not published", "item", e.Ref(), "err", err)
		return p.retire(e)
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
			return err
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
