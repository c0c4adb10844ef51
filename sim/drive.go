package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/skysieve/skysieve/flight"
	"github.com/skysieve/skysieve/sim/report"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// sampleEvery is the spacing of the queue samples in the report.
const sampleEvery = 2 * time.Minute

// rendered is a capture's scene, generated ahead of its time.
type rendered struct {
	scene *scene.Scene
	truth *synth.Truth
}

// renderAhead generates the captures' scenes in order on one goroutine,
// a few ahead of the clock, so scene generation overlaps the waits for
// the services to settle. The channel closes after the last capture.
func (r *run) renderAhead(ctx context.Context) <-chan rendered {
	out := make(chan rendered, 3)
	go func() {
		defer close(out)
		for i := range r.world.Captures {
			sc, tr := synth.Generate(Spec(&r.world.Captures[i], r.world.Events))
			select {
			case out <- rendered{sc, tr}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// drive moves the timeline from the scenario's start to its end, one step
// at a time: at each step the captures due, then the deliveries and the
// sleepers due (runDue), then the bookkeeping, then the next step's time.
func (r *run) drive(ctx context.Context) error {
	end := r.scn.End()
	var prog *report.Progress
	if r.opts.Progress != nil {
		prog = report.NewProgress(r.opts.Progress, r.opts.Terminal, r.scn.Start, r.scn.Duration)
		defer prog.Done()
	}
	nextSample := r.scn.Start
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.rendered = r.renderAhead(rctx)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case err := <-r.errc:
			return err
		default:
		}
		now := r.clk.Now()
		t0 := time.Now()
		if err := r.captureDue(ctx, now); err != nil {
			return err
		}
		t1 := time.Now()
		if err := r.runDue(ctx, now); err != nil {
			return err
		}
		r.wallCapture += t1.Sub(t0)
		r.wallSettle += time.Since(t1)
		r.steps++
		r.notePassStarts(now)
		if !now.Before(nextSample) {
			r.sample(now)
			nextSample = nextSample.Add(sampleEvery)
		}
		if prog != nil {
			prog.Update(r.status(now))
		}
		if !now.Before(end) {
			return nil
		}
		r.clk.set(r.nextStep(now, nextSample, end))
	}
}

// captureDue renders and submits every capture due by now, letting the
// services settle after each (a new detection may preempt a pass).
func (r *run) captureDue(ctx context.Context, now time.Time) error {
	for r.nextCapture < len(r.world.Captures) && !r.world.Captures[r.nextCapture].Time.After(now) {
		i := r.nextCapture
		c := &r.world.Captures[i]
		var rd rendered
		select {
		case rd = <-r.rendered:
		case <-ctx.Done():
			return ctx.Err()
		}
		sc, tr := rd.scene, rd.truth
		r.truths[i] = Summarize(c, r.world.Events, sc, tr)
		r.rec.setWater(sc.ID, tr)
		err := r.flights[c.Satellite].Submit(ctx, sc)
		r.rec.setWater(sc.ID, nil)
		switch {
		case errors.Is(err, flight.ErrBackPressure):
			r.refused++
		case err != nil:
			return fmt.Errorf("sim: capture %s: %w", c.ID, err)
		}
		r.submitted++
		r.nextCapture++
		if err := r.settle(ctx); err != nil {
			return err
		}
	}
	return nil
}

// runDue runs every event due by now, one at a time, letting the services
// settle after each: the frames each relay has for ground (one batch per
// station, handed to ground's receive path), the reports it has for
// flight (one by one), then the sleepers, earliest first; again until
// nothing is due (a woken service may schedule more for now).
func (r *run) runDue(ctx context.Context, now time.Time) error {
	for {
		delivered, err := r.deliverDue(ctx, now)
		if err != nil {
			return err
		}
		if due, woke := r.clk.wakeNext(); due {
			if woke {
				if err := r.settle(ctx); err != nil {
					return err
				}
			}
			continue
		}
		if !delivered {
			return r.settle(ctx)
		}
	}
}

// deliverDue hands over what the relays deliver by now, satellite by
// satellite in a fixed order.
func (r *run) deliverDue(ctx context.Context, now time.Time) (bool, error) {
	moved := false
	for _, sat := range r.geo.Satellites() {
		ds := r.relays[sat].Due(now)
		for len(ds) > 0 {
			moved = true
			if ds[0].Up {
				r.radios[sat].deliver(ds[0].Data)
				ds = ds[1:]
			} else {
				n := 1
				for n < len(ds) && !ds[n].Up && ds[n].Station == ds[0].Station {
					n++
				}
				frames := make([][]byte, n)
				for i := range n {
					frames[i] = ds[i].Data
				}
				if err := r.ground.Deliver(r.stationName(sat, ds[0].Station), frames...); err != nil {
					return moved, fmt.Errorf("sim: ground: %w", err)
				}
				ds = ds[n:]
			}
			if err := r.settle(ctx); err != nil {
				return moved, err
			}
		}
	}
	return moved, nil
}

// activity sums counters that move when the services work.
func (r *run) activity() int64 {
	var n int64
	for _, rl := range r.relays {
		s := rl.Stats()
		n += s.FramesIn + s.ReportsIn
	}
	gs := r.ground.Stats()
	n += int64(gs.Published+gs.AlreadyPublished+gs.ReportsSent+gs.ItemsRedelivered) + int64(gs.SymbolsLogged) + int64(gs.OutboxLen)
	for _, c := range gs.ItemsCompleted {
		n += int64(c)
	}
	n += int64(r.consumer.LastSeq())
	return n + int64(r.clk.sleeps())
}

// owed reports work handed over and not yet done: a report flight has not
// read, an item ground has not published, a published detection the
// consumer has not received. It is exact where the wall-clock signs are
// not (a message between two processes' sockets leaves every goroutine
// waiting for a moment).
func (r *run) owed() bool {
	for _, rd := range r.radios {
		if rd.pending() > 0 {
			return true
		}
	}
	gs := r.ground.Stats()
	return gs.OutboxLen > 0 || r.consumer.LastSeq() < uint64(gs.Published)
}

// settleStall is how long (wall time) settle waits for services that never
// come to rest before it fails the run: a run that cannot settle could
// only go on by letting wall time into its figures.
const settleStall = 2 * time.Minute

// settle waits until the services have done everything the last event
// gave them to do: nothing owed (see owed), no goroutine but this one
// running, ready or in a system call (see busy), no one going to sleep and
// no counter moving, for Quiet of wall time. However long that takes, the
// simulated time stands still, so the figures do not depend on the
// machine's speed or load.
func (r *run) settle(ctx context.Context) error {
	const poll = 100 * time.Microsecond
	r.settles++
	start := time.Now()
	before := r.activity()
	var quietSince time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(poll)
		r.settlePolls++
		if r.owed() || r.sched.busy() {
			quietSince = time.Time{}
			if time.Since(start) > settleStall {
				return fmt.Errorf("sim: the services did not come to rest at %s in %v of wall time", r.clk.Now().Format(time.RFC3339), settleStall)
			}
			continue
		}
		if a := r.activity(); a != before {
			before, quietSince = a, time.Time{}
			continue
		}
		if quietSince.IsZero() {
			quietSince = time.Now()
			continue
		}
		if time.Since(quietSince) >= r.opts.Quiet {
			return nil
		}
	}
}

// inPassWindow reports whether some pass is in progress at now, or ended
// so recently that ground may still send its final report.
func (r *run) inPassWindow(now time.Time) bool {
	for i := range r.geo.Plan {
		p := &r.geo.Plan[i]
		if p.AOS.After(now) {
			break
		}
		if now.Before(p.LOS.Add(40 * time.Second)) {
			return true
		}
	}
	return false
}

// idle reports whether nothing is waiting to move: flight queues empty,
// nothing in the channel, nothing waiting to be published.
func (r *run) idle() bool {
	for _, rl := range r.relays {
		if rl.Pending() > 0 {
			return false
		}
	}
	for _, f := range r.flights {
		if f.Stats().QueueDepth > 0 {
			return false
		}
	}
	return r.ground.Stats().OutboxLen == 0
}

// nextStep picks the next clock time: the next capture, sample or pass
// boundary; inside a busy pass also the next sleeper's deadline or
// delivery, at least MinStep and at most MaxStep ahead. Outside passes sleepers are jumped over (they fire late,
// at the jump), which is what lets a day run in a minute.
func (r *run) nextStep(now, nextSample, end time.Time) time.Time {
	next := end
	early := func(t time.Time) {
		if t.After(now) && t.Before(next) {
			next = t
		}
	}
	if r.nextCapture < len(r.world.Captures) {
		early(r.world.Captures[r.nextCapture].Time)
	}
	early(nextSample)
	for i := range r.geo.Plan {
		p := &r.geo.Plan[i]
		if p.AOS.After(now) {
			early(p.AOS)
			break
		}
		early(p.LOS)
	}
	if r.inPassWindow(now) && !r.idle() {
		r.busySteps++
		dl, ok := r.clk.nextDeadline()
		for _, rl := range r.relays {
			if at, due := rl.Next(); due && (!ok || at.Before(dl)) {
				dl, ok = at, true
			}
		}
		if ok {
			// Sleepers and deliveries due within MinStep run together at
			// the step, earliest first.
			early(maxTime(dl, now.Add(r.opts.MinStep)))
		}
		early(now.Add(r.opts.MaxStep))
	}
	return next
}

// notePassStarts records each flight's queue when the radio starts
// serving a pass (its usable start: see passes.Plan.Usable).
func (r *run) notePassStarts(now time.Time) {
	for i := range r.geo.Plan {
		p := &r.geo.Plan[i]
		if p.AOS.After(now) {
			break
		}
		if _, done := r.passQueue[i]; done {
			continue
		}
		from, to, ok := r.geo.Plan.Usable(i)
		if !ok || now.Before(from) || !now.Before(to) {
			continue
		}
		r.passQueue[i] = r.flights[p.Satellite].Stats().QueueBytes
	}
}

func (r *run) sample(now time.Time) {
	q := report.QueuePoint{At: now}
	for _, f := range r.flights {
		s := f.Stats()
		q.Items += int(s.QueueDepth)
		q.QueueBytes += s.QueueBytes
		q.StorageBytes += s.FileBytes
	}
	r.queue = append(r.queue, q)
}

func (r *run) status(now time.Time) report.Status {
	st := report.Status{Now: now, Scenes: r.submitted, Published: int(r.consumer.LastSeq())}
	if len(r.queue) > 0 {
		st.Queue = r.queue[len(r.queue)-1].Items
	}
	st.Detections = r.rec.count()
	for _, sat := range r.geo.Satellites() {
		if p, ok := r.geo.Plan.Active(sat, now); ok {
			st.InPass = sat + "→" + p.Station
			break
		}
	}
	return st
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
