package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/skysieve/skysieve/downlink/clock"
)

// Named errors; test with errors.Is.
var (
	// ErrBackPressure: the store is above its high watermark and the item is
	// not urgent enough to be admitted. Nothing was stored; retry later.
	ErrBackPressure = errors.New("store: above high watermark, back-pressure")
	// ErrFull: admitting the item would pass the hard limit and evicting
	// every lower-ranked item would not make room. Nothing was stored.
	ErrFull = errors.New("store: hard limit reached")
	// ErrInvalidItem: the item breaks a rule of Put (empty id, bad class...).
	ErrInvalidItem = errors.New("store: invalid item")
	// ErrTooLarge: the item is bigger than Options.MaxItemBytes.
	ErrTooLarge = errors.New("store: item too large")
	// ErrExpired: the item's expiry has already passed at Put.
	ErrExpired = errors.New("store: item already expired")
	// ErrNotFound: no such item (and no tombstone for it).
	ErrNotFound = errors.New("store: not found")
	// ErrReleased: the item has left the store (acknowledged or released);
	// the error message says why.
	ErrReleased = errors.New("store: item released")
	// ErrCorrupt: the file is not a readable bbolt database, or a value in
	// it does not decode. The file is left untouched.
	ErrCorrupt = errors.New("store: corrupt file")
	// ErrForeign: the file is a bbolt database, but not a Skysieve store (or
	// a format version this code does not know). The file is left untouched.
	ErrForeign = errors.New("store: not a skysieve store")
	// ErrLocked: another process holds the file open.
	ErrLocked = errors.New("store: file locked by another process")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrBadArgument: a bad argument to a custody, release or meta call.
	ErrBadArgument = errors.New("store: bad argument")
)

// formatName is written once in a new file and checked at every Open.
const formatName = "skysieve-store/1"

// Bucket names. See doc.go for the key layouts.
var (
	bktFormat  = []byte("format")
	bktItems   = []byte("items")
	bktChunks  = []byte("chunks")
	bktOrder   = []byte("order")
	bktExpiry  = []byte("expiry")
	bktCustody = []byte("custody")
	bktGone    = []byte("gone")
	bktGoneAt  = []byte("gone_at")
	bktCounter = []byte("counters")
	bktMeta    = []byte("meta")
	allBuckets = [][]byte{bktFormat, bktItems, bktChunks, bktOrder, bktExpiry, bktCustody, bktGone, bktGoneAt, bktCounter, bktMeta}
	keyFormat  = []byte("format")
)

// Options configure a Store. The zero value of every field means its
// default.
type Options struct {
	// HighWaterBytes: above this many stored bytes (record + chip of queued
	// and in-flight items), Put refuses non-urgent items with
	// ErrBackPressure. Default 80% of HardLimitBytes.
	HighWaterBytes int64
	// HardLimitBytes: stored bytes never exceed this; an urgent item that
	// would pass it evicts the lowest-ranked items first. Default 1 GiB.
	HardLimitBytes int64
	// UrgentClasses: items with PriorityClass < UrgentClasses are admitted
	// above the high watermark. Default 1 (class 0 only); negative: none.
	UrgentClasses int
	// ExpiryByClass gives the lifetime of items of a class from arrival,
	// used when an item has no explicit Expiry.
	ExpiryByClass map[string]time.Duration
	// DefaultExpiry applies to classes not in ExpiryByClass. Zero: never.
	DefaultExpiry time.Duration
	// TombstoneTTL: how long the ids of released items are remembered so a
	// re-put is recognised as a duplicate. Default 72h.
	TombstoneTTL time.Duration
	// MaxTombstones bounds remembered ids; Sweep prunes the oldest beyond
	// it. Default 100,000.
	MaxTombstones int
	// MaxItemBytes bounds one item's record + chip. Default 16 MiB.
	MaxItemBytes int64
	// ChunkBytes is the payload chunk size. The default, 2000, packs two
	// chunks into one 4 KiB bbolt page so no value needs overflow pages.
	ChunkBytes int
	// MaxBatchItems bounds the Puts coalesced into one transaction.
	// Default 1024.
	MaxBatchItems int
	// NextMaxSkips bounds how many items that do not fit the byte budget
	// Next steps over before it stops looking. Default 256.
	NextMaxSkips int
	// Clock is the time source. Default clock.Real{}.
	Clock clock.Clock
	// Logger receives the recovery summary and problems. Default
	// slog.Default().
	Logger *slog.Logger
	// LockTimeout: how long Open waits for another process to release
	// the file. Default 2s.
	LockTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.HardLimitBytes <= 0 {
		o.HardLimitBytes = 1 << 30
	}
	if o.HighWaterBytes <= 0 || o.HighWaterBytes > o.HardLimitBytes {
		o.HighWaterBytes = o.HardLimitBytes / 10 * 8
	}
	if o.UrgentClasses == 0 {
		o.UrgentClasses = 1
	}
	if o.TombstoneTTL <= 0 {
		o.TombstoneTTL = 72 * time.Hour
	}
	if o.MaxTombstones <= 0 {
		o.MaxTombstones = 100_000
	}
	if o.MaxItemBytes <= 0 {
		o.MaxItemBytes = 16 << 20
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 2000
	}
	if o.MaxBatchItems <= 0 {
		o.MaxBatchItems = 1024
	}
	if o.NextMaxSkips <= 0 {
		o.NextMaxSkips = 256
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Second
	}
	return o
}

