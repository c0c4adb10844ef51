package flight

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
)

// spoolIntake is the spool's state, owned by the intake goroutine: what
// each file looked like when last seen, which scenes back-pressure
// deferred, and the journal of attempts.
type spoolIntake struct {
	s       *Service
	files   map[string]*spoolFile
	journal *intakeJournal
	// While the store fails to write, intake waits until retryAt, backing
	// off from SpoolPoll to maxStoreBackoff.
	retryAt time.Time
	backoff time.Duration
	// bands is the model's band contract, checked from each file's header.
	bands []string
	// watch reports files renamed in (nil where inotify is unavailable).
	watch *renameWatch
}

// spoolFile is one finished spool file as intake last saw it.
type spoolFile struct {
	sizeBytes int64
	mtime     time.Time
	// since is the clock time the file was first seen at this size and
	// mtime; renamed marks a file that appeared complete under its name.
	since   time.Time
	renamed bool
	// deferred: triaged, and the store refused some detections
	// (back-pressure); refusedClass is the most urgent refused class.
	deferred     bool
	refusedClass int
	// stuck: quarantine failed; the file is left alone until it changes or
	// flight restarts.
	stuck bool
}

// maxStoreBackoff bounds the wait between store retries while it fails.
const maxStoreBackoff = time.Minute

// intakeLoop scans the spool until ctx ends.
func (s *Service) intakeLoop(ctx context.Context) error {
	in := newSpoolIntake(s)
	defer in.close()
	for {
		in.scan(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.cfg.SpoolPoll):
		case <-in.watch.woken():
		}
	}
}

// newSpoolIntake loads the journal and settles what it says was in
// progress when flight last stopped.
func newSpoolIntake(s *Service) *spoolIntake {
	in := &spoolIntake{s: s, files: map[string]*spoolFile{}}
	if m, ok := s.triager.(interface{ Model() *triage.Model }); ok && m.Model() != nil {
		in.bands = m.Model().Contract.Bands
	}
	in.journal = loadJournal(s, filepath.Join(s.cfg.DataDir, journalName))
	in.recoverJournal()
	w, err := newRenameWatch(s.cfg.SpoolDir)
	if err != nil {
		s.log.Warn("spool: renames not watched; every file waits spool_settle", "dir", s.cfg.SpoolDir, "err", err)
	}
	in.watch = w
	return in
}

// close stops the rename watch.
func (in *spoolIntake) close() { in.watch.close() }

// spoolName reports whether a spool entry is a finished scene: the camera
// writes under a temporary or hidden name and renames when done.
func spoolName(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".tmp") && !strings.HasSuffix(name, ".part")
}

// recoverJournal handles what the journal says was in progress when
// flight last stopped: a scene read or triaged alone is charged an
// attempt, the scenes of a group become suspects (triaged alone from now
// on), and a scene out of attempts is quarantined before it can crash
// flight again.
func (in *spoolIntake) recoverJournal() {
	j := in.journal
	if len(j.InProgress) == 0 {
		return
	}
	for _, name := range j.InProgress {
		if j.Solo {
			j.Attempts[name]++
		} else {
			j.Suspect[name] = true
		}
		in.s.log.Warn("spool: flight stopped while this scene was read or triaged", "file", name,
			"alone", j.Solo, "attempts", j.Attempts[name])
	}
	j.InProgress, j.Solo = nil, false
	for name, n := range j.Attempts {
		if n >= in.s.cfg.MaxSceneAttempts {
			path := filepath.Join(in.s.cfg.SpoolDir, name)
			if _, err := os.Lstat(path); err == nil {
				in.quarantine(name, fmt.Errorf("flight: scene %s: flight stopped or crashed %d times while reading or triaging it (max_scene_attempts %d)", name, n, in.s.cfg.MaxSceneAttempts))
			}
		}
	}
	if err := j.save(); err != nil {
		in.s.log.Error("spool: cannot write the intake journal", "err", err)
	}
}

