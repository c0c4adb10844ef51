package ground

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
}

func newPublisher(b *bus.Bus, ob *outbox.Outbox, clk clock.Clock, log *slog.Logger, m *metrics, st *statsCounters, capSender string) *publisher {
	return &publisher{bus: b, ob: ob, clk: clk, log: log, m: m, stats: st, capSender: capSender,
		wake: make(chan struct{}, 1), lastSymbol: map[string]time.Time{}}
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

// run publishes until ctx ends. Bus failures are retried with backoff in
// wall time (an outage is a wall-clock matter even in a simulation).
func (p *publisher) run(ctx context.Context) error {
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	for {
		es, err := p.ob.Peek(64)
		if err != nil {
			return fmt.Errorf("ground: outbox: %w", err)
		}
		p.m.outbox.Set(float64(p.ob.Len()))
		if len(es) == 0 {
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
			if p.woken() {
				// A newly completed item may outrank the rest of es.
				break
			}
		}
		if failed {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
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
	if e.Done&outbox.StepDetection == 0 {
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
				p.m.symbolToAck.Observe(time.Since(t).Seconds())
			}
			p.mu.Unlock()
			p.log.Info("detection published", "id", d.ID, "class", d.Class, "station", e.Station,
				"capture_to_publish", now.Sub(d.CaptureTime).Round(time.Second))
		} else {
			p.stats.alreadyPublished.Add(1)
		}
		e.Done |= outbox.StepDetection
		if feed.IsSevere(d.Class) {
			if err := p.ob.Progress(e); err != nil {
				return err
			}
		}
	}
	if feed.IsSevere(d.Class) && e.Done&outbox.StepAlert == 0 {
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
		e.Done |= outbox.StepAlert
	}
	return p.retire(e)
}

func (p *publisher) retire(e *outbox.Entry) error {
	p.mu.Lock()
	delete(p.lastSymbol, e.Ref())
	p.mu.Unlock()
	if err := p.ob.Done(e, p.clk.Now()); err != nil && !errors.Is(err, outbox.ErrNotQueued) {
		return err
	}
	return nil
}
