package ground

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/skysieve/skysieve/downlink/bundle"
	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/outbox"
	bolt "go.etcd.io/bbolt"
)

// bbolt buckets of the ground database (besides the outbox's).
var (
	// bucketSymbols is the reassembly log: kind(2) ‖ id(16) ‖ index(4) →
	// symbol packet, for every accepted symbol of an incomplete item.
	bucketSymbols = []byte("symbols")
	// bucketCompleted remembers completed items (kind ‖ id → completion
	// time, Unix nanoseconds) so reports keep acknowledging them after a
	// restart.
	bucketCompleted = []byte("completed")
	// bucketMeta holds small values such as the uplink sequence
	// high-water mark.
	bucketMeta   = []byte("meta")
	keyUplinkSeq = []byte("uplink_seq_reserved")
	// keyReplayTops holds the receiver's anti-replay state (JSON map of
	// station → highest accepted sequence number), written in the same
	// transaction as the symbols it let in.
	keyReplayTops = []byte("replay_tops")
)

// uplinkSeqBlock is how many uplink security sequence numbers are reserved
// per persisted high-water mark.
const uplinkSeqBlock = 1 << 20

// batchFrames caps the frames handled in one bbolt transaction.
const batchFrames = 2048

// Errors of the service.
var (
	// ErrRunning is returned by a second call to Run.
	ErrRunning = errors.New("ground: service already ran")
)

// Service is one ground process: receivers, reassembly, outbox, publisher,
// reports. Create it with New, start it with Run.
type Service struct {
	cfg Config
	log *slog.Logger
	clk clock.Clock
	m   *metrics
	st  *statsCounters

	db   *bolt.DB
	ob   *outbox.Outbox
	rx   *link.Receiver
	up   *link.ReportEncoder
	keys *sdls.Keys

	udp   []*udpReceiver
	kiss  []*kissReceiver
	links map[string]*stationLink
	httpL net.Listener

	frames chan rxFrame
	ready  chan struct{}
	ran    bool

	busMu sync.Mutex
	bus   *bus.Bus
	pub   *publisher

	contactMu sync.Mutex
	contacts  map[string]*contact

	completedMu sync.Mutex
	completed   []completedRef

	// warns rate-limits the WARN lines about rejected frames.
	warns warnLimiter
	// kissDropped counts KISS connections refused at the cap or closed
	// for idling.
	kissDropped *prometheus.CounterVec

	// upReserved is the persisted uplink sequence high-water mark.
	upResMu    sync.Mutex
	upReserved uint64

	// evicted is the reassembler's eviction count last seen by process.
	evicted uint64
	// symbols mirrors the number of keys in the symbol log (moved on
	// commit), so Stats stays cheap.
	symbols atomic.Int64

	closeOnce sync.Once
}

// contact is a station's current pass, as seen from the frames.
type contact struct {
	active    bool
	start     time.Time
	lastGood  time.Time
	reportDue bool
}

type completedRef struct {
	ref link.ItemRef
	at  time.Time
}