// Store is the durable priority store. All methods are safe for concurrent
// use. Reads (Get, Next, Custody, Stats, Meta) run beside writes; writes
// are serialised, and concurrent Puts share one transaction and one fsync.
type Store struct {
	db    *bolt.DB
	path  string
	opts  Options
	clock clock.Clock

	// wmu serialises write transactions so counts stay coherent with
	// the file.
	wmu sync.Mutex
	// mu guards counts and the in-memory counters below.
	mu     sync.Mutex
	counts *counts
	// since-open counters.
	duplicates    uint64
	backPressured uint64
	rejectedFull  uint64
	skippedExpire uint64

	putCh   chan *putReq
	closeMu sync.RWMutex
	closed  bool
	doneCh  chan struct{}
}

// RecoveryReport says what Open found.
type RecoveryReport struct {
	// Created is true when Open made a new file.
	Created bool
	// Queued, InFlight: stored items by state; the Bytes fields count their
	// record + chip.
	Queued, InFlight           int64
	QueuedBytes, InFlightBytes int64
	// Tombstones: remembered ids of released items.
	Tombstones int64
	// FileBytes is the file's size.
	FileBytes int64
	// Problems lists each inconsistency found and what was done about it.
	Problems []string
	// Removed counts items deleted as corrupt (also in Stats.Deleted).
	Removed int
	// Took is how long recovery took.
	Took time.Duration
}

// Open opens the store at path, creating it if it does not exist or is
// empty. An existing file must be a Skysieve store: a file that is not a
// bbolt database gives ErrCorrupt, a bbolt database of another program (or
// another store format) gives ErrForeign, and in both cases the file is not
// written. Open checks the store's internal consistency, repairs what it
// can (rebuilding indexes, removing items whose payload is damaged) and
// says what it found in the RecoveryReport.
func Open(path string, opts Options) (*Store, RecoveryReport, error) {
	start := time.Now()
	opts = opts.withDefaults()
	var rep RecoveryReport
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rep.Created = true
	case err != nil:
		return nil, rep, fmt.Errorf("store: open %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, rep, fmt.Errorf("store: open %s: %w: not a regular file", path, ErrForeign)
	case fi.Size() == 0:
		rep.Created = true
	default:
		if err := checkIdentity(path, opts.LockTimeout); err != nil {
			return nil, rep, err
		}
	}
	db, err := openRW(path, opts.LockTimeout)
	if err != nil {
		return nil, rep, boltOpenError(path, err)
	}
	s := &Store{db: db, path: path, opts: opts, clock: opts.Clock}
	if err := s.initBuckets(); err != nil {
		_ = db.Close()
		return nil, rep, err
	}
	if err := s.recover(&rep); err != nil {
		_ = db.Close()
		return nil, rep, err
	}
	if fi, err := os.Stat(path); err == nil {
		rep.FileBytes = fi.Size()
	}
	rep.Took = time.Since(start)
	opts.Logger.Info("store opened", "path", path, "created", rep.Created,
		"queued", rep.Queued, "in_flight", rep.InFlight,
		"bytes", rep.QueuedBytes+rep.InFlightBytes, "tombstones", rep.Tombstones,
		"file_bytes", rep.FileBytes, "problems", len(rep.Problems), "took", rep.Took)
	for _, p := range rep.Problems {
		opts.Logger.Warn("store recovery", "path", path, "problem", p)
	}
	s.putCh = make(chan *putReq, opts.MaxBatchItems)
	s.doneCh = make(chan struct{})
	go s.commitLoop()
	return s, rep, nil
}

