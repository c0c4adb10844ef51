package plan

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Named errors, testable with errors.Is.
var (
	// ErrBadContact reports a contact whose window or segments are invalid.
	ErrBadContact = errors.New("plan: invalid contact")
	// ErrBadItem reports a queue item with impossible sizes or state.
	ErrBadItem = errors.New("plan: invalid item")
)

// Segment is a stretch of a contact with constant rate and expected loss.
type Segment struct {
	Start, End     time.Time
	RateBitsPerSec float64
	// Loss is the expected probability that a frame is lost, in [0, MaxLoss].
	Loss float64
}

// Contact is one ground-station pass. Segments lie inside [Start, End], in
// time order and without overlap; gaps between them carry nothing.
type Contact struct {
	Start, End time.Time
	Segments   []Segment
}

// MaxLoss is the highest loss a segment may declare; above it a link is not
// worth planning for.
const MaxLoss = 0.9

// Item is one queued object as the planner sees it.
type Item struct {
	ID string
	// Class is the priority class; 0 is most urgent and always goes first.
	Class int
	// Value is what delivering the item is worth (any non-negative scale).
	Value float64
	// K is the number of symbols that decode the item.
	K int
	// FrameBytes is the on-air size of one symbol's frame.
	FrameBytes int
	// Need is how many symbols the ground still lacks: K with no report, less
	// after a NAK, 0 when acknowledged (such items are not planned).
	Need int
	// Unreported counts symbols sent that no report has covered yet.
	Unreported int
	// Atomic marks an item the caller wants started only if it can
	// complete in this contact: it is never given a partial send.
	Atomic bool
	// Resumable marks an item whose symbols keep their worth if the
	// contact ends before it completes (the ground holds them and a later
	// contact sends what is missing): it is sized for FeedbackConfidence
	// even where its report cannot come back in this contact. Leave it
	// unset where completing in this contact matters (critical items).
	Resumable bool
}

// Send is one step of a plan: Symbols frames for item Index of the queue.
// It holds no pointers, so a plan of 100,000 sends costs the collector
// nothing to scan.
type Send struct {
	// Index is the item's position in the queue passed to Make.
	Index int
	// Symbols is how many new symbols to send (data and parity together).
	Symbols int
	// StartOffset and EndOffset are when the first frame starts and the last
	// ends, predicted from the rates, as offsets from Plan.ContactStart.
	StartOffset, EndOffset time.Duration
	// Loss is the loss the parity was sized for.
	Loss float64
	// Repair marks an item the ground reported on (it needs fewer than K).
	Repair bool
	// Partial marks a send that cannot complete the item in this pass; a
	// later pass resumes it.
	Partial bool
}

// Plan is the ordered list of sends for one contact.
type Plan struct {
	// ContactStart is the start of the contact planned; send offsets count
	// from it.
	ContactStart time.Time
	Sends        []Send
	// Value is the total value of items planned to complete.
	Value float64
	// CapacityBits is what the contact can carry; UsedBits what the plan uses.
	CapacityBits, UsedBits float64
}

// Times returns the predicted start and end of a send.
func (p *Plan) Times(s Send) (start, end time.Time) {
	return p.ContactStart.Add(s.StartOffset), p.ContactStart.Add(s.EndOffset)
}

// Options tune Make. The zero value means the defaults.
type Options struct {
	// Confidence is the probability each planned item completes in this
	// pass given the predicted loss. Default 0.99.
	Confidence float64
	// FeedbackConfidence, when set (in [0.5, Confidence]), sizes the parity
	// of items whose last frame ends at least FeedbackDelay before the
	// contact ends: the ground's report on them comes back in the pass and
	// the caller re-plans with what it says, so a lost symbol costs one
	// repair symbol then instead of parity sent up front for every item.
	// Items ending later are sized for Confidence. Zero: Confidence for all.
	FeedbackConfidence float64
	// FeedbackDelay is the time from an item's last frame until a report
	// covering it is back on board and acted on.
	FeedbackDelay time.Duration
}

// DefaultConfidence is the completion probability Make aims for.
const DefaultConfidence = 0.99

// maxParityFactor bounds the symbols one item may take, as a multiple of
// what it needs, so a near-hopeless link does not swallow the pass.
const maxParityFactor = 16

// maxPartialCandidates bounds the items considered for the partial send
// that fills the end of a pass.
const maxPartialCandidates = 8

