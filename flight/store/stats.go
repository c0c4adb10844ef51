package store

import "os"

// Stats is a snapshot for telemetry and metrics.
type Stats struct {
	// Queued, InFlight: stored items by state; the Bytes fields count their
	// record + chip. StoredBytes is their sum, which the quotas compare.
	Queued, InFlight           int64
	QueuedBytes, InFlightBytes int64
	StoredBytes                int64
	HighWaterBytes             int64
	HardLimitBytes             int64
	// ByClass breaks the stored items down by class.
	ByClass map[string]ClassStats
	// Tombstones: remembered ids of released items.
	Tombstones int64
	// Deleted counts deletions by reason since the file was created
	// (persisted).
	Deleted map[Reason]uint64
	// Since Open: idempotent re-puts, puts refused with ErrBackPressure
	// and with ErrFull, and expired items Next stepped over.
	Duplicates, BackPressured, RejectedFull, SkippedExpired uint64
	// FileBytes is the size of the file on disk.
	FileBytes int64
}

// Stats returns a snapshot of the counters. It does not touch the
// database.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	c := s.counts
	st := Stats{
		ByClass:        make(map[string]ClassStats, len(c.byClass)),
		Tombstones:     c.tombstones,
		Deleted:        make(map[Reason]uint64, reasonEnd),
		Duplicates:     s.duplicates,
		BackPressured:  s.backPressured,
		RejectedFull:   s.rejectedFull,
		SkippedExpired: s.skippedExpire,
		StoredBytes:    c.usedBytes,
		HighWaterBytes: s.opts.HighWaterBytes,
		HardLimitBytes: s.opts.HardLimitBytes,
	}
	for k, v := range c.byClass {
		st.ByClass[k] = v
		st.Queued += v.Queued
		st.InFlight += v.InFlight
		st.QueuedBytes += v.QueuedBytes
		st.InFlightBytes += v.InFlightBytes
	}
	for _, r := range Reasons() {
		st.Deleted[r] = c.deleted[r]
	}
	s.mu.Unlock()
	if fi, err := os.Stat(s.path); err == nil {
		st.FileBytes = fi.Size()
	}
	return st
}