// New checks cfg, opens the data dir and its database, restores the
// reassembly state from the symbol log, and binds every receiver socket
// (so UDPAddr works before Run). Zero fields of cfg take DefaultConfig
// values, except MetricsAddr (empty: no HTTP endpoint) and the stations
// (none at all: the default UDP station).
func New(cfg Config) (*Service, error) {
	cfg = withDefaults(cfg)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	keys, log, err := loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("ground: data dir: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, clk: cfg.Clock, m: newMetrics(), st: newStatsCounters(),
		keys: keys, links: map[string]*stationLink{}, frames: make(chan rxFrame, 4096),
		ready: make(chan struct{}), contacts: map[string]*contact{}}
	// Frames the kernel drops never reach the frame counters.
	s.kissDropped = newKISSDroppedCounter()
	s.m.reg.MustRegister(newKernelUDPCollector(), s.kissDropped)
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()
	s.db, err = bolt.Open(filepath.Join(cfg.DataDir, "ground.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, InitialMmapSize: 256 << 20})
	if err != nil {
		return nil, fmt.Errorf("ground: open %s: %w", filepath.Join(cfg.DataDir, "ground.db"), err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSymbols, bucketCompleted, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ground: database: %w", err)
	}
	if s.ob, err = outbox.Open(s.db); err != nil {
		return nil, err
	}
	s.rx, err = link.NewReceiver(cfg.Link, keys, reassembly.Config{MaxBytes: cfg.MaxReassemblyBytes})
	if err != nil {
		return nil, fmt.Errorf("%w: link: %v", ErrConfig, err)
	}
	if err := s.openReportEncoder(); err != nil {
		return nil, err
	}
	if err := s.restore(); err != nil {
		return nil, err
	}
	for _, st := range cfg.UDP {
		l := &stationLink{}
		s.links[st.Station] = l
		r, err := listenUDP(st, l, s.log)
		if err != nil {
			return nil, err
		}
		s.udp = append(s.udp, r)
	}
	s.m.reg.MustRegister(newSocketDropsCollector(s.udp))
	for _, st := range cfg.KISS {
		l := &stationLink{}
		s.links[st.Station] = l
		station := st.Station
		r, err := listenKISS(st, cfg.Link.FrameBytes, l, s.log, func() {
			s.st.kissErrors.Add(1)
			s.m.kissErrors.WithLabelValues(station).Inc()
		}, func(reason string, remote net.Addr) {
			s.kissDropped.WithLabelValues(station, reason).Inc()
			if ok, held := s.warns.allow(s.clk.Now(), station, "kiss-"+reason); ok {
				s.log.Warn(kissDropMessage[reason], "station", station, "remote", remote, "max_conns", st.MaxConns,
					"idle_timeout", st.IdleTimeout, "suppressed", held)
			}
		})
		if err != nil {
			return nil, err
		}
		s.kiss = append(s.kiss, r)
	}
	if cfg.MetricsAddr != "" {
		if s.httpL, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("ground: metrics_addr %s: %w", cfg.MetricsAddr, err)
		}
	}
	ok = true
	return s, nil
}

// loadKeys applies the key policy (downlink/linkkeys). On the public
// development keys, the returned logger tags every line with
// insecure_dev_keys=true, and a warning says what that means.
func loadKeys(cfg Config) (*sdls.Keys, *slog.Logger, error) {
	l, err := linkkeys.Load(cfg.KeyFile, cfg.InsecureDevKeys)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: key_file = %q: %w", ErrConfig, cfg.KeyFile, err)
	}
	log := cfg.Logger
	if l.Development {
		log = log.With("insecure_dev_keys", true)
		log.Warn("--insecure-dev-keys: running on the public development link keys; anyone can forge frames and reports", "keys", l.Source)
	}
	return l.Keys, log, nil
}

func withDefaults(cfg Config) Config {
	d := DefaultConfig()
	if cfg.DataDir == "" {
		cfg.DataDir = d.DataDir
	}
	if len(cfg.UDP) == 0 && len(cfg.KISS) == 0 {
		cfg.UDP = d.UDP
	}
	cfg.KISS = append([]KISSStation(nil), cfg.KISS...)
	for i := range cfg.KISS {
		if cfg.KISS[i].MaxConns == 0 {
			cfg.KISS[i].MaxConns = DefaultKISSMaxConns
		}
		if cfg.KISS[i].IdleTimeout == 0 {
			cfg.KISS[i].IdleTimeout = DefaultKISSIdleTimeout
		}
	}
	if cfg.NATSListen == "" {
		cfg.NATSListen = d.NATSListen
	}
	if cfg.NATSReplicas == 0 {
		cfg.NATSReplicas = d.NATSReplicas
	}
	if cfg.Link.FrameBytes == 0 {
		cfg.Link = d.Link
	}
	if cfg.ReportInterval == 0 {
		cfg.ReportInterval = d.ReportInterval
	}
	if cfg.ContactIdle == 0 {
		cfg.ContactIdle = d.ContactIdle
	}
	if cfg.CAPSender == "" {
		cfg.CAPSender = d.CAPSender
	}
	if cfg.OutboxMaxAttempts == 0 {
		cfg.OutboxMaxAttempts = d.OutboxMaxAttempts
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

// openReportEncoder starts the uplink encoder above the persisted
// high-water mark and reserves the next block, so no sequence number is
// ever used twice across restarts.
func (s *Service) openReportEncoder() error {
	var start uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if v := b.Get(keyUplinkSeq); len(v) == 8 {
			start = binary.BigEndian.Uint64(v)
		}
		return b.Put(keyUplinkSeq, binary.BigEndian.AppendUint64(nil, start+uplinkSeqBlock))
	})
	if err != nil {
		return fmt.Errorf("ground: uplink sequence: %w", err)
	}
	s.up, err = link.NewReportEncoder(s.cfg.Link, s.keys, start)
	if err != nil {
		return fmt.Errorf("%w: link: %v", ErrConfig, err)
	}
	s.upReserved = start + uplinkSeqBlock
	return nil
}

// reserveUplinkSeq persists a new high-water mark when the encoder nears
// the reserved one. The mark in hand is kept in memory, so a report costs
// a database transaction only once per half block.
func (s *Service) reserveUplinkSeq() error {
	s.upResMu.Lock()
	defer s.upResMu.Unlock()
	next := s.up.Seq()
	if next+uplinkSeqBlock/2 < s.upReserved {
		return nil
	}
	top := next + uplinkSeqBlock
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyUplinkSeq, binary.BigEndian.AppendUint64(nil, top))
	})
	if err != nil {
		return err
	}
	s.upReserved = top
	return nil
}