// openRW opens the checked (or new) file for writing. bbolt walks the
// whole tree here to rebuild the freelist; a fault or panic while doing so
// is reported as corruption.
func openRW(path string, timeout time.Duration) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errBoltPanic, r)
		}
	}()
	return bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        timeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
}

// errBoltPanic marks a panic or fault inside bbolt while opening.
var errBoltPanic = errors.New("bbolt failed reading the file")

// boltOpenError classifies an error of bolt.Open: a lock held elsewhere,
// a file bbolt finds invalid, or anything else (permissions, I/O).
func boltOpenError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("store: open %s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, errBoltPanic):
		return fmt.Errorf("store: open %s: %w: %w", path, ErrCorrupt, err)
	default:
		return fmt.Errorf("store: open %s: %w", path, err)
	}
}

// checkIdentity proves an existing file safe for bbolt (checkFile) and
// then opens it read-only to check it is a Skysieve store, so a foreign or
// damaged file is never written to.
func checkIdentity(path string, timeout time.Duration) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	if err := lockShared(f, timeout); err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := checkFile(f, fi.Size()); err != nil {
		return fmt.Errorf("store: open %s: %w: %w", path, ErrCorrupt, err)
	}
	// Release our lock before bbolt takes its own.
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	// checkFile has proved the structure; this is the second line of
	// defence: a fault in the mapped file becomes a recoverable panic.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: open %s: %w: %v", path, ErrCorrupt, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return boltOpenError(path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktFormat)
		if b == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if empty {
				// A bbolt file with no buckets holds nothing to lose: a
				// store whose creation was interrupted.
				return nil
			}
			return fmt.Errorf("store: open %s: %w: no %q bucket", path, ErrForeign, bktFormat)
		}
		if got := b.Get(keyFormat); string(got) != formatName {
			return fmt.Errorf("store: open %s: %w: format %q, want %q", path, ErrForeign, got, formatName)
		}
		return nil
	})
}

// lockShared takes a shared flock on f, as bbolt's readers do, waiting up
// to timeout for a writer to let go.
func lockShared(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return fmt.Errorf("lock: %w", err)
		case time.Now().After(deadline):
			return ErrLocked
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Store) initBuckets() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bktFormat); b != nil && string(b.Get(keyFormat)) == formatName {
			return nil
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bktFormat).Put(keyFormat, []byte(formatName))
	})
	if err != nil {
		return fmt.Errorf("store: initialise %s: %w", s.path, err)
	}
	return nil
}

// Close stops accepting Puts, waits for queued Puts to commit, and closes
// the file. Calling Close twice returns ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	s.closed = true
	close(s.putCh)
	s.closeMu.Unlock()
	<-s.doneCh
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// update runs fn in one write transaction with a copy of the counts; the
// copy replaces the live counts only if the transaction commits.
func (s *Store) update(fn func(w *writer) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	c := s.counts.clone()
	s.mu.Unlock()
	var w *writer
	err := s.db.Update(func(tx *bolt.Tx) error {
		w = newWriter(tx, c, s.opts, s.clock.Now())
		return fn(w)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.counts = c
	s.mu.Unlock()
	for _, e := range w.evicted {
		s.opts.Logger.Warn("store: item evicted", "id", e.id, "class", e.class, "priority_class", e.priorityClass,
			"bytes", e.sizeBytes, "reason", fmt.Sprintf("hard limit %d bytes: making room for %s (priority class %d)", s.opts.HardLimitBytes, e.forID, e.forClass))
	}
	return nil
}
