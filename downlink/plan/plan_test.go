package plan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)

// randomContact builds a contact of 1..5 segments with gaps, rates of
// 0.2..4 Mbit/s and losses up to 40%, lasting about durSec seconds.
func randomContact(rng *rand.Rand, durSec float64) Contact {
	c := Contact{Start: t0, End: t0.Add(time.Duration(durSec * float64(time.Second)))}
	n := 1 + rng.IntN(5)
	step := c.End.Sub(c.Start) / time.Duration(n)
	for i := range n {
		s := Segment{
			Start:          c.Start.Add(time.Duration(i) * step),
			End:            c.Start.Add(time.Duration(i+1) * step),
			RateBitsPerSec: 2e5 + rng.Float64()*3.8e6,
			Loss:           rng.Float64() * 0.4,
		}
		if rng.IntN(6) == 0 {
			s.Start = s.Start.Add(step / 4) // a gap before it
		}
		c.Segments = append(c.Segments, s)
	}
	return c
}

// randomQueue builds items shaped like detections: small records and
// larger chips, four classes, some partly delivered or in flight.
func randomQueue(rng *rand.Rand, n, frameBytes int) []Item {
	items := make([]Item, n)
	for i := range items {
		class := rng.IntN(4)
		k := 1 + rng.IntN(3)
		if rng.IntN(2) == 0 {
			k = 4 + rng.IntN(60)
		}
		it := Item{
			ID:         fmt.Sprintf("%016x", rng.Uint64()),
			Class:      class,
			Value:      rng.Float64() * float64(k) * math.Pow(4, float64(3-class)),
			K:          k,
			FrameBytes: frameBytes,
			Need:       k,
		}
		switch rng.IntN(8) {
		case 0:
			it.Need = rng.IntN(k + 1) // a NAK report, or acknowledged
		case 1:
			it.Unreported = rng.IntN(k + 1)
		case 2, 3:
			it.Atomic = true // a bundle
		}
		items[i] = it
	}
	return items
}

func TestTailKnownValues(t *testing.T) {
	cases := []struct {
		n, k int
		q    float64
		want float64
	}{
		{10, 5, 0.5, 638.0 / 1024},
		{10, 0, 0.3, 1},
		{3, 4, 0.9, 0},
		{20, 20, 0.9, math.Pow(0.9, 20)},
		{1, 1, 0.7, 0.7},
		{4, 2, 0.5, 11.0 / 16},
		{2000, 1000, 0.5, 0.5 + 0.5*brutePMF(2000, 1000, 0.5)},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n%d_k%d_q%v", c.n, c.k, c.q), func(t *testing.T) {
			if got := tail(c.n, c.k, c.q); math.Abs(got-c.want) > 1e-9 {
				t.Fatalf("tail(%d, %d, %v) = %v, want %v", c.n, c.k, c.q, got, c.want)
			}
		})
	}
}

func brutePMF(n, i int, q float64) float64 {
	ln, _ := math.Lgamma(float64(n + 1))
	li, _ := math.Lgamma(float64(i + 1))
	lni, _ := math.Lgamma(float64(n - i + 1))
	return math.Exp(ln - li - lni + float64(i)*math.Log(q) + float64(n-i)*math.Log(1-q))
}

func TestTailMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := 1 + rng.IntN(400)
		k := rng.IntN(n + 2)
		q := 0.05 + 0.9*rng.Float64()
		want := 0.0
		for i := k; i <= n; i++ {
			want += brutePMF(n, i, q)
		}
		if got := tail(n, k, q); math.Abs(got-want) > 1e-9 {
			t.Fatalf("tail(%d, %d, %v) = %v, brute force %v", n, k, q, got, want)
		}
	}
}

