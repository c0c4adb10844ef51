package flight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/plan"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/flight/store"
	"github.com/skysieve/skysieve/triage"
)

// Service is one flight process: intake, triage, the store and the radio
// loop. Build it with New, start it with Run.
type Service struct {
	cfg     Config
	log     *slog.Logger
	clock   clock.Clock
	store   *store.Store
	triager Triager
	// ownedTriage is the engine New built (closed with the service); a
	// Config.Triager belongs to the caller.
	ownedTriage *triage.Triage
	radio       Radio
	ownsRad     bool
	sender      *link.Sender
	metrics     *metrics

	intakePaused atomic.Bool
	stats        counters

	// intakeStoreFailing: intake is paused because the store cannot write.
	// rename and putBatch are os.Rename and the store's PutBatch; tests
	// replace them to inject cross-device renames and store failures.
	intakeStoreFailing atomic.Bool
	rename             func(oldpath, newpath string) error
	putBatch           func(ctx context.Context, items []store.Item) []error

	mu       sync.Mutex
	contacts []plan.Contact
	// contactNames names each planned contact, by its end (a contact
	// under way is trimmed at its start, never at its end).
	contactNames map[time.Time]contactName
	inPass       bool
	lastPass     PassStats
	metricsAddr  string

	// Owned by the radio loop goroutine: the reports handed over by the
	// uplink loop, the ground's last count of symbols needed per item,
	// and the reserved security sequence mark.
	reports     chan report.Report
	needs       map[link.ItemRef]int
	doneRefs    map[link.ItemRef]struct{}
	reportEpoch uint64
	custody     chan custodyWrite
	partial     *reportParts
	seqReserved uint64
	closeOnce   sync.Once
	// uplinkTop is the persisted uplink anti-replay top, written at
	// uplinkSavedAt (uplink loop).
	uplinkTop     uint64
	uplinkSavedAt time.Time
	// ackWarn rate-limits the log line for refused ACKs (radio loop).
	ackWarn logLimiter

	// wake nudges the radio loop (new items, new contacts); preemptFlag
	// asks it to re-plan at the next frame boundary (a critical item).
	wake        chan struct{}
	preemptFlag atomic.Bool

	// keys are the link keys, loaded by New under the key policy.
	keys *sdls.Keys

	ready     chan struct{}
	readyOnce sync.Once
	ran       atomic.Bool
}

// New opens the store, loads keys and contacts and prepares the radio. It
// does not start anything; Run does. Errors name the bad setting.
func New(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The key policy first: a refused key file leaves nothing behind.
	keys, log, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, badKey("data_dir", cfg.DataDir, err.Error())
	}
	s := &Service{
		cfg:      cfg,
		keys:     keys,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		wake:     make(chan struct{}, 1),
		ready:    make(chan struct{}),
		reports:  make(chan report.Report, 64),
		needs:    map[link.ItemRef]int{},
		doneRefs: map[link.ItemRef]struct{}{},
	}
	s.metrics = newMetrics(s)
	opts := cfg.Store
	if opts.Clock == nil {
		opts.Clock = cfg.Clock
	}
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	st, _, err := store.Open(filepath.Join(cfg.DataDir, "flight.db"), opts)
	if err != nil {
		return nil, fmt.Errorf("flight: open store in data_dir %s: %w", cfg.DataDir, err)
	}
	s.store = st
	s.rename, s.putBatch = os.Rename, st.PutBatch
	fail := func(err error) (*Service, error) {
		s.closeAll()
		return nil, err
	}
	if err := s.setupLink(); err != nil {
		return fail(err)
	}
	if err := s.setupContacts(); err != nil {
		return fail(err)
	}
	if err := s.setupTriage(); err != nil {
		return fail(err)
	}
	if err := s.setupRadio(); err != nil {
		return fail(err)
	}
	return s, nil
}

// Ready is closed once Run has started every loop (and the metrics
// listener, if any): Submit and the radio are live.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Run runs intake, the radio loop and housekeeping until ctx ends, then
// shuts down gracefully: the frame in hand is finished, custody progress
// is persisted, the store is closed. It returns nil after a clean
// shutdown. Run may be called once.
func (s *Service) Run(ctx context.Context) error {
	if s.ran.Swap(true) {
		return errors.New("flight: Run called twice")
	}
	defer s.closeAll()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("flight: %s: %w", name, err)
				cancel()
			}
		}()
	}
	if s.cfg.MetricsAddr != "" {
		srv, err := s.metrics.listen(s.cfg.MetricsAddr)
		if err != nil {
			return err
		}
		start("metrics", func(ctx context.Context) error { return serveUntil(ctx, srv) })
	}
	if s.cfg.SpoolDir != "" {
		start("intake", s.intakeLoop)
	}
	s.custody = make(chan custodyWrite, 4096)
	custodyDone := make(chan struct{})
	go func() {
		defer close(custodyDone)
		s.custodyWriter(s.custody)
	}()
	start("uplink", s.uplinkLoop)
	start("radio", s.radioLoop)
	start("sweep", func(ctx context.Context) error {
		return s.store.RunSweeper(ctx, s.cfg.SweepEvery, 1000)
	})
	s.readyOnce.Do(func() { close(s.ready) })
	s.log.Info("flight running", "data_dir", s.cfg.DataDir, "spool", s.cfg.SpoolDir, "contacts", len(s.contactList()))
	<-ctx.Done()
	// Closing the radio unblocks a pending uplink read.
	wg.Wait()
	// Every loop is done: the last custody records go to the store before
	// it closes.
	close(s.custody)
	<-custodyDone
	close(errc)
	err := <-errc
	s.log.Info("flight stopped", "err", err)
	return err
}

// Close releases what New opened (store, radio, triage). Run does it on
// return; call Close only for a Service that is never run.
func (s *Service) Close() { s.closeAll() }

func (s *Service) closeAll() { s.closeOnce.Do(s.doClose) }

func (s *Service) doClose() {
	if s.radio != nil && s.ownsRad {
		_ = s.radio.Close()
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			s.log.Error("closing store", "err", err)
		}
	}
	if s.ownedTriage != nil {
		_ = s.ownedTriage.Close()
	}
}

// wakeRadio nudges the radio loop without blocking.
func (s *Service) wakeRadio() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// preempt asks the radio loop to re-plan at the next frame boundary.
func (s *Service) preempt() {
	s.preemptFlag.Store(true)
	s.wakeRadio()
}

// setupTriage builds the triage engine unless one was supplied.
func (s *Service) setupTriage() error {
	if s.cfg.Triager != nil {
		s.triager = s.cfg.Triager
		return nil
	}
	tc := s.cfg.Triage
	if tc.Clock == nil {
		tc.Clock = s.clock
	}
	if tc.Logger == nil {
		tc.Logger = s.log
	}
	t, err := triage.New(tc)
	if err != nil {
		return fmt.Errorf("%w: triage: %w", ErrConfig, err)
	}
	s.triager, s.ownedTriage = t, t
	return nil
}

// setupRadio opens the UDP radio unless one was supplied.
func (s *Service) setupRadio() error {
	if s.cfg.Radio != nil {
		s.radio = s.cfg.Radio
		return nil
	}
	r, err := ListenUDP(s.cfg.RadioListen, s.cfg.RadioPeer)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.radio, s.ownsRad = r, true
	return nil
}

// MetricsAddr is the address the metrics listener bound (after Ready),
// or "" when metrics are off.
func (s *Service) MetricsAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metricsAddr
}
