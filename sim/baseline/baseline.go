package baseline

import (
	"sort"
	"time"

	"github.com/skysieve/skysieve/sim/passes"
)

// Scene is one captured scene waiting to go down raw.
type Scene struct {
	ID        string
	Satellite string
	Capture   time.Time
	RawBytes  int64
}

// QueuePoint samples the bytes waiting on board (all satellites) over time.
type QueuePoint struct {
	At         time.Time
	QueueBytes int64
	Items      int
}

// Result is the outcome of a baseline run.
type Result struct {
	// Delivered maps a scene index to its delivery time; scenes still on
	// board at the end are absent.
	Delivered map[int]time.Time
	// DeliveredBytes counts raw bytes on the ground (whole scenes only).
	DeliveredBytes int64
	// MovedBytes counts raw bytes sent, whole scenes or not.
	MovedBytes float64
	// GoodputCapacityBytes is what the contacts could carry after loss.
	GoodputCapacityBytes float64
	// SaturatedDeliveredBytes and SaturatedCapacityBytes cover only the
	// seconds of contact in which the queue held more than it could send.
	SaturatedDeliveredBytes float64
	SaturatedCapacityBytes  float64
	// SaturatedPasses counts passes with at least one saturated second.
	SaturatedPasses int
	Queue           []QueuePoint
}

// Run drains scenes through plan from start to end in one-second steps.
func Run(scenes []Scene, plan passes.Plan, start, end time.Time, sample time.Duration) *Result {
	order := make([]int, len(scenes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scenes[order[a]].Capture.Before(scenes[order[b]].Capture) })
	type queue struct {
		items []int
		// sent is how many bytes of the head item are already down.
		sent float64
		// bytes is what the queue holds, head item whole.
		bytes float64
	}
	queues := map[string]*queue{}
	res := &Result{Delivered: map[int]time.Time{}}
	next := 0
	var queued int64
	nItems := 0
	nextSample := start
	saturatedPass := map[*passes.Pass]bool{}
	for t := start; t.Before(end); t = t.Add(time.Second) {
		for next < len(order) && !scenes[order[next]].Capture.After(t) {
			s := scenes[order[next]]
			q := queues[s.Satellite]
			if q == nil {
				q = &queue{}
				queues[s.Satellite] = q
			}
			q.items = append(q.items, order[next])
			q.bytes += float64(s.RawBytes)
			queued += s.RawBytes
			nItems++
			next++
		}
		if !t.Before(nextSample) {
			res.Queue = append(res.Queue, QueuePoint{At: t, QueueBytes: queued, Items: nItems})
			nextSample = nextSample.Add(sample)
		}
		for _, sat := range sortedKeys(queues) {
			p, ok := plan.Active(sat, t)
			if !ok {
				continue
			}
			s, _ := p.At(t.Add(time.Second / 2))
			budget := s.RateBitsPerSec / 8 * (1 - s.Loss)
			res.GoodputCapacityBytes += budget
			q := queues[sat]
			saturated := q.bytes-q.sent > budget
			if saturated {
				res.SaturatedCapacityBytes += budget
				saturatedPass[p] = true
			}
			used := 0.0
			for len(q.items) > 0 && budget > 0 {
				head := scenes[q.items[0]]
				need := float64(head.RawBytes) - q.sent
				if need > budget {
					q.sent += budget
					used += budget
					break
				}
				budget -= need
				used += need
				frac := used / (s.RateBitsPerSec / 8 * (1 - s.Loss))
				res.Delivered[q.items[0]] = t.Add(time.Duration(frac * float64(time.Second)))
				res.DeliveredBytes += head.RawBytes
				queued -= head.RawBytes
				nItems--
				q.items = q.items[1:]
				q.bytes -= float64(head.RawBytes)
				q.sent = 0
			}
			res.MovedBytes += used
			if saturated {
				res.SaturatedDeliveredBytes += used
			}
		}
	}
	res.SaturatedPasses = len(saturatedPass)
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
