package sim

import (
	"math"
	"sort"
	"time"

	"github.com/skysieve/skysieve/ground/feed"
	"github.com/skysieve/skysieve/sim/baseline"
	"github.com/skysieve/skysieve/sim/consumer"
	"github.com/skysieve/skysieve/sim/report"
	"github.com/skysieve/skysieve/sim/world"
)

// report computes the figures for Skysieve and the baseline.
func (r *run) report() *report.Report {
	end := r.scn.End()
	rep := &report.Report{
		Scenario: r.scn.Name, Seed: r.scn.Seed, Start: r.scn.Start, DurationS: r.scn.Duration.Seconds(),
		Satellites: r.geo.Satellites(), Scenes: r.submitted, Passes: len(r.geo.Plan), Events: len(r.world.Events),
		Counters: map[string]int64{},
	}
	for _, st := range r.geo.Stations {
		rep.Stations = append(rep.Stations, st.Name)
	}
	visible := map[int]bool{}
	var rawBytes int64
	for i := 0; i < r.nextCapture; i++ {
		rawBytes += r.world.Captures[i].RawBytes
		for _, e := range r.truths[i].Visible {
			visible[e] = true
		}
	}
	snap := r.consumer.Snapshot()
	kept := r.rec.snapshot()

	// Skysieve.
	m := &rep.Metrics
	m.RawBytes = rawBytes
	var stored, queued, acked int64
	for _, f := range r.flights {
		s := f.Stats()
		m.DownlinkedBytes += int64(s.BytesSent)
		stored += int64(s.DetectionsStored)
		queued += s.QueueDepth
		acked += int64(s.Acked)
		rep.Counters["flight_frames_sent"] += int64(s.FramesSent)
		rep.Counters["flight_repair_symbols"] += int64(s.RepairSymbols)
		rep.Counters["flight_reports"] += int64(s.Reports)
		rep.Counters["flight_reports_rejected"] += int64(s.ReportsRejected)
		for reason, n := range s.Deleted {
			rep.Counters["flight_deleted_"+reason] += int64(n)
		}
	}
	rep.Counters["flight_detections_stored"] = stored
	rep.Counters["sim_clock_steps"] = r.steps
	rep.Counters["sim_settles"] = r.settles
	rep.Counters["sim_busy_pass_steps"] = r.busySteps
	rep.Counters["flight_acked"] = acked
	rep.Counters["flight_intake_refused_scenes"] = int64(r.refused)
	if rawBytes > 0 {
		m.DataReduction = 1 - float64(m.DownlinkedBytes)/float64(rawBytes)
	}
	m.DetectionsPublished = len(snap.Arrivals)
	m.DuplicatesPublished = snap.Duplicates
	m.QueuedAtEnd = int(queued)
	gs := r.ground.Stats()
	rep.Counters["ground_outbox_at_end"] = int64(gs.OutboxLen)
	for _, f := range gs.Frames {
		rep.Counters["ground_frames_good"] += int64(f.Good)
		rep.Counters["ground_frames_idle"] += int64(f.Idle)
		rep.Counters["ground_symbols_duplicate"] += int64(f.Duplicate)
	}
	for kind, n := range gs.ItemsCompleted {
		rep.Counters["ground_items_"+kind] += int64(n)
	}
	rep.Counters["ground_published"] = int64(gs.Published)
	rep.Counters["ground_already_published"] = int64(gs.AlreadyPublished)
	rep.Counters["consumer_malformed"] = int64(snap.Malformed)
	if lost := stored - int64(len(snap.Arrivals)) - queued - int64(gs.OutboxLen); lost > 0 {
		m.LostItems = int(lost)
	}
	m.EventsVisible = len(visible)
	for e := range snap.FirstSeen {
		if visible[e] {
			m.EventsDetected++
		}
	}
	if m.EventsVisible > 0 {
		m.EventRecall = float64(m.EventsDetected) / float64(m.EventsVisible)
	}
	var lat, bound []float64
	for _, a := range snap.Arrivals {
		if a.Event < 0 {
			m.FalsePositives++
		}
		if !feed.IsSevere(a.Class) {
			continue
		}
		lat = append(lat, a.ReceivedAt.Sub(a.CaptureTime).Seconds())
		size := kept[a.ID].Bytes
		if size == 0 {
			size = int64(a.ChipBytes) + 512
		}
		if b, ok := r.geo.Plan.Bound(a.Satellite, a.CaptureTime, size); ok {
			bound = append(bound, b.Seconds())
		}
	}
	m.CriticalCount = len(lat)
	m.CriticalLatencyP50S = report.Percentile(lat, 50)
	m.CriticalLatencyP99S = report.Percentile(lat, 99)
	m.CriticalLatencyBoundP99S = report.Percentile(bound, 99)
	m.CriticalLatencyMaxS = report.Percentile(lat, 100)
	r.skysieveGoodput(m, snap, kept)
	rep.Plot.Latencies = lat

	// Baseline.
	r.baselineMetrics(rep, visible, end)

	for _, rl := range r.relays {
		s := rl.Stats()
		for k, v := range map[string]int64{"channel_frames_in": s.FramesIn, "channel_outside_pass": s.OutsidePass,
			"channel_overflow": s.Overflow, "channel_lost": s.Lost, "channel_cut_at_los": s.CutAtLOS,
			"channel_corrupted": s.Corrupted, "channel_duplicated": s.Duplicated, "channel_reordered": s.Reordered,
			"channel_delivered": s.Delivered, "channel_reports_up": s.ReportsUp, "channel_reports_lost": s.ReportsLost} {
			rep.Counters[k] += v
		}
	}
	if b := m.CriticalLatencyBoundP99S; b > 0 {
		rep.LatencyToBound = m.CriticalLatencyP99S / b
	}
	if s := m.CriticalLatencyP99S; s > 0 {
		rep.BaselineSpeedup = rep.Baseline.CriticalLatencyP99S / s
	}
	r.plot(rep, visible, snap)
	return rep
}

