package flight

import (
	"encoding/json"
	"sync/atomic"
	"time"
)

// counters are the service's running totals (atomics: several goroutines
// count).
type counters struct {
	scenesIn, scenesTriaged, scenesQuarantined atomic.Uint64
	detectionsStored                           atomic.Uint64
	passes, framesSent, bytesSent              atomic.Uint64
	symbolsSent, repairSymbols                 atomic.Uint64
	reports, reportsRejected, acked            atomic.Uint64
	acksRefused                                atomic.Uint64
	housekeeping, radioErrors                  atomic.Uint64
	triageNanos                                atomic.Uint64
	scenesDeferred, storeErrors                atomic.Uint64
}

// PassStats describes the latest contact.
type PassStats struct {
	Name          string    `json:"name"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Frames        uint64    `json:"frames"`
	Symbols       uint64    `json:"symbols"`
	RepairSymbols uint64    `json:"repair_symbols"`
	// Acked counts detections whose custody passed to the ground during
	// the pass (acknowledgements keep arriving shortly after it).
	Acked uint64 `json:"acked"`
}

// ClassStats is the queue of one detection class.
type ClassStats struct {
	Queued, InFlight           int64
	QueuedBytes, InFlightBytes int64
}

// Stats is a snapshot for the simulator's plots, housekeeping telemetry
// and metrics. Counters count since the service started.
type Stats struct {
	Time time.Time `json:"time"`
	// Queue by detection class (queued and in-flight items, record + chip
	// bytes), and the store's use against its limits.
	ByClass        map[string]ClassStats `json:"by_class"`
	QueueDepth     int64                 `json:"queue_depth"`
	QueueBytes     int64                 `json:"queue_bytes"`
	StoredBytes    int64                 `json:"stored_bytes"`
	HighWaterBytes int64                 `json:"high_water_bytes"`
	HardLimitBytes int64                 `json:"hard_limit_bytes"`
	FileBytes      int64                 `json:"file_bytes"`
	// Deleted counts store deletions by reason (acknowledged, expired,
	// evicted, ...) over the file's life.
	Deleted map[string]uint64 `json:"deleted"`
	// Intake.
	ScenesIn          uint64 `json:"scenes_in"`
	ScenesTriaged     uint64 `json:"scenes_triaged"`
	ScenesQuarantined uint64 `json:"scenes_quarantined"`
	// DetectionsStored counts detections the store accepted, Duplicates
	// those among them it already held (a re-triaged scene).
	DetectionsStored uint64 `json:"detections_stored"`
	Duplicates       uint64 `json:"duplicates"`
	IntakePaused     bool   `json:"intake_paused"`
	// ScenesDeferred counts spool scenes left in the spool because the
	// store refused some of their detections (back-pressure).
	ScenesDeferred uint64 `json:"scenes_deferred"`
	// StoreFailing is true while intake is paused because the store
	// cannot write (a full disk, an I/O error); StoreErrors counts
	// such failures. No scene is quarantined for them.
	StoreFailing bool   `json:"intake_store_failing"`
	StoreErrors  uint64 `json:"intake_store_errors"`
	// TriageSeconds is the time spent in triage (wall time, not the
	// service clock); ScenesTriaged/TriageSeconds is the triage rate.
	TriageSeconds float64 `json:"triage_seconds"`
	// Radio.
	InContact       bool   `json:"in_contact"`
	Passes          uint64 `json:"passes"`
	FramesSent      uint64 `json:"frames_sent"`
	BytesSent       uint64 `json:"bytes_sent"`
	SymbolsSent     uint64 `json:"symbols_sent"`
	RepairSymbols   uint64 `json:"repair_symbols"`
	Reports         uint64 `json:"reports"`
	ReportsRejected uint64 `json:"reports_rejected"`
	// Acked counts detections whose custody passed to the ground.
	Acked uint64 `json:"acked"`
	// AcksRefused counts ACKs of parts no symbol of which was sent: not
	// genuine, so refused (the part stays queued).
	AcksRefused uint64 `json:"acks_refused"`
	// RadioErrors counts frames the radio failed to send (lost).
	RadioErrors  uint64 `json:"radio_errors"`
	Housekeeping uint64 `json:"housekeeping"`
	// LastPass is the latest (or current) contact.
	LastPass PassStats `json:"last_pass"`
}

// Stats returns a snapshot. It is cheap (no database read) and safe to
// call from any goroutine.
func (s *Service) Stats() Stats {
	st := s.store.Stats()
	out := Stats{
		Time:              s.clock.Now(),
		ByClass:           make(map[string]ClassStats, len(st.ByClass)),
		QueueDepth:        st.Queued + st.InFlight,
		QueueBytes:        st.QueuedBytes + st.InFlightBytes,
		StoredBytes:       st.StoredBytes,
		HighWaterBytes:    st.HighWaterBytes,
		HardLimitBytes:    st.HardLimitBytes,
		FileBytes:         st.FileBytes,
		Deleted:           make(map[string]uint64, len(st.Deleted)),
		ScenesIn:          s.stats.scenesIn.Load(),
		ScenesTriaged:     s.stats.scenesTriaged.Load(),
		ScenesQuarantined: s.stats.scenesQuarantined.Load(),
		DetectionsStored:  s.stats.detectionsStored.Load(),
		Duplicates:        st.Duplicates,
		IntakePaused:      s.intakePaused.Load(),
		ScenesDeferred:    s.stats.scenesDeferred.Load(),
		StoreFailing:      s.intakeStoreFailing.Load(),
		StoreErrors:       s.stats.storeErrors.Load(),
		TriageSeconds:     float64(s.stats.triageNanos.Load()) / 1e9,
		InContact:         s.isInPass(),
		Passes:            s.stats.passes.Load(),
		FramesSent:        s.stats.framesSent.Load(),
		BytesSent:         s.stats.bytesSent.Load(),
		SymbolsSent:       s.stats.symbolsSent.Load(),
		RepairSymbols:     s.stats.repairSymbols.Load(),
		Reports:           s.stats.reports.Load(),
		ReportsRejected:   s.stats.reportsRejected.Load(),
		Acked:             s.stats.acked.Load(),
		AcksRefused:       s.stats.acksRefused.Load(),
		Housekeeping:      s.stats.housekeeping.Load(),
		RadioErrors:       s.stats.radioErrors.Load(),
	}
	s.mu.Lock()
	out.LastPass = s.lastPass
	s.mu.Unlock()
	for class, c := range st.ByClass {
		out.ByClass[class] = ClassStats{Queued: c.Queued, InFlight: c.InFlight, QueuedBytes: c.QueuedBytes, InFlightBytes: c.InFlightBytes}
	}
	for r, n := range st.Deleted {
		out.Deleted[r.String()] = n
	}
	return out
}

// housekeeping is the housekeeping packet payload: the Stats as JSON.
func (s *Service) housekeeping() ([]byte, error) {
	return json.Marshal(s.Stats())
}

func (s *Service) setInPass(v bool) {
	s.mu.Lock()
	s.inPass = v
	s.mu.Unlock()
}

func (s *Service) isInPass() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inPass
}
