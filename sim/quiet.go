package sim

import "runtime/metrics"

// sched reads the goroutine-state metrics (Go 1.26): how many goroutines
// are runnable, running, or outside Go (in a system call or cgo).
type sched struct {
	samples []metrics.Sample
	// floor is the fewest goroutines ever seen outside Go: some sit in a
	// system call for good (the signal watcher), and do not count.
	floor uint64
	ok    bool
}

func newSched() *sched {
	s := &sched{samples: []metrics.Sample{
		{Name: "/sched/goroutines/runnable:goroutines"},
		{Name: "/sched/goroutines/running:goroutines"},
		{Name: "/sched/goroutines/not-in-go:goroutines"},
	}, floor: ^uint64(0), ok: true}
	metrics.Read(s.samples)
	for _, x := range s.samples {
		if x.Value.Kind() != metrics.KindUint64 {
			s.ok = false
		}
	}
	return s
}

// busy reports whether goroutines other than the caller are running or
// ready to run, or more than the usual few are in a system call (an fsync,
// a socket write). Without the metrics it reports false, leaving the
// wall-time quiet window alone to decide.
func (s *sched) busy() bool {
	if !s.ok {
		return false
	}
	metrics.Read(s.samples)
	runnable, running, outside := s.samples[0].Value.Uint64(), s.samples[1].Value.Uint64(), s.samples[2].Value.Uint64()
	s.floor = min(s.floor, outside)
	return runnable > 0 || running > 1 || outside > s.floor
}
