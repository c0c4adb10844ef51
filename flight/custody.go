package flight

import (
	"errors"
	"slices"
	"time"

	"github.com/skysieve/skysieve/downlink/link"

	"github.com/skysieve/skysieve/flight/store"
)

// custodyWrite is one job for the custody writer: symbols sent (id, pass,
// symbols), a part the ground reported complete (done), or a barrier it
// closes once everything before it is written.
type custodyWrite struct {
	id, pass string
	symbols  []int
	done     *link.ItemRef
	barrier  chan struct{}
}

// custodyWriter records sent symbols in the store off the radio's path:
// every MarkSent is a durable transaction, and waiting for each one would
// hold the radio to the disk's sync rate. It merges what queued up per
// (item, pass) and returns when the channel is closed.
func (s *Service) custodyWriter(ch <-chan custodyWrite) {
	type key struct{ id, pass string }
	for w := range ch {
		batch := map[key][]int{}
		var order []key
		var barriers []chan struct{}
		var done []link.ItemRef
		add := func(w custodyWrite) {
			if w.barrier != nil {
				barriers = append(barriers, w.barrier)
				return
			}
			if w.done != nil {
				done = append(done, *w.done)
				return
			}
			k := key{w.id, w.pass}
			if _, ok := batch[k]; !ok {
				order = append(order, k)
			}
			batch[k] = append(batch[k], w.symbols...)
		}
		add(w)
	drain:
		for {
			select {
			case w, ok := <-ch:
				if !ok {
					break drain
				}
				add(w)
			default:
				break drain
			}
		}
		for _, k := range order {
			s.markSent(k.id, k.pass, batch[k])
		}
		s.completeParts(done)
		for _, b := range barriers {
			close(b)
		}
	}
}

func (s *Service) markSent(id, pass string, symbols []int) {
	err := s.store.MarkSent(id, pass, symbols)
	if err != nil && !errors.Is(err, store.ErrReleased) && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("custody not recorded; the symbols will be sent again", "id", id, "pass", pass, "err", err)
	}
}

// completeParts marks parts the ground holds as done and acknowledges,
// in one transaction, every detection whose parts are now all done:
// custody passes to the ground and the store releases it.
func (s *Service) completeParts(refs []link.ItemRef) {
	var ack []string
	for _, ref := range refs {
		id := link.FormatID(ref.ID)
		e, err := s.store.Get(id)
		if err != nil {
			continue // already released, or not ours
		}
		if !partDone(e.Sent, ref.Kind) {
			if err := s.store.MarkSent(id, custodyPass(donePass, ref.Kind), []int{0}); err != nil {
				s.log.Error("custody: cannot mark part complete", "ref", ref, "err", err)
				continue
			}
			e.Sent = append(e.Sent, store.Sent{Pass: custodyPass(donePass, ref.Kind)})
		}
		if partDone(e.Sent, link.KindRecord) && (len(e.Item.Chip) == 0 || partDone(e.Sent, link.KindChip)) && !slices.Contains(ack, id) {
			ack = append(ack, id)
		}
	}
	if len(ack) == 0 {
		return
	}
	n, err := s.store.AckBatch(ack)
	if err != nil {
		s.log.Error("custody: acknowledgement not recorded; the ground will report again", "items", len(ack), "err", err)
		return
	}
	s.stats.acked.Add(uint64(n))
}

// recordComplete hands a completed part to the custody writer (or records
// it at once when no writer runs).
func (s *Service) recordComplete(ref link.ItemRef) {
	if s.custody == nil {
		s.completeParts([]link.ItemRef{ref})
		return
	}
	s.custody <- custodyWrite{done: &ref}
}

// recordSent hands sent symbols to the custody writer (or writes them at
// once when no writer runs).
func (s *Service) recordSent(id, pass string, symbols []int) {
	if s.custody == nil {
		s.markSent(id, pass, symbols)
		return
	}
	s.custody <- custodyWrite{id: id, pass: pass, symbols: symbols}
}

// syncCustody waits until everything handed to the custody writer is
// durable.
func (s *Service) syncCustody() {
	if s.custody == nil {
		return
	}
	b := make(chan struct{})
	s.custody <- custodyWrite{barrier: b}
	<-b
}

// ackWarnEvery is the least time between two log lines about refused ACKs.
const ackWarnEvery = time.Minute

// logLimiter lets one log line through per ackWarnEvery and counts the
// ones it holds back. The zero value is ready; it is not safe for
// concurrent use.
type logLimiter struct {
	last       time.Time
	started    bool
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were
// held back since the last one.
func (l *logLimiter) allow(now time.Time) (bool, int) {
	if l.started && now.Sub(l.last) < ackWarnEvery {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.started, l.last, l.suppressed = true, now, 0
	return true, n
}