// skysieveGoodput: useful bytes (record + chip of each detection, once)
// delivered in passes whose queue at their start exceeded what they could
// carry, over those passes' capacity after loss. A pass counts only for
// the part its satellite's one radio can serve (passes.Plan.Usable), and
// only once it has ended (the last items of a pass the run cuts short are
// still on the air). "After loss" is the loss the channel dealt the pass's
// frames (lost, corrupted, cut at LOS), which runs above the link model's
// expectation in fades and bursts; a pass with no frame on air uses the
// expectation.
func (r *run) skysieveGoodput(m *report.Metrics, snap consumer.Snapshot, kept map[string]kept) {
	// An arrival counts for the pass whose served part (Usable) it fell
	// in, else for the one that ended at most a minute before it (its
	// last items' reports and publishing).
	useful := make([]float64, len(r.geo.Plan))
	for _, a := range snap.Arrivals {
		at := a.DownlinkTime
		if at.IsZero() {
			at = a.ReceivedAt
		}
		size := float64(kept[a.ID].Bytes)
		tail := -1
		for i := range r.geo.Plan {
			p := &r.geo.Plan[i]
			from, to, ok := r.geo.Plan.Usable(i)
			if p.Satellite != a.Satellite || !ok {
				continue
			}
			if !at.Before(from) && at.Before(to) {
				tail = -1
				useful[i] += size
				break
			}
			if tail < 0 && !at.Before(to) && !at.After(to.Add(time.Minute)) {
				tail = i
			}
		}
		if tail >= 0 {
			useful[tail] += size
		}
	}
	var satU, satC, allU, allC float64
	for i := range r.geo.Plan {
		p := &r.geo.Plan[i]
		if !p.LOS.Before(r.clk.Now()) {
			break
		}
		from, to, ok := r.geo.Plan.Usable(i)
		if !ok {
			continue
		}
		c := p.GoodputBytesBetween(from, to)
		loss := math.NaN()
		if rl := r.relays[p.Satellite]; rl != nil {
			if f := rl.Pass(p.Station, p.AOS); f.OnAir > 0 {
				loss = f.LossRate()
				c = p.CapacityBytesBetween(from, to) * (1 - loss)
			}
		}
		allU += useful[i]
		allC += c
		if q, ok := r.passQueue[i]; ok && float64(q) > c {
			m.Saturated = append(m.Saturated, report.SaturatedPass{Station: p.Station, AOS: p.AOS, QueueBytes: q,
				CapacityBytes: c, LossRate: finite(loss), UsefulBytes: useful[i]})
			m.SaturatedPasses++
			satU += useful[i]
			satC += c
		}
	}
	if satC > 0 {
		m.GoodputRatio = satU / satC
	}
	if allC > 0 {
		m.GoodputAllPasses = allU / allC
	}
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// baselineMetrics runs the FIFO raw downlink over the same captures.
func (r *run) baselineMetrics(rep *report.Report, visible map[int]bool, end time.Time) {
	scenes := make([]baseline.Scene, r.nextCapture)
	for i := range scenes {
		c := &r.world.Captures[i]
		scenes[i] = baseline.Scene{ID: c.ID, Satellite: c.Satellite, Capture: c.Time, RawBytes: c.RawBytes}
	}
	res := baseline.Run(scenes, r.geo.Plan, r.scn.Start, end, sampleEvery)
	b := &rep.Baseline
	b.RawBytes = rep.Metrics.RawBytes
	b.DownlinkedBytes = res.DeliveredBytes
	b.QueuedAtEnd = len(scenes) - len(res.Delivered)
	seen := map[int]bool{}
	var lat, bound []float64
	for i, s := range scenes {
		at, ok := res.Delivered[i]
		t := r.truths[i]
		if ok {
			b.DetectionsPublished += t.ActionableTiles
			for _, e := range t.Visible {
				seen[e] = true
			}
		} else {
			// Still on board at the end: its latency is at least this.
			at = end
		}
		if t.CriticalTiles == 0 {
			continue
		}
		bd, bok := r.geo.Plan.Bound(s.Satellite, s.Capture, s.RawBytes)
		for range t.CriticalTiles {
			lat = append(lat, at.Sub(s.Capture).Seconds())
			if bok {
				bound = append(bound, bd.Seconds())
			}
		}
	}
	b.EventsVisible = len(visible)
	b.EventsDetected = len(seen)
	if b.EventsVisible > 0 {
		b.EventRecall = float64(b.EventsDetected) / float64(b.EventsVisible)
	}
	b.CriticalCount = len(lat)
	b.CriticalLatencyP50S = report.Percentile(lat, 50)
	b.CriticalLatencyP99S = report.Percentile(lat, 99)
	b.CriticalLatencyMaxS = report.Percentile(lat, 100)
	b.CriticalLatencyBoundP99S = report.Percentile(bound, 99)
	b.SaturatedPasses = res.SaturatedPasses
	if res.SaturatedCapacityBytes > 0 {
		b.GoodputRatio = res.SaturatedDeliveredBytes / res.SaturatedCapacityBytes
	}
	if res.GoodputCapacityBytes > 0 {
		b.GoodputAllPasses = res.MovedBytes / res.GoodputCapacityBytes
	}
	rep.Plot.BaseLatencies = lat
	for _, q := range res.Queue {
		rep.Plot.BaselineQueue = append(rep.Plot.BaselineQueue, report.QueuePoint{At: q.At, Items: q.Items, QueueBytes: q.QueueBytes})
	}
}

func (r *run) plot(rep *report.Report, visible map[int]bool, snap consumer.Snapshot) {
	rep.Plot.Queue = r.queue
	for _, p := range r.geo.Plan {
		rep.Plot.Passes = append(rep.Plot.Passes, report.PassBar{Satellite: p.Satellite, Station: p.Station, AOS: p.AOS, LOS: p.LOS, MaxElevationDeg: p.MaxElevationDeg})
	}
	for i, e := range r.world.Events {
		_, det := snap.FirstSeen[i]
		rep.Plot.Events = append(rep.Plot.Events, report.MapEvent{ID: e.ID, Class: e.Class, LatDeg: e.LatDeg, LonDeg: e.LonDeg, Visible: visible[i], Detected: det})
	}
	for _, a := range snap.Arrivals {
		var lat, lon float64
		for _, p := range a.Footprint {
			lon += p[0]
			lat += p[1]
		}
		n := float64(len(a.Footprint))
		rep.Plot.Detections = append(rep.Plot.Detections, report.MapDetection{Class: a.Class, LatDeg: lat / n, LonDeg: lon / n, Matched: a.Event >= 0})
	}
	for i := 0; i < r.nextCapture; i++ {
		c := &r.world.Captures[i]
		rep.Plot.Captures = append(rep.Plot.Captures, report.MapPoint{LatDeg: c.CenterLatDeg, LonDeg: c.CenterLonDeg})
	}
	for _, st := range r.geo.Stations {
		rep.Plot.StationsAt = append(rep.Plot.StationsAt, report.MapStation{Name: st.Name, LatDeg: st.LatDeg, LonDeg: st.LonDeg})
	}
	rep.Plot.Land = world.LandOutlines()
	sort.Float64s(rep.Plot.Latencies)
}
