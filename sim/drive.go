package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/skysieve/skysieve/flight"
	"github.com/skysieve/skysieve/sim/report"
	"github.com/skysieve/skysieve/triage/synth"
)

// sampleEvery is the spacing of the queue samples in the report.
const sampleEvery = time.Minute

// drive moves the virtual clock from the scenario's start to its end.
func (r *run) drive(ctx context.Context) error {
	end := r.scn.End()
	var prog *report.Progress
	if r.opts.Progress != nil {
		prog = report.NewProgress(r.opts.Progress, r.opts.Terminal, r.scn.Start, r.scn.Duration)
		defer prog.Done()
	}
	nextSample := r.scn.Start
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
		if err := r.captureDue(ctx, now); err != nil {
			return err
		}
		r.settle(ctx)
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
		r.clk.Set(r.nextStep(now, nextSample, end))
	}
}

// captureDue renders and submits every capture due by now.
func (r *run) captureDue(ctx context.Context, now time.Time) error {
	for r.nextCapture < len(r.world.Captures) && !r.world.Captures[r.nextCapture].Time.After(now) {
		i := r.nextCapture
		c := &r.world.Captures[i]
		sc, tr := synth.Generate(Spec(c, r.world.Events))
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
	}
	return nil
}

// activity sums counters that move when the services work without
// touching the clock (sockets, the bus).
func (r *run) activity() int64 {
	var n int64
	for _, rl := range r.relays {
		s := rl.Stats()
		n += s.FramesIn + s.Delivered + s.ReportsIn + s.ReportsUp
	}
	gs := r.ground.Stats()
	n += int64(gs.Published+gs.AlreadyPublished+gs.ReportsSent+gs.ItemsRedelivered) + int64(gs.SymbolsLogged) + int64(gs.OutboxLen)
	for _, c := range gs.ItemsCompleted {
		n += int64(c)
	}
	n += int64(r.consumer.LastSeq())
	return n
}

// settle waits until neither the clock nor any counter has moved for
// Quiet of wall time.
func (r *run) settle(ctx context.Context) {
	before := r.activity()
	for {
		changed := r.clk.Changed()
		t := time.NewTimer(r.opts.Quiet)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-changed:
			t.Stop()
			continue
		case <-t.C:
		}
		after := r.activity()
		if after == before {
			return
		}
		before = after
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
// boundary; inside a busy pass also the next pending timer, at most
// MaxStep ahead. Outside passes timers are jumped over (they fire late,
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
		if dl, ok := r.clk.NextDeadline(); ok {
			early(dl)
		}
		early(now.Add(r.opts.MaxStep))
	}
	return next
}

// notePassStarts records each flight's queue when a pass of it begins.
func (r *run) notePassStarts(now time.Time) {
	for i := range r.geo.Plan {
		p := &r.geo.Plan[i]
		if p.AOS.After(now) {
			break
		}
		if _, done := r.passQueue[i]; done || !p.Contains(now) {
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