// The sizer's answer is the smallest count reaching the confidence.
func TestSizerIsMinimal(t *testing.T) {
	sz := newSizer(DefaultConfidence)
	for need := 1; need <= 90; need += 7 {
		for _, loss := range []float64{0, 0.01, 0.05, 0.2, 0.5, 0.8} {
			for _, unrep := range []int{0, need / 2, need, 2 * need} {
				n, ok := sz.symbols(need, unrep, loss)
				lq := math.Ceil(loss*lossSteps) / lossSteps
				if !ok {
					if tail(maxParityFactor*need+unrep, need, 1-lq) >= DefaultConfidence {
						t.Fatalf("need %d loss %v unreported %d: gave up though the limit suffices", need, loss, unrep)
					}
					continue
				}
				if tail(n+unrep, need, 1-lq) < DefaultConfidence {
					t.Fatalf("need %d loss %v unreported %d: %d symbols complete with only %v", need, loss, unrep, n, tail(n+unrep, need, 1-lq))
				}
				if n > 0 && tail(n-1+unrep, need, 1-lq) >= DefaultConfidence {
					t.Fatalf("need %d loss %v unreported %d: %d symbols is not minimal", need, loss, unrep, n)
				}
			}
		}
	}
}

func TestInvalidInput(t *testing.T) {
	good := Contact{Start: t0, End: t0.Add(time.Minute), Segments: []Segment{{Start: t0, End: t0.Add(time.Minute), RateBitsPerSec: 1e6, Loss: 0.1}}}
	item := Item{ID: "a", K: 3, FrameBytes: 1024, Need: 3, Value: 1}
	cases := []struct {
		name    string
		contact func(c Contact) Contact
		item    func(it Item) Item
		want    error
	}{
		{"end before start", func(c Contact) Contact { c.End = c.Start.Add(-time.Second); return c }, nil, ErrBadContact},
		{"segment past end", func(c Contact) Contact {
			c.Segments = []Segment{{Start: t0, End: t0.Add(2 * time.Minute), RateBitsPerSec: 1}}
			return c
		}, nil, ErrBadContact},
		{"segments overlap", func(c Contact) Contact {
			c.Segments = []Segment{{Start: t0, End: t0.Add(30 * time.Second)}, {Start: t0.Add(20 * time.Second), End: t0.Add(40 * time.Second)}}
			return c
		}, nil, ErrBadContact},
		{"loss too high", func(c Contact) Contact {
			c.Segments = []Segment{{Start: t0, End: t0.Add(time.Second), Loss: 0.95}}
			return c
		}, nil, ErrBadContact},
		{"NaN rate", func(c Contact) Contact {
			c.Segments = []Segment{{Start: t0, End: t0.Add(time.Second), RateBitsPerSec: math.NaN()}}
			return c
		}, nil, ErrBadContact},
		{"zero k", nil, func(it Item) Item { it.K, it.Need = 0, 0; return it }, ErrBadItem},
		{"need above k", nil, func(it Item) Item { it.Need = 4; return it }, ErrBadItem},
		{"no frame size", nil, func(it Item) Item { it.FrameBytes = 0; return it }, ErrBadItem},
		{"negative value", nil, func(it Item) Item { it.Value = -1; return it }, ErrBadItem},
		{"negative unreported", nil, func(it Item) Item { it.Unreported = -1; return it }, ErrBadItem},
		{"negative class", nil, func(it Item) Item { it.Class = -1; return it }, ErrBadItem},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, it := good, item
			if c.contact != nil {
				ct = c.contact(ct)
			}
			if c.item != nil {
				it = c.item(it)
			}
			_, err := Make(ct, []Item{it}, Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	if _, err := Make(good, []Item{item}, Options{Confidence: 1}); err == nil {
		t.Fatal("confidence 1 accepted")
	}
}

// checkPlan verifies the properties every plan must have.
func checkPlan(t *testing.T, c Contact, items []Item, p Plan, conf float64) {
	t.Helper()
	var used float64
	seen := map[int]bool{}
	lastClass := -1
	for i, s := range p.Sends {
		it := items[s.Index]
		if seen[s.Index] {
			t.Fatalf("item %s planned twice", it.ID)
		}
		seen[s.Index] = true
		if it.Need == 0 {
			t.Fatalf("acknowledged item %s planned", it.ID)
		}
		if s.Repair != (it.Need < it.K) {
			t.Fatalf("send %d does not describe item %d: %+v vs %+v", i, s.Index, s, it)
		}
		if s.Symbols <= 0 {
			t.Fatalf("send %d has %d symbols", i, s.Symbols)
		}
		used += float64(s.Symbols * it.FrameBytes * 8)
		start, end := p.Times(s)
		if start.Before(c.Start) || end.After(c.End) || end.Before(start) {
			t.Fatalf("send %d at %s..%s outside the contact", i, start, end)
		}
		for _, seg := range c.Segments {
			// A segment of zero length carries nothing, so its loss
			// cannot touch a frame.
			if seg.End.After(start) && seg.Start.Before(end) && seg.End.After(seg.Start) && seg.RateBitsPerSec > 0 && seg.Loss > s.Loss {
				t.Fatalf("send %d sized for loss %v but spans a segment with loss %v", i, s.Loss, seg.Loss)
			}
		}
		if s.Partial {
			if i != len(p.Sends)-1 {
				t.Fatalf("partial send %d is not last", i)
			}
			if it.Atomic {
				t.Fatalf("partial send %d of atomic item %s", i, it.ID)
			}
			continue
		}
		if it.Class < lastClass {
			t.Fatalf("send %d of class %d after class %d", i, it.Class, lastClass)
		}
		lastClass = it.Class
		lq := math.Ceil(s.Loss*lossSteps) / lossSteps
		if s.Symbols+it.Unreported < it.Need {
			t.Fatalf("send %d: %d symbols (+%d unreported) < need %d", i, s.Symbols, it.Unreported, it.Need)
		}
		if pr := tail(s.Symbols+it.Unreported, it.Need, 1-lq); pr < conf {
			t.Fatalf("send %d completes with probability %v < %v", i, pr, conf)
		}
	}
	if used > p.CapacityBits*(1+1e-9) || math.Abs(used-p.UsedBits) > 1e-6*used+1e-6 {
		t.Fatalf("plan uses %v bits (reports %v) of %v", used, p.UsedBits, p.CapacityBits)
	}
}

func TestPlanProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	runs := 400
	if testing.Short() {
		runs = 60
	}
	for r := range runs {
		c := randomContact(rng, 10+rng.Float64()*120)
		items := randomQueue(rng, 1+rng.IntN(300), 256+rng.IntN(4)*256)
		p, err := Make(c, items, Options{})
		if err != nil {
			t.Fatalf("run %d: %v", r, err)
		}
		checkPlan(t, c, items, p, DefaultConfidence)
		// Determinism: any order of the queue gives the same plan.
		shuffled := slices.Clone(items)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		q, err := Make(c, shuffled, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Sends) != len(q.Sends) || p.Value != q.Value {
			t.Fatalf("run %d: shuffled queue planned %d sends (value %v), original %d (value %v)", r, len(q.Sends), q.Value, len(p.Sends), p.Value)
		}
		for i := range p.Sends {
			a, b := p.Sends[i], q.Sends[i]
			if items[a.Index].ID != shuffled[b.Index].ID {
				t.Fatalf("run %d send %d: item %s vs %s after shuffling", r, i, items[a.Index].ID, shuffled[b.Index].ID)
			}
			a.Index, b.Index = 0, 0
			if a != b {
				t.Fatalf("run %d send %d: %+v vs %+v after shuffling", r, i, a, b)
			}
		}
	}
}

// Simulating the frames of many plans, planned items complete about as
// often as the confidence promises.
func TestPlannedItemsComplete(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	planned, completed := 0, 0
	for range 40 {
		c := randomContact(rng, 60)
		items := randomQueue(rng, 200, 1024)
		p, err := Make(c, items, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sends {
			if s.Partial {
				continue
			}
			it := items[s.Index]
			got := 0
			start, end := p.Times(s)
			step := end.Sub(start) / time.Duration(s.Symbols)
			for j := range s.Symbols {
				_, loss := c.At(start.Add(time.Duration(j)*step + step/2))
				if rng.Float64() >= loss {
					got++
				}
			}
			// Unreported symbols count as arriving at the planned loss.
			for range it.Unreported {
				if rng.Float64() >= s.Loss {
					got++
				}
			}
			planned++
			if got >= it.Need {
				completed++
			}
		}
	}
	if planned < 1000 {
		t.Fatalf("only %d planned items; the instances are too small to judge", planned)
	}
	if rate := float64(completed) / float64(planned); rate < 0.98 {
		t.Fatalf("%d of %d planned items complete (%.4f), want about %.2f", completed, planned, rate, DefaultConfidence)
	}
}

// A critical item arriving mid-pass goes out before what is not yet sent.
func TestPreemptByReplanning(t *testing.T) {
	c := Contact{Start: t0, End: t0.Add(100 * time.Second), Segments: []Segment{{Start: t0, End: t0.Add(100 * time.Second), RateBitsPerSec: 8 * 1024 * 10, Loss: 0.1}}}
	var items []Item
	for i := range 100 {
		items = append(items, Item{ID: fmt.Sprintf("%04d", i), Class: 2, Value: 1, K: 8, FrameBytes: 1024, Need: 8})
	}
	p, err := Make(c, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mid := t0.Add(50 * time.Second)
	// Mark what went out before mid as unreported, add the critical item.
	var sentIDs []string
	for _, s := range p.Sends {
		if _, end := p.Times(s); end.After(mid) {
			break
		}
		items[s.Index].Unreported = s.Symbols
		sentIDs = append(sentIDs, items[s.Index].ID)
	}
	items = append(items, Item{ID: "critical", Class: 0, Value: 0.1, K: 2, FrameBytes: 1024, Need: 2})
	rest := c.From(mid)
	q, err := Replan(c, mid, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, rest, items, q, DefaultConfidence)
	if len(q.Sends) == 0 || items[q.Sends[0].Index].ID != "critical" || q.Sends[0].StartOffset != 0 || !q.ContactStart.Equal(mid) {
		t.Fatalf("re-plan does not start with the critical item at %s: %+v", mid, q.Sends[:min(2, len(q.Sends))])
	}
	for _, s := range q.Sends {
		if slices.Contains(sentIDs, items[s.Index].ID) {
			t.Fatalf("item %s already sent in full is planned again", items[s.Index].ID)
		}
	}
}

func TestRepairResumeAndGaps(t *testing.T) {
	seg := func(from, to int, rate, loss float64) Segment {
		return Segment{Start: t0.Add(time.Duration(from) * time.Second), End: t0.Add(time.Duration(to) * time.Second), RateBitsPerSec: rate, Loss: loss}
	}
	c := Contact{Start: t0, End: t0.Add(30 * time.Second), Segments: []Segment{seg(0, 10, 8192, 0), seg(20, 30, 8192, 0)}}
	items := []Item{
		{ID: "nak", Class: 1, Value: 5, K: 10, FrameBytes: 1024, Need: 3},
		{ID: "big", Class: 1, Value: 1, K: 40, FrameBytes: 1024, Need: 40},
		{ID: "done", Class: 0, Value: 9, K: 4, FrameBytes: 1024, Need: 0},
	}
	p, err := Make(c, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, c, items, p, DefaultConfidence)
	// 20 frames fit: 3 repair symbols for "nak", then 17 of "big" as a partial.
	want := []Send{
		{Index: 0, Symbols: 3, StartOffset: 0, EndOffset: 3 * time.Second, Repair: true},
		{Index: 1, Symbols: 17, StartOffset: 3 * time.Second, EndOffset: 30 * time.Second, Partial: true},
	}
	if !slices.Equal(p.Sends, want) {
		t.Fatalf("sends\n%+v\nwant\n%+v", p.Sends, want)
	}
	if p.Value != 5 {
		t.Fatalf("value %v, want 5 (partial sends deliver nothing this pass)", p.Value)
	}
	// Past the end nothing is planned.
	if q, err := Make(c.From(c.End), items, Options{}); err != nil || len(q.Sends) != 0 {
		t.Fatalf("after the contact: %+v, %v", q.Sends, err)
	}
	// An atomic item that cannot complete gets no partial send: the next
	// candidate that may be started takes the leftover frames.
	items = append(items, Item{ID: "part", Class: 2, Value: 1, K: 30, FrameBytes: 1024, Need: 30})
	items[1].Atomic = true
	p, err = Make(c, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want[1].Index = 3
	if !slices.Equal(p.Sends, want) {
		t.Fatalf("with the big item atomic: sends\n%+v\nwant\n%+v", p.Sends, want)
	}
}

// TestFeedbackSizing: items whose report can come back in the pass are
// sized for FeedbackConfidence, those ending within FeedbackDelay of the
// contact's end for Confidence, and every send meets the one it was due.
func TestFeedbackSizing(t *testing.T) {
	// One 1024-byte frame a second for 100 s at 5% loss.
	c := Contact{Start: t0, End: t0.Add(100 * time.Second), Segments: []Segment{
		{Start: t0, End: t0.Add(100 * time.Second), RateBitsPerSec: 8192, Loss: 0.05}}}
	var items []Item
	for i := range 100 {
		items = append(items, Item{ID: fmt.Sprintf("i%03d", i), Class: 1, Value: float64(100 - i), K: 1, FrameBytes: 1024, Need: 1})
	}
	opt := Options{FeedbackConfidence: 0.5, FeedbackDelay: 20 * time.Second}
	p, err := Make(c, items, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, c, items, p, opt.FeedbackConfidence)
	early, late := 0, 0
	for _, s := range p.Sends {
		feedback := s.EndOffset <= c.End.Sub(c.Start)-opt.FeedbackDelay
		conf := DefaultConfidence
		if feedback {
			conf, early = opt.FeedbackConfidence, early+1
		} else if !s.Partial {
			late++
		}
		if got := tail(s.Symbols, 1, 1-s.Loss); !s.Partial && got < conf {
			t.Errorf("send %+v completes with %.4f, below %v", s, got, conf)
		}
		if feedback && s.Symbols != 1 {
			t.Errorf("send %+v ends in time for a report but carries parity", s)
		}
	}
	// 80 one-frame items before the last 20 s, then two-frame items.
	if early != 80 || late != 10 {
		t.Fatalf("%d sends sized for feedback, %d for the end of the pass; want 80 and 10", early, late)
	}
	// Resumable items are sized for feedback to the end: 100 one-frame sends.
	res := slices.Clone(items)
	for i := range res {
		res[i].Resumable = true
	}
	if r, err := Make(c, res, opt); err != nil || len(r.Sends) != 100 {
		t.Fatalf("resumable: %d sends, %v; want 100", len(r.Sends), err)
	}
	// Without feedback every one-symbol item takes a parity symbol.
	q, err := Make(c, items, Options{})
	if err != nil || len(q.Sends) != 50 {
		t.Fatalf("without feedback: %d sends, %v; want 50", len(q.Sends), err)
	}
	for _, bad := range []Options{
		{FeedbackConfidence: 0.4},
		{Confidence: 0.9, FeedbackConfidence: 0.95},
		{FeedbackConfidence: 0.6, FeedbackDelay: -time.Second},
	} {
		if _, err := Make(c, items, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}
