package flight

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/bundle"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/plan"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/flight/store"
)

// Custody pass names: symbols of an item's record and chip are recorded
// under "<pass>/record" and "<pass>/chip"; "done/record" and "done/chip"
// mark a part the ground confirmed complete.
const donePass = "done"

func custodyPass(pass string, kind link.Kind) string { return pass + "/" + kind.String() }

// linkItem is one item on the link (a detection's record or chip) during
// a pass. The radio loop goroutine owns it.
type linkItem struct {
	ref     link.ItemRef
	storeID string
	class   int
	value   float64
	enc     *link.ItemEncoder
	// next is the next symbol index to send: symbols are never repeated.
	next int
	// need is what the ground still lacks (its last report, else K);
	// unreported counts symbols sent that no report has covered yet.
	need, unreported int
	// inFlight holds when each of the unreported symbols ends on air, so a
	// report made at some time covers exactly those that reached the
	// ground before it.
	inFlight []time.Time
	// pending are symbol indices sent but not yet recorded in the store.
	pending []int
	// members are the store ids of a bundle's detections (nil for a
	// record or chip); data is the bundle's encoding.
	members []string
	data    []byte
}

// pass is the state of one contact while it runs.
type pass struct {
	name    string
	contact plan.Contact
	items   map[link.ItemRef]*linkItem
	// bundled maps the store id of each detection in a bundle of this
	// pass to that bundle.
	bundled map[string]*linkItem
	// due is when the next frame may start on air (pacing).
	due      time.Time
	nextHK   time.Time
	frameBuf []byte
	// replan is set when a whole report has arrived: the loop plans again
	// so repair goes to what the ground said it lacks. lastReport is when
	// the latest whole report arrived.
	replan     bool
	lastReport time.Time
}

// feedbackRepairFrames is the air time, in frames, added to the feedback
// delay for the repair a report asks for (a few lost symbols, and one
// more round if a repair symbol is lost too).
const feedbackRepairFrames = 4

// reportGuard is the margin by which a symbol must have ended on air
// before a report's time for the report to count as covering it (the
// propagation delay and the ground's handling, with room to spare). Erring
// late only delays a repair by one report; erring early resends a symbol
// still on its way.
const reportGuard = 2 * time.Second