// restore replays the symbol log into the reassembler and loads the
// completed list.
func (s *Service) restore() error {
	ra := s.rx.Reassembler()
	var symbols, stale int
	var completed []link.Item
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyReplayTops); v != nil {
			var tops map[string]uint64
			if err := json.Unmarshal(v, &tops); err != nil {
				return fmt.Errorf("anti-replay state: %w", err)
			}
			s.rx.RestoreReplayState(tops)
		}
		s.symbols.Store(int64(tx.Bucket(bucketSymbols).Stats().KeyN))
		err := tx.Bucket(bucketSymbols).ForEach(func(k, v []byte) error {
			ar, err := ra.AddPacket(v)
			if err != nil {
				stale++
				return nil
			}
			symbols++
			if ar.Item != nil {
				ref := refFromKey(k)
				completed = append(completed, link.Item{Ref: ref, Data: ar.Item})
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCompleted).ForEach(func(k, v []byte) error {
			if len(k) != 18 || len(v) != 8 {
				return nil
			}
			s.completed = append(s.completed, completedRef{ref: refFromKey(k), at: time.Unix(0, int64(binary.BigEndian.Uint64(v)))})
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("ground: restore reassembly log: %w", err)
	}
	if len(completed) > 0 {
		// Only possible if a completion was logged but not retired; finish
		// it (the publisher finds it in the outbox when Run starts).
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, it := range completed {
				if _, err := s.completeTx(tx, it, "restored", "", time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ground: restore: %w", err)
		}
	}
	if ev := ra.Stats().Evicted; ev > 0 {
		s.evicted = ev
		if err := s.pruneEvicted(); err != nil {
			return err
		}
	}
	sortCompleted(s.completed)
	if symbols+stale > 0 || len(s.completed) > 0 {
		s.log.Info("reassembly state restored", "symbols", symbols, "unreadable", stale,
			"incomplete_items", ra.Stats().HeldItems, "completed_remembered", len(s.completed))
	}
	return nil
}

func symbolKey(ref link.ItemRef, index int) []byte {
	k := make([]byte, 22)
	binary.BigEndian.PutUint16(k, uint16(ref.Kind))
	copy(k[2:18], ref.ID[:])
	binary.BigEndian.PutUint32(k[18:], uint32(index))
	return k
}

func refKey(ref link.ItemRef) []byte { return symbolKey(ref, 0)[:18] }

func refFromKey(k []byte) link.ItemRef {
	var ref link.ItemRef
	ref.Kind = link.Kind(binary.BigEndian.Uint16(k))
	copy(ref.ID[:], k[2:18])
	return ref
}

func kindName(k link.Kind) string {
	switch k {
	case link.KindRecord:
		return kindRecord
	case link.KindChip:
		return kindChip
	}
	return k.String()
}

// Ready is closed once Run has started every receiver, the bus and the
// publisher.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// UDPAddr is the bound address of a UDP station's socket, or nil if there
// is no such station.
func (s *Service) UDPAddr(station string) net.Addr {
	for _, r := range s.udp {
		if r.station == station {
			return r.conn.LocalAddr()
		}
	}
	return nil
}

// KISSAddr is the bound address of a KISS station's listener, or nil.
func (s *Service) KISSAddr(station string) net.Addr {
	for _, r := range s.kiss {
		if r.st.Station == station {
			if r.ln == nil {
				return nil
			}
			return r.ln.Addr()
		}
	}
	return nil
}

// MetricsAddr is the bound address of the HTTP endpoint, or nil.
func (s *Service) MetricsAddr() net.Addr {
	if s.httpL == nil {
		return nil
	}
	return s.httpL.Addr()
}

// NATSAuthFile is the file in DataDir holding the embedded server's
// credentials for ground's user (mode 0600, made at first start; see
// bus.LoadOrCreateCredentials). ground watch reads it.
const NATSAuthFile = "nats-auth.json"

// NATSCredentials are the user and password the service connects to the
// bus as (empty for an external server reached with creds, nkey or URL
// credentials). Zero before Ready.
func (s *Service) NATSCredentials() bus.Credentials {
	s.busMu.Lock()
	defer s.busMu.Unlock()
	if s.bus == nil {
		return bus.Credentials{}
	}
	return s.bus.Credentials()
}

// NATSURL is the client URL of the bus: the embedded server's listener or
// the configured external URL (which may carry credentials: log it
// through settings.RedactURL). It is empty before Ready.
func (s *Service) NATSURL() string {
	s.busMu.Lock()
	defer s.busMu.Unlock()
	if s.bus == nil {
		return ""
	}
	return s.bus.URL()
}

// Stats returns a snapshot of the counters. It is cheap (no disk access),
// so a simulator may poll it often.
func (s *Service) Stats() Stats {
	out := s.st.snapshot()
	out.OutboxLen = s.ob.Len()
	out.SymbolsLogged = int(s.symbols.Load())
	s.busMu.Lock()
	pub := s.pub
	s.busMu.Unlock()
	if pub != nil {
		out.PublishLatencyP50, out.PublishLatencyP99 = pub.latencyQuantiles()
	}
	return out
}

// Run starts the bus, the receivers, the processing loop, the publisher
// and the report timer, closes Ready, and runs until ctx ends or a
// component fails. It then stops everything and closes the database; a
// Service runs once.
func (s *Service) Run(ctx context.Context) error {
	if s.ran {
		return ErrRunning
	}
	s.ran = true
	defer s.closeAll()
	readers := make([]bus.Reader, len(s.cfg.NATSReaders))
	for i, r := range s.cfg.NATSReaders {
		readers[i] = bus.Reader{User: r.User, Password: r.Password}
	}
	b, err := bus.Open(ctx, bus.Config{
		URL: s.cfg.NATSURL, Listen: s.cfg.NATSListen, ListenFallback: s.cfg.NATSListenFallback, StoreDir: filepath.Join(s.cfg.DataDir, "nats"),
		AuthFile:  filepath.Join(s.cfg.DataDir, NATSAuthFile),
		TLSCAFile: s.cfg.NATSCAFile, TLSCertFile: s.cfg.NATSCertFile, TLSKeyFile: s.cfg.NATSKeyFile,
		CredsFile: s.cfg.NATSCredsFile, NKeySeedFile: s.cfg.NATSNKeyFile, Replicas: s.cfg.NATSReplicas,
		Readers: readers, Logger: s.log,
	})
	if err != nil {
		return err
	}
	s.busMu.Lock()
	s.bus = b
	s.pub = newPublisher(b, s.ob, s.clk, s.log, s.m, s.st, s.cfg.CAPSender, s.cfg.OutboxMaxAttempts)
	s.busMu.Unlock()
	// Tools on this machine (ground watch) find the server here; they
	// bring their own credentials (NATSAuthFile for the embedded one), so
	// none are written.
	_ = os.WriteFile(filepath.Join(s.cfg.DataDir, "nats.url"), []byte(settings.StripUserinfo(b.URL())+"\n"), 0o640)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	for _, r := range s.udp {
		start("udp "+r.station, func(ctx context.Context) error { return r.run(ctx, s.frames) })
	}
	for _, r := range s.kiss {
		start("kiss "+r.st.Station, func(ctx context.Context) error { return r.run(ctx, s.frames) })
	}
	start("process", s.process)
	start("publish", s.pub.run)
	start("report", s.reportLoop)
	start("observe", s.observe)
	var srv *http.Server
	if s.httpL != nil {
		srv = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(s.httpL) }()
	}
	s.log.Info("ground service ready", "nats", settings.RedactURL(b.URL()), "stations", s.stationAddrs(),
		"outbox", s.ob.Len(), "data_dir", s.cfg.DataDir)
	close(s.ready)

	<-ctx.Done()
	// A clean stop removes nats.url, which tells a `ground watch` that
	// lost its connection that ground stopped rather than crashed.
	_ = os.Remove(filepath.Join(s.cfg.DataDir, "nats.url"))
	// Stop the sockets so receivers return, then wait for everyone.
	for _, r := range s.udp {
		r.conn.Close()
	}
	for _, r := range s.kiss {
		r.close()
	}
	if srv != nil {
		shutCtx, c := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(shutCtx)
		c()
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Close releases what New opened (sockets, database) when Run is never
// called. Run closes everything itself when it returns; Close after that
// does nothing.
func (s *Service) Close() { s.closeAll() }

// closeAll releases everything New or Run opened, once.
func (s *Service) closeAll() { s.closeOnce.Do(s.release) }

func (s *Service) release() {
	for _, r := range s.udp {
		r.conn.Close()
	}
	for _, r := range s.kiss {
		r.close()
	}
	if s.httpL != nil {
		s.httpL.Close()
	}
	s.busMu.Lock()
	if s.bus != nil {
		s.bus.Close()
	}
	s.busMu.Unlock()
	if s.db != nil {
		s.db.Close()
	}
}

// process is the single loop that verifies frames, logs accepted symbols
// and retires completed items, a batch of frames per transaction.
func (s *Service) process(ctx context.Context) error {
	batch := make([]rxFrame, 0, batchFrames)
	for {
		batch = batch[:0]
		select {
		case f := <-s.frames:
			batch = append(batch, f)
		case <-ctx.Done():
			return nil
		}
	drain:
		for len(batch) < batchFrames {
			select {
			case f := <-s.frames:
				batch = append(batch, f)
			default:
				break drain
			}
		}
		if err := s.processBatch(batch); err != nil {
			return err
		}
	}
}

type notice struct {
	ref  string
	wall time.Time
}

// processBatch handles frames in one bbolt transaction: a symbol is
// durable in the log before the batch's completions are queued, and a
// completion retires its symbols and enters the outbox atomically.
func (s *Service) processBatch(batch []rxFrame) error {
	var notices []notice
	type counted struct {
		station string
		res     link.Result
		err     error
		dups    int
	}
	var counts []counted
	var completed int
	err := s.db.Update(func(tx *bolt.Tx) error {
		notices, counts, completed = notices[:0], counts[:0], 0
		log := tx.Bucket(bucketSymbols)
		puts := 0
		tx.OnCommit(func() { s.symbols.Add(int64(puts)) })
		// Accepted symbols are staged and written at the end of the batch,
		// except those of items the batch completes: they would be
		// deleted in this same transaction anyway.
		type staged struct{ key, pkt []byte }
		pending := map[link.ItemRef][]staged{}
		var order []link.ItemRef
		for _, f := range batch {
			res, err := s.rx.Receive(f.data, f.station)
			// Counted once the transaction commits: a frame counts as
			// received only when its symbols are durable.
			// res.Symbols is the receiver's scratch, overwritten by the next
			// frame: its duplicates are counted now.
			counts = append(counts, counted{f.station, res, err, duplicates(res)})
			if res.Verified && f.reply != nil {
				// Reports follow the spacecraft's verified frames only; set
				// before the contact is noted, so its first report has a
				// way up.
				s.links[f.station].set(f.reply)
			}
			if err != nil {
				continue
			}
			pass := s.noteContact(f.station)
			for _, sym := range res.Symbols {
				if sym.Outcome != reassembly.Accepted {
					continue
				}
				if _, ok := pending[sym.Ref]; !ok {
					order = append(order, sym.Ref)
				}
				pending[sym.Ref] = append(pending[sym.Ref], staged{symbolKey(sym.Ref, sym.Index), bytes.Clone(sym.Packet)})
			}
			for _, it := range res.Completed {
				completed++
				delete(pending, it.Ref)
				refs, err := s.completeTx(tx, it, f.station, pass, f.rxWall)
				if err != nil {
					return err
				}
				for _, ref := range refs {
					notices = append(notices, notice{ref, f.rxWall})
				}
			}
		}
		for _, ref := range order {
			for _, st := range pending[ref] {
				if err := log.Put(st.key, st.pkt); err != nil {
					return err
				}
				puts++
			}
		}
		tops, err := json.Marshal(s.rx.ReplayState())
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keyReplayTops, tops); err != nil {
			return err
		}
		return fault(faultBeforeCommit, completed)
	})
	if err != nil {
		return fmt.Errorf("ground: reassembly log: %w", err)
	}
	if err := fault(faultAfterCommit, completed); err != nil {
		return err
	}
	if ev := s.rx.Reassembler().Stats().Evicted; ev != s.evicted {
		s.evicted = ev
		if err := s.pruneEvicted(); err != nil {
			return err
		}
	}
	// Counted last, so a caller that sees a frame counted also sees the
	// log pruned of what the frame's symbols evicted.
	for _, c := range counts {
		s.countFrame(c.station, c.res, c.err, c.dups)
	}
	for _, n := range notices {
		s.pub.notify(n.ref, n.wall)
	}
	return nil
}

// pruneEvicted drops from the symbol log every item the reassembler no
// longer holds (evicted under its memory cap), so the log stays bounded
// like the reassembler itself.
func (s *Service) pruneEvicted() error {
	held := map[link.ItemRef]bool{}
	for _, n := range s.rx.Reassembler().Needs() {
		held[n.Ref] = true
	}
	pruned := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSymbols)
		var drop [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			if !held[refFromKey(k)] {
				drop = append(drop, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		pruned = len(drop)
		tx.OnCommit(func() { s.symbols.Add(-int64(pruned)) })
		return nil
	})
	if err != nil {
		return fmt.Errorf("ground: prune reassembly log: %w", err)
	}
	s.log.Warn("reassembler evicted incomplete items under its memory cap; their symbols are dropped",
		"symbols_pruned", pruned, "max_reassembly_bytes", s.cfg.MaxReassemblyBytes)
	return nil
}

// completeTx retires a completed item's symbols and queues what it
// carries for publishing: a record or chip as itself, a bundle as the
// record and chip of each member. It returns the outbox refs queued (none
// for housekeeping or what was already queued). A bundle's members are
// remembered as complete too, so flight's custody of each detection ends
// with the report even if flight forgot which bundle it sent.
func (s *Service) completeTx(tx *bolt.Tx, it link.Item, station, pass string, wall time.Time) ([]string, error) {
	prefix := refKey(it.Ref)
	c := tx.Bucket(bucketSymbols).Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := tx.Bucket(bucketSymbols).Delete(k); err != nil {
			return nil, err
		}
	}
	tx.OnCommit(func() { s.symbols.Add(-int64(len(keys))) })
	now := s.clk.Now()
	if err := s.markCompletedTx(tx, it.Ref, now); err != nil {
		return nil, err
	}
	kind := kindName(it.Ref.Kind)
	tx.OnCommit(func() {
		s.st.itemCompleted(kind)
		s.m.items.WithLabelValues(kind).Inc()
	})
	switch it.Ref.Kind {
	case link.KindRecord, link.KindChip:
		ref, err := s.enqueueTx(tx, it.Ref.Kind, it.Ref.ID, it.Data, station, pass, now)
		if ref == "" || err != nil {
			return nil, err
		}
		return []string{ref}, nil
	case link.KindBundle:
		members, err := bundle.Decode(it.Data)
		if err != nil {
			// The item digest matched, so flight built it this way: a
			// flight bug, not a link error. Its members stay in flight's
			// custody (no member is acknowledged) and go again unbundled
			// only if an operator intervenes, so say so loudly.
			s.log.Error("bundle passed its digest but does not decode; its detections are not published", "id", it.Ref.ID.String(), "err", err, "station", station)
			return nil, nil
		}
		var refs []string
		for i := range members {
			for _, part := range members[i].Parts() {
				if err := s.markCompletedTx(tx, part.Ref, now); err != nil {
					return nil, err
				}
				ref, err := s.enqueueTx(tx, part.Ref.Kind, part.Ref.ID, part.Data, station, pass, now)
				if err != nil {
					return nil, err
				}
				if ref != "" {
					refs = append(refs, ref)
				}
			}
		}
		return refs, nil
	}
	s.log.Info("housekeeping item received", "id", it.Ref.ID.String(), "bytes", len(it.Data), "station", station)
	return nil, nil
}

// markCompletedTx records ref as complete in tx and, once tx commits, in
// the list reports acknowledge from: an ACK never goes up for an item
// whose transaction may still fail or be cut short by a crash (flight
// releases what the ground acknowledges).
func (s *Service) markCompletedTx(tx *bolt.Tx, ref link.ItemRef, now time.Time) error {
	if err := tx.Bucket(bucketCompleted).Put(refKey(ref), binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))); err != nil {
		return err
	}
	tx.OnCommit(func() { s.rememberCompleted(ref, now) })
	return nil
}