// Validate checks the contact's window and segments.
func (c Contact) Validate() error {
	if c.End.Before(c.Start) {
		return fmt.Errorf("%w: end %s is before start %s", ErrBadContact, c.End.Format(time.RFC3339), c.Start.Format(time.RFC3339))
	}
	prev := c.Start
	for i, s := range c.Segments {
		switch {
		case s.Start.Before(prev):
			return fmt.Errorf("%w: segment %d starts at %s, before the contact or the previous segment", ErrBadContact, i, s.Start.Format(time.RFC3339Nano))
		case s.End.Before(s.Start):
			return fmt.Errorf("%w: segment %d ends before it starts", ErrBadContact, i)
		case s.End.After(c.End):
			return fmt.Errorf("%w: segment %d ends after the contact", ErrBadContact, i)
		case !(s.RateBitsPerSec >= 0) || math.IsInf(s.RateBitsPerSec, 0):
			return fmt.Errorf("%w: segment %d rate %v bit/s", ErrBadContact, i, s.RateBitsPerSec)
		case !(s.Loss >= 0 && s.Loss <= MaxLoss):
			return fmt.Errorf("%w: segment %d loss %v outside [0, %v]", ErrBadContact, i, s.Loss, MaxLoss)
		}
		prev = s.End
	}
	return nil
}

// CapacityBits is the number of bits the contact can carry.
func (c Contact) CapacityBits() float64 {
	var bits float64
	for _, s := range c.Segments {
		bits += s.RateBitsPerSec * s.End.Sub(s.Start).Seconds()
	}
	return bits
}

// From returns the part of the contact at or after t (empty if t is past
// the end): the contact left to plan when re-planning mid-pass.
func (c Contact) From(t time.Time) Contact {
	if !t.After(c.Start) {
		return c
	}
	if !t.Before(c.End) {
		return Contact{Start: c.End, End: c.End}
	}
	out := Contact{Start: t, End: c.End}
	for _, s := range c.Segments {
		if !s.End.After(t) {
			continue
		}
		if s.Start.Before(t) {
			s.Start = t
		}
		out.Segments = append(out.Segments, s)
	}
	return out
}

// At returns the rate and loss in force at t (zero rate in a gap).
func (c Contact) At(t time.Time) (rateBitsPerSec, loss float64) {
	for _, s := range c.Segments {
		if !t.Before(s.Start) && t.Before(s.End) {
			return s.RateBitsPerSec, s.Loss
		}
	}
	return 0, 0
}

func (it *Item) validate(i int) error {
	switch {
	case it.K <= 0:
		return fmt.Errorf("%w: item %d (%s) has k=%d symbols", ErrBadItem, i, it.ID, it.K)
	case it.FrameBytes <= 0:
		return fmt.Errorf("%w: item %d (%s) has %d bytes per frame", ErrBadItem, i, it.ID, it.FrameBytes)
	case it.Need < 0 || it.Need > it.K:
		return fmt.Errorf("%w: item %d (%s) needs %d of k=%d symbols", ErrBadItem, i, it.ID, it.Need, it.K)
	case it.Unreported < 0:
		return fmt.Errorf("%w: item %d (%s) has %d unreported symbols", ErrBadItem, i, it.ID, it.Unreported)
	case !(it.Value >= 0) || math.IsInf(it.Value, 0):
		return fmt.Errorf("%w: item %d (%s) has value %v", ErrBadItem, i, it.ID, it.Value)
	case it.Class < 0 || it.Class > MaxClass:
		return fmt.Errorf("%w: item %d (%s) has class %d outside 0..%d", ErrBadItem, i, it.ID, it.Class, MaxClass)
	}
	return nil
}