// radioLoop waits for each contact and runs it; outside contacts it only
// handles uplink reports (which arrive during contacts anyway).
func (s *Service) radioLoop(ctx context.Context) error {
	for ctx.Err() == nil {
		now := s.clock.Now()
		c, ok := s.nextContact(now)
		var timer <-chan time.Time
		if ok {
			if !now.Before(c.Start) {
				if err := s.runPass(ctx, c); err != nil {
					return err
				}
				continue
			}
			timer = s.clock.After(c.Start.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case rep := <-s.reports:
			s.handleReport(nil, rep)
		case <-s.wake:
		case <-timer:
		}
	}
	return nil
}

// runPass sends frames for one contact until it ends or ctx does.
func (s *Service) runPass(ctx context.Context, c plan.Contact) error {
	name, err := s.nextPass()
	if err != nil {
		return err
	}
	p := &pass{name: name, contact: c, items: map[link.ItemRef]*linkItem{}, bundled: map[string]*linkItem{}, due: s.clock.Now(), lastReport: s.clock.Now()}
	s.setInPass(true)
	s.stats.passes.Add(1)
	who := s.nameOf(c)
	s.log.Info("pass start", "pass", name, "spacecraft", who.satellite, "spacecraft_id", s.cfg.Link.SpacecraftID,
		"station", who.station, "contact_start", c.Start, "contact_end", c.End, "capacity_bytes", int64(c.CapacityBits()/8))
	before := s.Stats()
	passStats := func() PassStats {
		now := s.Stats()
		return PassStats{Name: name, Start: c.Start, End: c.End,
			Frames: now.FramesSent - before.FramesSent, Symbols: now.SymbolsSent - before.SymbolsSent,
			RepairSymbols: now.RepairSymbols - before.RepairSymbols, Acked: now.Acked - before.Acked}
	}
	s.mu.Lock()
	s.lastPass = PassStats{Name: name, Start: c.Start, End: c.End}
	s.mu.Unlock()
	defer func() {
		s.flushAll(p)
		// The next pass reads symbol indices back from the store.
		s.syncCustody()
		ps := passStats()
		s.mu.Lock()
		s.lastPass = ps
		s.mu.Unlock()
		s.setInPass(false)
		s.log.Info("pass end", "pass", name, "spacecraft", who.satellite, "station", who.station, "frames", ps.Frames, "symbols", ps.Symbols, "repair_symbols", ps.RepairSymbols, "acked", ps.Acked)
	}()
	idle := s.cfg.ReplanIdle
	for ctx.Err() == nil {
		now := s.clock.Now()
		if !now.Before(c.End) {
			return nil
		}
		s.drainReports(p)
		if !now.Before(p.nextHK) {
			air, err := s.sendHousekeeping(ctx, p)
			if err != nil {
				return err
			}
			// On a narrow link a housekeeping packet is many seconds on
			// air: space them so they take at most their share.
			p.nextHK = s.clock.Now().Add(max(s.cfg.HousekeepingEvery, time.Duration(float64(air)/s.cfg.HousekeepingShare)))
		}
		pl, queue, err := s.replan(p, now)
		if err != nil {
			return err
		}
		if len(pl.Sends) == 0 {
			// Everything sent is waiting on a report: wait for one, for a
			// new item, or a little, then plan again.
			wait := min(idle, c.End.Sub(now), p.nextHK.Sub(now))
			select {
			case <-ctx.Done():
				return nil
			case rep := <-s.reports:
				s.handleReport(p, rep)
			case <-s.wake:
			case <-s.clock.After(max(wait, time.Millisecond)):
			}
			continue
		}
		s.preemptFlag.Store(false)
		p.replan = false
		switch err := s.sendPlan(ctx, p, pl, queue); {
		case errors.Is(err, errContactOver):
			// No whole frame fits in what is left: idle to the end.
			_ = s.clock.Sleep(ctx, c.End.Sub(s.clock.Now()))
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}

// replan loads the queue (what the remaining contact could carry, with a
// margin for choice) and plans the rest of the contact.
func (s *Service) replan(p *pass, now time.Time) (plan.Plan, []*linkItem, error) {
	rest := p.contact.From(now) // what the plan may fill
	// Read what the rest of the contact could carry, plus a quarter for the
	// planner's choice (Next returns payloads, so not the whole queue).
	budget := int64(rest.CapacityBits()/8*1.25) + 1
	entries, err := s.store.Next(s.cfg.MaxPlanItems, budget)
	if err != nil {
		return plan.Plan{}, nil, fmt.Errorf("read queue: %w", err)
	}
	queue := make([]*linkItem, 0, 2*len(entries))
	bundleCap := s.bundleCap(rest)
	s.resumeBundles(p, entries)
	// New detections join the bundles not yet started: they are formed
	// again with them, so a detection that arrives mid-pass does not go
	// in a small bundle of its own while bigger ones wait.
	regroup := false
	for i := range entries {
		if p.bundled[entries[i].Item.ID] == nil && bundleCap > 0 && s.fresh(p, &entries[i]) {
			regroup = true
			break
		}
	}
	s.dissolveBundles(p, bundleCap, regroup)
	var fresh []*store.Entry
	inQueue := map[*linkItem]bool{}
	for i := range entries {
		e := &entries[i]
		if li := p.bundled[e.Item.ID]; li != nil {
			if li.need > 0 && !inQueue[li] {
				inQueue[li] = true
				queue = append(queue, li)
			}
			continue
		}
		if bundleCap > 0 && s.fresh(p, e) {
			fresh = append(fresh, e)
			continue
		}
		queue = append(queue, s.loadItem(p, e)...)
	}
	queue = append(queue, s.makeBundles(p, fresh, bundleCap)...)
	items := make([]plan.Item, len(queue))
	for i, li := range queue {
		if now.Sub(p.lastReport) > s.cfg.PlanFeedbackDelay {
			// Reports have stopped (lost, or the ground reports only
			// while frames arrive): count symbols that one should have
			// covered by now as lost rather than wait for it.
			li.uncover(now.Add(reportGuard - s.cfg.PlanFeedbackDelay))
		}
		items[i] = plan.Item{
			ID: li.ref.String(), Class: li.class, Value: li.value,
			K: li.enc.K(), FrameBytes: s.cfg.Link.FrameBytes,
			Need: min(li.need, li.enc.K()), Unreported: li.unreported,
			// A bundle is not started unless it can finish: one cut off
			// at LOS resumes in a later pass (resumeBundles) only if all
			// its detections are still queued then.
			Atomic: li.members != nil,
			// What is cut off at LOS goes on in the next pass (custody
			// keeps the symbol indices, the ground the symbols), so
			// parity need not be sized for completing now, except for
			// the critical class, whose latency is the point.
			Resumable: li.class > 0,
		}
	}
	// A repair that a report asks for must also get on air: on a slow link
	// a few frames take longer than the report itself.
	fbDelay := s.cfg.PlanFeedbackDelay
	if rate, _ := p.contact.At(now); rate > 0 {
		fbDelay += time.Duration(feedbackRepairFrames * float64(s.cfg.Link.FrameBytes*8) / rate * float64(time.Second))
	}
	pl, err := plan.Replan(p.contact, now, items, plan.Options{Confidence: s.cfg.PlanConfidence,
		FeedbackConfidence: s.cfg.PlanFeedbackConfidence, FeedbackDelay: fbDelay})
	if err != nil {
		return plan.Plan{}, nil, fmt.Errorf("plan: %w", err)
	}
	return pl, queue, nil
}

// loadItem returns the link items (record, chip) of a stored entry that
// still need sending, creating their encoders on first sight in the pass.
func (s *Service) loadItem(p *pass, e *store.Entry) []*linkItem {
	id, err := link.ParseDetectionID(e.Item.ID)
	if err != nil {
		s.log.Error("stored item has an id the link cannot carry", "id", e.Item.ID, "err", err)
		return nil
	}
	var out []*linkItem
	for _, part := range []struct {
		kind  link.Kind
		data  []byte
		value float64
	}{
		{link.KindRecord, e.Item.Record, e.Item.Value + s.cfg.RecordBonus},
		{link.KindChip, e.Item.Chip, e.Item.Value},
	} {
		ref := link.ItemRef{Kind: part.kind, ID: id}
		if li, ok := p.items[ref]; ok {
			if li.need > 0 {
				out = append(out, li)
			}
			continue
		}
		if len(part.data) == 0 || partDone(e.Sent, part.kind) {
			continue
		}
		class := min(e.Item.PriorityClass, len(s.cfg.Link.ClassVC)-1)
		enc, err := s.sender.Item(part.kind, id, part.data, class)
		if err != nil {
			s.log.Error("cannot encode item", "ref", ref, "err", err)
			continue
		}
		li := &linkItem{ref: ref, storeID: e.Item.ID, class: e.Item.PriorityClass, value: part.value, enc: enc,
			next: nextSymbol(e.Sent, part.kind), need: enc.K()}
		if n, ok := s.needs[ref]; ok {
			li.need = n
		}
		p.items[ref] = li
		if li.need > 0 {
			out = append(out, li)
		}
	}
	return out
}

// bundleCap is the largest bundle worth forming with contact rest left:
// the configured size, but at most a quarter of what rest can carry, so a
// bundle formed late in a pass still completes in it; rounded down to
// whole symbols, since a bundle pads its last symbol to full size. 0 means
// do not bundle.
func (s *Service) bundleCap(rest plan.Contact) int {
	if s.cfg.BundleMaxBytes < 0 {
		return 0
	}
	frames := rest.CapacityBits() / 8 / float64(s.cfg.Link.FrameBytes)
	symbol := s.cfg.Link.SymbolBytes()
	return min(s.cfg.BundleMaxBytes/symbol, int(frames/4)) * symbol
}

// fresh reports whether no part of e has gone on the link as its own item
// (in this pass or, by custody, an earlier one) or been reported on: such a
// detection may join a bundle. One sent only in bundles that never
// completed is fresh again.
func (s *Service) fresh(p *pass, e *store.Entry) bool {
	if len(e.Item.Record) == 0 {
		return false
	}
	id, err := link.ParseDetectionID(e.Item.ID)
	if err != nil {
		return false
	}
	for _, kind := range []link.Kind{link.KindRecord, link.KindChip} {
		ref := link.ItemRef{Kind: kind, ID: id}
		if _, ok := p.items[ref]; ok {
			return false
		}
		if _, ok := s.needs[ref]; ok {
			return false
		}
		if _, ok := s.doneRefs[ref]; ok {
			return false
		}
	}
	suffixes := []string{"/" + link.KindRecord.String(), "/" + link.KindChip.String()}
	for _, x := range e.Sent {
		for _, suf := range suffixes {
			if strings.HasSuffix(x.Pass, suf) {
				return false
			}
		}
	}
	return true
}

// dissolveBundles forgets the bundles of this pass that have not started
// and no longer fit under capBytes (the pass is running out), or all that
// have not started if all is set, so their detections can be bundled
// again.
func (s *Service) dissolveBundles(p *pass, capBytes int, all bool) {
	for _, li := range p.items {
		if li.members == nil || li.next > 0 || (!all && len(li.data) <= capBytes) {
			continue
		}
		s.forgetBundle(p, li)
	}
}

// makeBundles packs fresh detections into bundles of at most capBytes
// (see packBundles); a detection too big for any bundle, or one whose
// bundle cannot be encoded, goes as its own items.
func (s *Service) makeBundles(p *pass, fresh []*store.Entry, capBytes int) []*linkItem {
	cands := make([]bundleCand, len(fresh))
	for i, e := range fresh {
		cands[i] = bundleCand{bytes: bundle.MemberSize(len(e.Item.Record), len(e.Item.Chip)), class: e.Item.PriorityClass}
	}
	groups, alone := packBundles(cands, capBytes, s.cfg.Link.SymbolBytes())
	var out []*linkItem
	for _, i := range alone {
		out = append(out, s.loadItem(p, fresh[i])...)
	}
	for _, g := range groups {
		entries := make([]*store.Entry, len(g))
		for k, i := range g {
			entries[k] = fresh[i]
		}
		if li := s.newBundle(p, entries, 0); li != nil {
			out = append(out, li)
			continue
		}
		for _, e := range entries {
			out = append(out, s.loadItem(p, e)...)
		}
	}
	return out
}

// newBundle encodes the entries as one bundle item of this pass, or
// returns nil (logged) if they cannot be. Its first symbol is next (0 for
// a new bundle; one past the last sent for a resumed one).
func (s *Service) newBundle(p *pass, entries []*store.Entry, next int) *linkItem {
	members := make([]bundle.Member, 0, len(entries))
	ids := make([]link.ItemID, 0, len(entries))
	storeIDs := make([]string, 0, len(entries))
	var value float64
	for _, e := range entries {
		id, err := link.ParseDetectionID(e.Item.ID)
		if err != nil {
			s.log.Error("stored item has an id the link cannot carry", "id", e.Item.ID, "err", err)
			continue
		}
		members = append(members, bundle.Member{ID: id, Record: e.Item.Record, Chip: e.Item.Chip})
		ids = append(ids, id)
		storeIDs = append(storeIDs, e.Item.ID)
		value += e.Item.Value + s.cfg.RecordBonus
	}
	if len(members) == 0 {
		return nil
	}
	data, err := bundle.Encode(nil, members)
	if err != nil {
		s.log.Error("cannot bundle detections", "first", storeIDs[0], "err", err)
		return nil
	}
	ref := link.ItemRef{Kind: link.KindBundle, ID: bundle.ID(ids)}
	if li, ok := p.items[ref]; ok {
		// The same detections were bundled before this pass's plan changed:
		// the same bundle, already known.
		for _, id := range storeIDs {
			p.bundled[id] = li
		}
		return li
	}
	class := entries[0].Item.PriorityClass
	enc, err := s.sender.Item(link.KindBundle, ref.ID, data, min(class, len(s.cfg.Link.ClassVC)-1))
	if err != nil {
		s.log.Error("cannot encode bundle", "ref", ref, "err", err)
		return nil
	}
	li := &linkItem{ref: ref, class: class, value: value, enc: enc, need: enc.K(), members: storeIDs, data: data, next: next}
	if n, ok := s.needs[ref]; ok {
		li.need = n
	}
	p.items[ref] = li
	for _, id := range storeIDs {
		p.bundled[id] = li
	}
	return li
}

// partDone reports whether custody marks the part confirmed complete.
func partDone(sent []store.Sent, kind link.Kind) bool {
	want := custodyPass(donePass, kind)
	return slices.ContainsFunc(sent, func(x store.Sent) bool { return x.Pass == want })
}

// nextSymbol is one past the highest symbol of the part sent in any pass.
func nextSymbol(sent []store.Sent, kind link.Kind) int {
	suffix := "/" + kind.String()
	next := 0
	for _, x := range sent {
		if strings.HasSuffix(x.Pass, suffix) && !strings.HasPrefix(x.Pass, donePass+"/") && len(x.Symbols) > 0 {
			next = max(next, x.Symbols[len(x.Symbols)-1]+1)
		}
	}
	return next
}

// sendPlan sends the plan's frames, paced at the contact's rate. It
// returns early (nil) when the contact ends, ctx ends, or a critical item
// asks for a re-plan; custody of what went out is recorded either way.
func (s *Service) sendPlan(ctx context.Context, p *pass, pl plan.Plan, queue []*linkItem) error {
	for _, snd := range pl.Sends {
		li := queue[snd.Index]
		err := s.sendSymbols(ctx, p, li, snd.Symbols)
		s.flushItem(p, li)
		if errors.Is(err, errStopSending) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errStopSending ends a plan early without failing the pass (shutdown or
// a re-plan); errContactOver says no whole frame fits in the contact left.
var (
	errStopSending = errors.New("stop sending")
	errContactOver = errors.New("contact over")
)

// sendSymbols sends n new symbols of li.
func (s *Service) sendSymbols(ctx context.Context, p *pass, li *linkItem, n int) error {
	for range n {
		if ctx.Err() != nil || s.preemptFlag.Load() {
			return errStopSending
		}
		// Every report waiting, not one: on a slow link a report in
		// several parts arrives faster than one part per frame, and a
		// backlog would delay ACKs by minutes (and the parity sized on
		// them).
		s.drainReports(p)
		if p.replan {
			return errStopSending
		}
		if li.need == 0 {
			return nil // completed while we were sending
		}
		idx := li.next % li.enc.MaxSymbols()
		var err error
		p.frameBuf, err = li.enc.AppendFrame(p.frameBuf[:0], idx)
		if err != nil {
			return fmt.Errorf("encode %v symbol %d: %w", li.ref, idx, err)
		}
		if err := s.transmit(ctx, p, p.frameBuf); err != nil {
			return err
		}
		li.next++
		li.unreported++
		li.inFlight = append(li.inFlight, p.due) // transmit left p.due at the frame's end
		li.pending = append(li.pending, idx)
		s.stats.symbolsSent.Add(1)
		if idx >= li.enc.K() {
			s.stats.repairSymbols.Add(1)
		}
	}
	return nil
}

// transmit paces and sends one frame: it waits until the frame's slot on
// the contact's timeline (sleeping on the injected clock in quanta, not
// per frame), sends it, and books its air time. A frame that would not
// end inside the contact is not sent.
func (s *Service) transmit(ctx context.Context, p *pass, frame []byte) error {
	now := s.clock.Now()
	if p.due.Before(now) {
		p.due = now
	}
	frameBits := float64(len(frame) * 8)
	var air time.Duration
	for {
		rate, _ := p.contact.At(p.due)
		if rate > 0 {
			air = time.Duration(frameBits / rate * float64(time.Second))
			break
		}
		next, ok := nextSegmentStart(p.contact, p.due)
		if !ok {
			return errContactOver
		}
		p.due = next
	}
	if p.due.Add(air).After(p.contact.End) {
		return errContactOver
	}
	if wait := p.due.Sub(now); wait >= s.cfg.PacingQuantum {
		if err := s.clock.Sleep(ctx, wait); err != nil {
			return errStopSending
		}
	}
	if err := s.radio.WriteFrame(ctx, frame); err != nil {
		// A radio fault loses the frame, as the channel would; the
		// symbol's custody stays with flight, so it is sent again later.
		if s.stats.radioErrors.Add(1)%1000 == 1 {
			s.log.Error("radio write failed; frame lost", "err", err, "errors_so_far", s.stats.radioErrors.Load())
		}
	}
	p.due = p.due.Add(air)
	s.stats.framesSent.Add(1)
	s.stats.bytesSent.Add(uint64(len(frame)))
	return s.checkSeq()
}

func nextSegmentStart(c plan.Contact, t time.Time) (time.Time, bool) {
	for _, seg := range c.Segments {
		if seg.Start.After(t) && seg.RateBitsPerSec > 0 {
			return seg.Start, true
		}
	}
	return time.Time{}, false
}

// flushItem records the symbols of li sent since the last flush (for a
// bundle, in the custody of each of its detections).
func (s *Service) flushItem(p *pass, li *linkItem) {
	if len(li.pending) == 0 {
		return
	}
	if li.members != nil {
		for pos, id := range li.members {
			s.recordSent(id, bundleCustodyPass(p.name, li.ref.ID, pos, len(li.members)), li.pending)
		}
	} else {
		s.recordSent(li.storeID, custodyPass(p.name, li.ref.Kind), li.pending)
	}
	li.pending = nil
}

func (s *Service) flushAll(p *pass) {
	for _, li := range p.items {
		s.flushItem(p, li)
	}
}

// drainReports handles every report waiting.
func (s *Service) drainReports(p *pass) {
	for {
		select {
		case rep := <-s.reports:
			s.handleReport(p, rep)
		default:
			return
		}
	}
}

// handleReport applies a ground report: complete parts are marked done
// and, when both parts of a detection are done, custody passes to the
// ground (Ack releases the item); incomplete parts get the ground's count
// of symbols still needed, which sizes their repair.
func (s *Service) handleReport(p *pass, rep report.Report) {
	s.stats.reports.Add(1)
	if whole := s.gather(rep); whole != nil && p != nil {
		// A whole report that does not mention a part means the ground
		// has none of its symbols: those that reached it before the
		// report was made were lost, so count them out.
		for ref, li := range p.items {
			if li.unreported > 0 && !whole[ref] {
				li.uncover(rep.Time)
			}
		}
		p.replan = true
		p.lastReport = s.clock.Now()
	}
	for _, ref := range rep.Complete {
		// Reports repeat their ACKs: one already taken is not checked again.
		if _, taken := s.doneRefs[ref]; !taken && !s.ackable(p, ref) {
			s.refuseAck(ref)
			continue
		}
		delete(s.needs, ref)
		if p != nil {
			if li, ok := p.items[ref]; ok {
				// The send loop may hold li: need 0 stops it, and keeps it
				// out of plans for the rest of the pass. The encoder goes.
				li.need, li.unreported, li.inFlight = 0, 0, nil
				li.enc = nil
				s.flushItem(p, li)
			}
		}
		s.complete(ref)
	}
	for _, nr := range rep.Need {
		if _, done := s.doneRefs[nr.Ref]; done {
			continue // a stale report; the part is complete
		}
		if len(s.needs) >= maxDoneRefs {
			clear(s.needs) // parts that expired unsent; a forgotten count is K
		}
		s.needs[nr.Ref] = nr.Symbols
		if p != nil {
			if li, ok := p.items[nr.Ref]; ok && li.enc != nil {
				li.need = nr.Symbols
				li.uncover(rep.Time)
			}
		}
	}
}

// ackable reports whether flight may take an ACK of ref: only for a part
// it has sent at least one symbol of, in this pass (as itself or in a
// bundle) or, by custody, in an earlier one. An ACK for anything else
// cannot be genuine (the ground has nothing to complete) and would release
// a detection that never went down. Refs the store no longer holds, and
// kinds without custody, are let through: they release nothing.
func (s *Service) ackable(p *pass, ref link.ItemRef) bool {
	if p != nil {
		if li, ok := p.items[ref]; ok && li.next > 0 {
			return true
		}
	}
	if ref.Kind != link.KindRecord && ref.Kind != link.KindChip {
		if p != nil {
			if li, ok := p.items[ref]; ok {
				return li.next > 0
			}
		}
		return true
	}
	id := link.FormatID(ref.ID)
	if p != nil {
		if b := p.bundled[id]; b != nil && b.next > 0 {
			return true
		}
	}
	e, err := s.store.Get(id)
	if err != nil {
		return true
	}
	return sentAny(e.Sent, ref.Kind)
}

// sentAny reports whether custody records a symbol of the kind's part sent
// (as itself or in a bundle), or the part already confirmed complete.
func sentAny(sent []store.Sent, kind link.Kind) bool {
	suffix := "/" + kind.String()
	for _, x := range sent {
		if len(x.Symbols) == 0 {
			continue
		}
		if strings.HasSuffix(x.Pass, suffix) {
			return true // includes "done/<kind>"
		}
		if _, _, _, _, ok := parseBundleCustody(x.Pass); ok {
			return true
		}
	}
	return false
}

// refuseAck counts an ACK for a part never sent and leaves the part
// queued; the log line is rate-limited, since every report repeats it.
func (s *Service) refuseAck(ref link.ItemRef) {
	n := s.stats.acksRefused.Add(1)
	if ok, suppressed := s.ackWarn.allow(s.clock.Now()); ok {
		s.log.Warn("ACK refused: no symbol of the item was sent; it stays queued", "ref", ref,
			"refused_total", n, "suppressed", suppressed)
	}
}

// uncover drops the in-flight symbols a report made at madeAt covers: the
// ground's count already reflects them. Those still on their way stay
// unreported, so the planner does not send them again.
func (li *linkItem) uncover(madeAt time.Time) {
	keep := li.inFlight[:0]
	for _, end := range li.inFlight {
		if end.Add(reportGuard).After(madeAt) {
			keep = append(keep, end)
		}
	}
	li.inFlight = keep
	li.unreported = len(keep)
}

// gather collects the items a report mentions across its parts and
// returns them once every part of the report has arrived (nil before, and
// for a report whose parts were partly lost).
func (s *Service) gather(rep report.Report) map[link.ItemRef]bool {
	if s.partial == nil || s.partial.seq != rep.Seq {
		s.reportEpoch++ // a new report
		s.partial = &reportParts{seq: rep.Seq, parts: map[int]bool{}, mentioned: map[link.ItemRef]bool{}}
	}
	rp := s.partial
	rp.parts[rep.Part] = true
	for _, ref := range rep.Complete {
		rp.mentioned[ref] = true
	}
	for _, nr := range rep.Need {
		rp.mentioned[nr.Ref] = true
	}
	if len(rp.parts) < rep.Parts {
		return nil
	}
	s.partial = nil
	return rp.mentioned
}

// reportParts accumulates the parts of one report.
type reportParts struct {
	seq       uint32
	parts     map[int]bool
	mentioned map[link.ItemRef]bool
}

// maxDoneRefs bounds the memory of parts known complete; past it the
// memory starts again (a forgotten part costs one store read).
const maxDoneRefs = 1 << 17

// complete hands a part the ground holds to the custody writer, once.
func (s *Service) complete(ref link.ItemRef) {
	if ref.Kind != link.KindRecord && ref.Kind != link.KindChip {
		return
	}
	if _, seen := s.doneRefs[ref]; seen {
		return // ground repeats completions in every report
	}
	if len(s.doneRefs) >= maxDoneRefs {
		clear(s.doneRefs)
	}
	s.doneRefs[ref] = struct{}{}
	s.recordComplete(ref)
}

// uplinkLoop reads uplink frames, verifies them and hands the reports to
// the radio loop.
func (s *Service) uplinkLoop(ctx context.Context) error {
	defer func() {
		if err := s.persistUplinkTop(true); err != nil {
			s.log.Error("uplink anti-replay state not saved", "err", err)
		}
	}()
	buf := make([]byte, 4096)
	for {
		n, err := s.radio.ReadFrame(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("radio read: %w", err)
		}
		rep, err := s.sender.DecodeReport(buf[:n])
		if err != nil {
			s.stats.reportsRejected.Add(1)
			s.log.Debug("uplink frame rejected", "err", err)
			continue
		}
		if err := s.persistUplinkTop(false); err != nil {
			// Not acted on: a restart would take the same frame again.
			s.log.Error("uplink report dropped", "err", err)
			continue
		}
		select {
		case s.reports <- rep:
		case <-ctx.Done():
			return nil
		}
	}
}

// sendHousekeeping sends one housekeeping packet (the Stats as JSON) on
// its own APID, with a little parity and no custody: the next one
// supersedes it. It returns the packet's time on air.
func (s *Service) sendHousekeeping(ctx context.Context, p *pass) (time.Duration, error) {
	data, err := s.housekeeping()
	if err != nil {
		return 0, err
	}
	var id link.ItemID
	copy(id[:2], "hk")
	binary.BigEndian.PutUint64(id[8:], uint64(s.clock.Now().UnixNano()))
	enc, err := s.sender.Item(link.KindHousekeeping, id, data, 0)
	if err != nil {
		return 0, fmt.Errorf("housekeeping: %w", err)
	}
	now := s.clock.Now()
	start := p.due
	if start.Before(now) {
		start = now
	}
	// Parity for twice the loss expected, rounded: none on a good link (a
	// lost packet is superseded by the next), more as the link degrades.
	_, loss := p.contact.At(now)
	n := enc.K() + int(math.Round(float64(enc.K())*loss*2))
	for i := range n {
		p.frameBuf, err = enc.AppendFrame(p.frameBuf[:0], i)
		if err != nil {
			return 0, fmt.Errorf("housekeeping: %w", err)
		}
		if err := s.transmit(ctx, p, p.frameBuf); err != nil {
			if errors.Is(err, errStopSending) || errors.Is(err, errContactOver) {
				return p.due.Sub(start), nil
			}
			return 0, err
		}
	}
	s.stats.housekeeping.Add(1)
	return p.due.Sub(start), nil
}

// bundleCustodyPass is the custody pass name under which a bundle's
// symbols are recorded for each member: "<pass>/bundle/<id>/<pos>/<n>",
// member pos of n. It is what lets a later pass rebuild the same bundle,
// byte for byte, and go on where the last one stopped.
func bundleCustodyPass(pass string, id link.ItemID, pos, n int) string {
	return fmt.Sprintf("%s/%s/%s/%d/%d", pass, link.KindBundle, id, pos, n)
}

// parseBundleCustody is the inverse of bundleCustodyPass; ok is false for
// any other custody pass name.
func parseBundleCustody(name string) (passNum uint64, id link.ItemID, pos, n int, ok bool) {
	f := strings.Split(name, "/")
	if len(f) != 5 || f[1] != link.KindBundle.String() || !strings.HasPrefix(f[0], "p") {
		return 0, id, 0, 0, false
	}
	var err error
	if passNum, err = strconv.ParseUint(f[0][1:], 10, 64); err != nil {
		return 0, id, 0, 0, false
	}
	if id, err = link.ParseDetectionID(f[2]); err != nil {
		return 0, id, 0, 0, false
	}
	if pos, err = strconv.Atoi(f[3]); err != nil {
		return 0, id, 0, 0, false
	}
	if n, err = strconv.Atoi(f[4]); err != nil || pos < 0 || pos >= n || n > bundle.MaxMembers {
		return 0, id, 0, 0, false
	}
	return passNum, id, pos, n, true
}

// resumeBundles rebuilds the bundles an earlier pass left incomplete
// (the pass ended, or flight restarted), so the symbols the ground already
// holds still count: for each bundle named in the custody of entries not
// yet in a bundle of this pass, if every member is among entries it is
// encoded again in its order, checked against its id, and resumed after
// its last symbol sent. A member of several such bundles goes with the
// latest. Anything else stays to be bundled afresh.
func (s *Service) resumeBundles(p *pass, entries []store.Entry) {
	type found struct {
		passNum uint64
		members []*store.Entry
		next    int
	}
	bundles := map[link.ItemID]*found{}
	latest := map[string]uint64{} // store id → latest bundle pass
	for i := range entries {
		e := &entries[i]
		if p.bundled[e.Item.ID] != nil {
			continue
		}
		for _, x := range e.Sent {
			num, id, pos, n, ok := parseBundleCustody(x.Pass)
			if !ok {
				continue
			}
			f := bundles[id]
			if f == nil {
				f = &found{passNum: num, members: make([]*store.Entry, n)}
				bundles[id] = f
			}
			if len(f.members) != n {
				continue
			}
			f.passNum = max(f.passNum, num)
			f.members[pos] = e
			if len(x.Symbols) > 0 {
				f.next = max(f.next, x.Symbols[len(x.Symbols)-1]+1)
			}
			latest[e.Item.ID] = max(latest[e.Item.ID], num)
		}
	}
	for id, f := range bundles {
		whole := true
		for _, e := range f.members {
			if e == nil || latest[e.Item.ID] != f.passNum || p.bundled[e.Item.ID] != nil {
				whole = false
				break
			}
		}
		if !whole {
			continue
		}
		li := s.newBundle(p, f.members, f.next)
		if li == nil || li.ref.ID != id {
			// Not the bundle that was sent (a member changed): its
			// detections are bundled afresh.
			if li != nil {
				s.forgetBundle(p, li)
			}
			continue
		}
	}
}

// forgetBundle drops a bundle of this pass and frees its members.
func (s *Service) forgetBundle(p *pass, li *linkItem) {
	for _, id := range li.members {
		if p.bundled[id] == li {
			delete(p.bundled, id)
		}
	}
	delete(p.items, li.ref)
}