// scan takes the spool's settled scenes. Scenes never triaged come first
// (each could hold an urgent detection the store still admits), then scenes
// back-pressure deferred, most urgent refused class first; while intake is
// paused for back-pressure, deferred scenes wait until the store is below
// SpoolResumeBytes. Scenes go in groups of up to SpoolBacklog, and of at
// most SpoolMaxSceneBytes together; a scene with a failed attempt or a
// crash against it goes alone.
func (in *spoolIntake) scan(ctx context.Context) {
	s := in.s
	now := s.clock.Now()
	if !in.retryAt.IsZero() && now.Before(in.retryAt) {
		return // the store is failing: wait for the retry time
	}
	entries, err := os.ReadDir(s.cfg.SpoolDir)
	if err != nil {
		s.log.Error("spool unreadable", "dir", s.cfg.SpoolDir, "err", err)
		return
	}
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() || !spoolName(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		present[e.Name()] = true
		f := in.files[e.Name()]
		if f == nil || f.sizeBytes != fi.Size() || !f.mtime.Equal(fi.ModTime()) {
			f = &spoolFile{sizeBytes: fi.Size(), mtime: fi.ModTime(), since: now}
			in.files[e.Name()] = f
		}
		if !f.renamed && in.watch.renamed(e.Name()) {
			f.renamed = true
		}
	}
	for name := range in.files {
		if !present[name] {
			delete(in.files, name)
		}
	}
	for name := range in.journal.Attempts {
		if !present[name] {
			delete(in.journal.Attempts, name)
		}
	}
	for name := range in.journal.Suspect {
		if !present[name] {
			delete(in.journal.Suspect, name)
		}
	}
	if s.intakePaused.Load() {
		st := s.store.Stats()
		if resume := in.resumeBytes(); st.StoredBytes < resume {
			in.setPaused(false, st.StoredBytes, resume)
		}
	}
	queue := in.queue(now, s.intakePaused.Load())
	for len(queue) > 0 && ctx.Err() == nil {
		n := 1
		if !in.alone(queue[0]) {
			for n < len(queue) && n < s.cfg.SpoolBacklog && !in.alone(queue[n]) {
				n++
			}
		}
		took, ok := in.intakeGroup(ctx, queue[:n])
		if !ok {
			return
		}
		queue = queue[took:]
	}
}

// queue is the order in which settled spool files are taken: scenes never
// triaged by name, then, unless paused for back-pressure, deferred scenes
// by the most urgent class the store refused, then name. Unsettled and
// stuck files wait.
func (in *spoolIntake) queue(now time.Time, paused bool) []string {
	var fresh, deferred []string
	for name, f := range in.files {
		switch {
		case f.stuck, !f.renamed && now.Sub(f.since) < in.s.cfg.SpoolSettle:
		case !f.deferred:
			fresh = append(fresh, name)
		case !paused:
			deferred = append(deferred, name)
		}
	}
	slices.Sort(fresh)
	slices.SortFunc(deferred, func(a, b string) int {
		return cmp.Or(cmp.Compare(in.files[a].refusedClass, in.files[b].refusedClass), strings.Compare(a, b))
	})
	return append(fresh, deferred...)
}

// alone reports whether a scene must be read and triaged on its own: it
// failed before, or flight stopped while it was in a group.
func (in *spoolIntake) alone(name string) bool {
	return in.journal.Attempts[name] > 0 || in.journal.Suspect[name]
}

// resumeBytes is the store level below which deferred scenes go again.
func (in *spoolIntake) resumeBytes() int64 {
	if r := in.s.cfg.SpoolResumeBytes; r > 0 {
		return r
	}
	return in.s.store.Stats().HighWaterBytes / 10 * 9
}

// spooled is one spool scene read and waiting for triage.
type spooled struct {
	name, path string
	sc         *scene.Scene
}

// intakeGroup reads names in order, as many as fit SpoolMaxSceneBytes
// together (at least one), triages them together and stores each one's
// detections. It returns how many names it dealt with, and false when the
// scan must stop (the store failing, or ctx ended).
func (in *spoolIntake) intakeGroup(ctx context.Context, names []string) (int, bool) {
	s := in.s
	j := in.journal
	j.InProgress, j.Solo = names, len(names) == 1
	if err := j.save(); err != nil {
		in.storeFailed(fmt.Errorf("flight: intake journal: %w", err))
		return 0, false
	}
	defer func() {
		j.InProgress, j.Solo = nil, false
		if err := j.save(); err != nil {
			s.log.Error("spool: cannot write the intake journal", "err", err)
		}
	}()
	var group []spooled
	var usedBytes int64
	took := 0
	for _, name := range names {
		path := filepath.Join(s.cfg.SpoolDir, name)
		opts := []scene.Option{scene.WithMaxBytes(s.cfg.SpoolMaxSceneBytes - usedBytes)}
		if in.bands != nil {
			opts = append(opts, scene.WithRequiredBands(in.bands...))
		}
		sc, err := scene.Open(path, opts...)
		if errors.Is(err, scene.ErrTooLarge) && len(group) > 0 {
			break // not with the others: it goes first in the next group
		}
		took++
		if err != nil {
			if in.changed(name) {
				s.log.Info("spool: scene changed while it was read; waiting for it to settle", "file", path)
				continue
			}
			if errors.Is(err, scene.ErrTooLarge) {
				err = fmt.Errorf("%w (flight key spool_max_scene_bytes = %d)", err, s.cfg.SpoolMaxSceneBytes)
			}
			in.quarantine(name, err)
			continue
		}
		usedBytes += int64(sc.Width) * int64(sc.Height) * int64(len(sc.Bands)) * 4
		group = append(group, spooled{name: name, path: path, sc: sc})
	}
	if len(group) == 0 {
		return took, true
	}
	if usedBytes >= s.cfg.SpoolMaxSceneBytes/4 {
		// The planes of a large group are garbage once it is stored: collect
		// them now so the next group reuses their memory, instead of the
		// heap growing to twice the budget before the collector runs.
		defer runtime.GC()
	}
	scs := make([]*scene.Scene, len(group))
	for i, g := range group {
		scs[i] = g.sc
	}
	out := s.triageScenes(ctx, scs)
	for i, g := range group {
		err := out[i].Err
		refusedClass := 0
		if err == nil {
			refusedClass, err = s.storeDetections(ctx, g.sc.ID, out[i].Result.Detections)
		}
		switch {
		case err == nil:
			in.storeRecovered()
			s.stats.scenesIn.Add(1)
			if err := os.Remove(g.path); err != nil {
				s.log.Error("spool: cannot remove stored scene", "file", g.path, "err", err)
			}
			in.forget(g.name)
		case errors.Is(err, ErrBackPressure):
			in.storeRecovered()
			if f := in.files[g.name]; f != nil {
				f.deferred, f.refusedClass = true, refusedClass
			}
			s.stats.scenesDeferred.Add(1)
			st := s.store.Stats()
			s.log.Info("spool: scene deferred until the store drains", "file", g.path, "reason", err.Error(),
				"refused_priority_class", refusedClass)
			in.setPaused(true, st.StoredBytes, in.resumeBytes())
		case ctx.Err() != nil:
			return took, false
		case errors.Is(err, errStoreFailed):
			in.storeFailed(err)
			return took, false
		case errors.Is(err, triage.ErrScene), errors.Is(err, triage.ErrBands):
			in.quarantine(g.name, err)
		default:
			j.Attempts[g.name]++
			s.log.Warn("spool: scene failed", "file", g.path, "attempt", j.Attempts[g.name], "err", err)
			if j.Attempts[g.name] >= s.cfg.MaxSceneAttempts {
				in.quarantine(g.name, err)
			}
		}
	}
	return took, true
}