// enqueueTx queues one record or chip for publishing and returns its
// outbox ref, or "" if the outbox already holds it (a redelivery).
func (s *Service) enqueueTx(tx *bolt.Tx, k link.Kind, id link.ItemID, data []byte, station, pass string, now time.Time) (string, error) {
	kind := kindName(k)
	e := &outbox.Entry{Kind: kind, ID: id.String(), Payload: data, Station: station, Pass: pass, DownlinkTime: now}
	if k == link.KindRecord {
		if d, err := record.Unmarshal(data); err == nil {
			e.Priority = d.Priority
		}
	}
	added, err := s.ob.EnqueueTx(tx, e)
	if err != nil {
		return "", err
	}
	if !added {
		tx.OnCommit(func() {
			s.st.redelivered.Add(1)
			s.m.redelivered.WithLabelValues(kind).Inc()
		})
		return "", nil
	}
	return e.Ref(), nil
}

// duplicates counts the symbols of a frame that were not new.
func duplicates(res link.Result) int {
	n := 0
	for _, sym := range res.Symbols {
		if sym.Outcome != reassembly.Accepted {
			n++
		}
	}
	return n
}

// countFrame updates the per-station, per-VC counters for one frame with
// dups duplicate symbols.
func (s *Service) countFrame(station string, res link.Result, err error, dups int) {
	reason := ResultGood
	switch {
	case err == nil:
	case errors.Is(err, sdls.ErrReplay):
		reason = ResultReplay
	case errors.Is(err, sdls.ErrAuth), errors.Is(err, sdls.ErrUnknownSPI):
		reason = ResultAuth
	case errors.Is(err, link.ErrMalformed):
		reason = ResultMalformed
	case errors.Is(err, frame.ErrCRC):
		reason = ResultCRC
	default:
		reason = ResultMalformed
	}
	s.warnRejected(station, reason, err)
	vc := res.VC
	vcLabel := fmt.Sprint(vc)
	s.m.frames.WithLabelValues(station, vcLabel, reason).Inc()
	if dups > 0 {
		s.m.frames.WithLabelValues(station, vcLabel, ResultDuplicate).Add(float64(dups))
	}
	if res.Gap > 0 {
		s.m.gaps.WithLabelValues(station, vcLabel).Inc()
		s.m.framesMissed.WithLabelValues(station, vcLabel).Add(float64(res.Gap))
		s.log.Debug("frame gap", "station", station, "vc", vc, "missed", res.Gap)
	}
	s.st.frame(station, vc, func(c *FrameCounts) {
		switch reason {
		case ResultGood:
			c.Good++
			if res.Idle {
				c.Idle++
			}
		case ResultReplay:
			c.Replay++
		case ResultAuth:
			c.Auth++
		case ResultCRC:
			c.CRC++
		default:
			c.Malformed++
		}
		c.Duplicate += uint64(dups)
		if res.Gap > 0 {
			c.Gaps++
			c.Missed += uint64(res.Gap)
		}
	})
}

// stationAddrs names each station with its transport and bound address,
// "local=udp:127.0.0.1:7400 mast=kiss:0.0.0.0:8001", for the ready line.
func (s *Service) stationAddrs() string {
	var parts []string
	for _, r := range s.udp {
		parts = append(parts, r.station+"=udp:"+r.conn.LocalAddr().String())
	}
	for _, r := range s.kiss {
		if r.ln == nil {
			parts = append(parts, r.st.Station+"=kiss-client:"+r.st.Listen)
			continue
		}
		parts = append(parts, r.st.Station+"=kiss:"+r.ln.Addr().String())
	}
	return strings.Join(parts, " ")
}
