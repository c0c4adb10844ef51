package ground

import (
	"sync"
	"sync/atomic"
	"time"
)

// StationVC names one station's virtual channel. VC is -1 for frames
// rejected before their header could be trusted (CRC, MAC, replay).
type StationVC struct {
	Station string
	VC      int
}

// FrameCounts are a station virtual channel's frame counters.
type FrameCounts struct {
	// Good frames passed CRC, MAC and anti-replay; Idle of them were
	// fill. Duplicate counts symbols already held or of complete items.
	Good, Idle, CRC, Auth, Replay, Duplicate, Malformed uint64
	// Gaps counts jumps in the virtual channel frame count; Missed sums
	// the frames those jumps skipped.
	Gaps, Missed uint64
}

// Stats is a snapshot of the service's counters.
type Stats struct {
	// Frames by station and virtual channel (see StationVC).
	Frames map[StationVC]FrameCounts
	// ItemsCompleted counts items reassembled and verified, by kind.
	ItemsCompleted map[string]uint64
	// ItemsRedelivered counts completed items already queued or published.
	ItemsRedelivered uint64
	// Published counts detections this service stored on the bus;
	// AlreadyPublished those the bus already held (create-only refused).
	Published, AlreadyPublished uint64
	// Alerts counts CAP alerts stored.
	Alerts uint64
	// PublishErrors counts failed attempts (the item stayed queued).
	PublishErrors uint64
	// InvalidRecords counts reassembled records that failed validation.
	InvalidRecords uint64
	// DeadLetters counts outbox entries moved to the dead letters (see
	// package outbox).
	DeadLetters uint64
	// OutboxLen is the number of items waiting to be published.
	OutboxLen int
	// ReportsSent counts uplink report frames sent.
	ReportsSent uint64
	// KISSErrors counts damaged KISS frames.
	KISSErrors uint64
	// PublishLatencyP50 and PublishLatencyP99 summarise the wall time from
	// an item's last symbol to the JetStream ack of its detection, over
	// the most recent (up to 4096) detections this process published.
	PublishLatencyP50, PublishLatencyP99 time.Duration
	// SymbolsLogged is the number of symbols in the durable reassembly
	// log now.
	SymbolsLogged int
}

type statsCounters struct {
	mu        sync.Mutex
	frames    map[StationVC]*FrameCounts
	completed map[string]uint64

	redelivered, published, alreadyPublished, alerts                atomic.Uint64
	publishErrors, invalidRecords, reports, kissErrors, deadLetters atomic.Uint64
}

func newStatsCounters() *statsCounters {
	return &statsCounters{frames: map[StationVC]*FrameCounts{}, completed: map[string]uint64{}}
}

// frame applies f to a station VC's counters under the lock.
func (s *statsCounters) frame(station string, vc int, f func(*FrameCounts)) {
	s.mu.Lock()
	c := s.frames[StationVC{station, vc}]
	if c == nil {
		c = &FrameCounts{}
		s.frames[StationVC{station, vc}] = c
	}
	f(c)
	s.mu.Unlock()
}

func (s *statsCounters) itemCompleted(kind string) {
	s.mu.Lock()
	s.completed[kind]++
	s.mu.Unlock()
}

func (s *statsCounters) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Frames: map[StationVC]FrameCounts{}, ItemsCompleted: map[string]uint64{}}
	for k, v := range s.frames {
		out.Frames[k] = *v
	}
	for k, v := range s.completed {
		out.ItemsCompleted[k] = v
	}
	out.ItemsRedelivered = s.redelivered.Load()
	out.Published = s.published.Load()
	out.AlreadyPublished = s.alreadyPublished.Load()
	out.Alerts = s.alerts.Load()
	out.PublishErrors = s.publishErrors.Load()
	out.InvalidRecords = s.invalidRecords.Load()
	out.DeadLetters = s.deadLetters.Load()
	out.ReportsSent = s.reports.Load()
	out.KISSErrors = s.kissErrors.Load()
	return out
}

// quantile returns the q-quantile (nearest rank) of sorted, 0 when empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