// Make plans one contact for the queue. It returns ErrBadContact or
// ErrBadItem (wrapped, naming the culprit) for invalid input. The plan
// never uses more bits than the contact carries, every non-partial send
// completes its item with at least Options.Confidence under the predicted
// loss (Options.FeedbackConfidence for one that ends FeedbackDelay or more
// before the contact does), and sends are in priority-class order.
func Make(c Contact, items []Item, opt Options) (Plan, error) {
	if err := c.Validate(); err != nil {
		return Plan{}, err
	}
	conf := opt.Confidence
	if conf == 0 {
		conf = DefaultConfidence
	}
	if !(conf >= 0.5 && conf < 1) {
		return Plan{}, fmt.Errorf("plan: confidence %v outside [0.5, 1)", conf)
	}
	fbConf := opt.FeedbackConfidence
	if fbConf == 0 {
		fbConf = conf
	}
	if !(fbConf >= 0.5 && fbConf <= conf) || opt.FeedbackDelay < 0 {
		return Plan{}, fmt.Errorf("plan: feedback confidence %v outside [0.5, %v] or feedback delay %v negative", fbConf, conf, opt.FeedbackDelay)
	}
	cands := make([]keyed, 0, len(items))
	for i := range items {
		it := &items[i]
		if err := it.validate(i); err != nil {
			return Plan{}, err
		}
		if it.Need == 0 {
			continue
		}
		cands = append(cands, keyed{key: sortKey(it.Class, it.Value/float64(it.Need*it.FrameBytes)), idx: i})
	}
	cands = orderItems(cands, items)

	p := Plan{ContactStart: c.Start, CapacityBits: c.CapacityBits()}
	tl := newTimeline(c)
	sizer := newSizer(conf)
	var fb *feedback
	if fbConf < conf {
		fb = &feedback{sizer: newSizer(fbConf), lastEnd: c.End.Sub(c.Start) - opt.FeedbackDelay}
	}
	minFrameBits := math.Inf(1)
	for _, cd := range cands {
		minFrameBits = math.Min(minFrameBits, float64(items[cd.idx].FrameBytes)*8)
	}
	// Room for as many sends as frames fit, at most one per item, so the
	// list never grows by copying.
	p.Sends = make([]Send, 0, min(len(cands), int(tl.leftBits()/minFrameBits)+1))
	// The first few items that did not fit whole, partial-send candidates.
	var skipped []int
	for _, cd := range cands {
		if tl.leftBits() < minFrameBits {
			break
		}
		it := &items[cd.idx]
		frameBits := float64(it.FrameBytes) * 8
		n, loss, ok := fitFeedback(tl, sizer, fb, it, frameBits)
		if !ok {
			if len(skipped) < maxPartialCandidates && !it.Atomic {
				skipped = append(skipped, cd.idx)
			}
			continue
		}
		p.Value += it.Value
		if n == 0 {
			// Symbols already out are expected to complete it.
			continue
		}
		start, end := tl.take(float64(n) * frameBits)
		p.Sends = append(p.Sends, Send{
			Index: cd.idx, Symbols: n,
			StartOffset: start, EndOffset: end, Loss: loss,
			Repair: it.Need < it.K,
		})
	}
	// Leftover frames start the best item that did not fit whole, so the
	// next pass has less to send for it. It goes last whatever its class:
	// it cannot complete in this pass, so nothing waits on it. A skipped
	// item that fits whole now (the cursor reached a better segment) is
	// left for the next plan rather than sent out of class order.
	for _, idx := range skipped {
		it := &items[idx]
		frameBits := float64(it.FrameBytes) * 8
		if _, _, whole := fitFeedback(tl, sizer, fb, it, frameBits); whole {
			continue
		}
		n := min(int(tl.leftBits()/frameBits), maxParityFactor*it.Need)
		if n <= 0 {
			continue
		}
		loss := tl.maxLoss(float64(n) * frameBits)
		start, end := tl.take(float64(n) * frameBits)
		p.Sends = append(p.Sends, Send{
			Index: idx, Symbols: n,
			StartOffset: start, EndOffset: end, Loss: loss,
			Repair: it.Need < it.K, Partial: true,
		})
		break
	}
	p.UsedBits = tl.usedBits
	return p, nil
}

// Replan plans what is left of contact c at now: the preemption path. The
// caller passes the queue as it stands (a critical item just arrived,
// symbols already sent this pass counted in Unreported, reports applied);
// class ordering puts the critical item first, before everything not yet
// sent. It is Make on c.From(now).
func Replan(c Contact, now time.Time, items []Item, opt Options) (Plan, error) {
	return Make(c.From(now), items, opt)
}

// feedback is the sizer for items whose report comes back in the pass:
// those whose last frame ends by lastEnd (an offset from the contact's
// start).
type feedback struct {
	sizer   *sizer
	lastEnd time.Duration
}

// fitFeedback is fit with the feedback sizer when the item so sized ends
// early enough for its report to come back in the pass (or is resumable),
// else with sz.
func fitFeedback(tl *timeline, sz *sizer, fb *feedback, it *Item, frameBits float64) (int, float64, bool) {
	if fb != nil {
		n, loss, ok := fit(tl, fb.sizer, it, frameBits)
		if ok && (it.Resumable || tl.endOffset(float64(n)*frameBits) <= fb.lastEnd) {
			return n, loss, true
		}
	}
	return fit(tl, sz, it, frameBits)
}

// fit sizes the item at the timeline's cursor: the symbol count, the loss it
// was sized for, and whether it fits in what is left. Parity depends on the
// loss where the frames fall, which depends on how many there are, so the
// size is recomputed until the worst loss in its span stops growing.
func fit(tl *timeline, sz *sizer, it *Item, frameBits float64) (int, float64, bool) {
	loss := tl.lossAtCursor()
	for range 4 {
		n, ok := sz.symbols(it.Need, it.Unreported, loss)
		if !ok {
			return 0, loss, false
		}
		bits := float64(n) * frameBits
		if bits > tl.leftBits() {
			return n, loss, false
		}
		worst := tl.maxLoss(bits)
		if worst <= loss {
			return n, loss, true
		}
		loss = worst
	}
	return 0, loss, false
}