// changed reports whether a file's size or mtime differ from what the scan
// saw (a writer is still at it); its settle time then starts again.
func (in *spoolIntake) changed(name string) bool {
	f := in.files[name]
	fi, err := os.Lstat(filepath.Join(in.s.cfg.SpoolDir, name))
	if f == nil || err != nil || (fi.Size() == f.sizeBytes && fi.ModTime().Equal(f.mtime)) {
		return false
	}
	in.files[name] = &spoolFile{sizeBytes: fi.Size(), mtime: fi.ModTime(), since: in.s.clock.Now()}
	return true
}

// forget drops a scene that left the spool from the journal.
func (in *spoolIntake) forget(name string) {
	delete(in.journal.Attempts, name)
	delete(in.journal.Suspect, name)
}

// setPaused records a back-pressure pause or resumption, logging changes
// only.
func (in *spoolIntake) setPaused(paused bool, storedBytes, resumeBytes int64) {
	s := in.s
	if s.intakePaused.Swap(paused) == paused {
		return
	}
	st := s.store.Stats()
	if paused {
		s.log.Warn("intake paused: store above its high watermark; deferred scenes wait until it drains below spool_resume_bytes",
			"stored_bytes", storedBytes, "high_water_bytes", st.HighWaterBytes, "resume_bytes", resumeBytes)
		return
	}
	s.log.Info("intake resumed: store below spool_resume_bytes", "stored_bytes", storedBytes, "resume_bytes", resumeBytes)
}

// storeFailed pauses intake after a failed store write: the scenes stay in
// the spool, and intake tries again after a back-off.
func (in *spoolIntake) storeFailed(err error) {
	s := in.s
	s.stats.storeErrors.Add(1)
	in.backoff = min(max(2*in.backoff, s.cfg.SpoolPoll), maxStoreBackoff)
	in.retryAt = s.clock.Now().Add(in.backoff)
	if !s.intakeStoreFailing.Swap(true) {
		s.log.Error("intake paused: the store cannot write; scenes stay in the spool", "err", err, "retry_in", in.backoff)
	}
}

// storeRecovered ends a store-failure pause.
func (in *spoolIntake) storeRecovered() {
	in.retryAt, in.backoff = time.Time{}, 0
	if in.s.intakeStoreFailing.Swap(false) {
		in.s.log.Info("intake resumed: the store writes again")
	}
}

// quarantine moves a scene out of the spool into QuarantineDir, with a
// .reason file beside it. It never deletes a scene: across filesystems it
// copies, syncs and only then removes, and if the move fails the scene
// stays in the spool, skipped until it changes or flight restarts.
func (in *spoolIntake) quarantine(name string, cause error) {
	s := in.s
	path := filepath.Join(s.cfg.SpoolDir, name)
	in.forget(name)
	dst, err := s.moveToQuarantine(path)
	if err != nil {
		if f := in.files[name]; f != nil {
			f.stuck = true
		}
		s.log.Error("quarantine failed; scene left in the spool and skipped until it changes or flight restarts",
			"file", path, "reason", cause.Error(), "err", err)
		return
	}
	s.stats.scenesQuarantined.Add(1)
	if err := writeFileDurably(dst+".reason", []byte(cause.Error()+"\n")); err != nil {
		s.log.Error("quarantine: cannot write the reason file", "file", dst, "err", err)
	}
	s.log.Warn("scene quarantined", "file", path, "to", dst, "reason", cause.Error())
}
