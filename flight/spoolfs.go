package flight

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// journalName is the intake journal's file in DataDir.
const journalName = "intake.journal"

// intakeJournal is what intake must remember across a crash: the scenes
// being read or triaged right now (written, synced, before the first byte
// of them is read), and the attempts and suspicions against each scene.
// A scene that crashes flight (a decoder bug, the kernel's OOM killer) is
// thus charged for it at the next start, and quarantined once out of
// attempts instead of crashing flight forever.
type intakeJournal struct {
	path string
	// InProgress are the spool names of the group in hand; Solo is true
	// when the group is one scene, so a crash is that scene's doing.
	InProgress []string `json:"in_progress,omitempty"`
	Solo       bool     `json:"solo,omitempty"`
	// Attempts counts failed attempts (errors and crashes) per scene.
	Attempts map[string]int `json:"attempts,omitempty"`
	// Suspect: scenes of a group in hand at a crash; they go alone next.
	Suspect map[string]bool `json:"suspect,omitempty"`
}

// loadJournal reads the journal at path; a missing one is empty, and an
// unreadable one is logged and started afresh (it holds no scene data).
func loadJournal(s *Service, path string) *intakeJournal {
	j := &intakeJournal{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		s.log.Error("spool: intake journal unreadable; starting afresh", "file", path, "err", err)
	default:
		if err := json.Unmarshal(b, j); err != nil {
			s.log.Error("spool: intake journal corrupt; starting afresh", "file", path, "err", err)
			j = &intakeJournal{}
		}
	}
	j.path = path
	if j.Attempts == nil {
		j.Attempts = map[string]int{}
	}
	if j.Suspect == nil {
		j.Suspect = map[string]bool{}
	}
	return j
}

// save writes the journal durably: a temporary file, synced, renamed over
// the old one, and the directory synced.
func (j *intakeJournal) save() error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return writeFileDurably(j.path, b)
}

// writeFileDurably replaces path with data: temporary file, fsync, rename,
// directory fsync.
func writeFileDurably(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a directory's entries (a rename, a new file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// moveToQuarantine moves a spool file into QuarantineDir under a name no
// earlier quarantined file has, and returns that path. A rename that
// fails with EXDEV (the quarantine on another filesystem) becomes a copy,
// synced, then the removal of the original: the scene exists somewhere at
// every moment. On error the original is still in the spool.
func (s *Service) moveToQuarantine(path string) (string, error) {
	dir := s.cfg.QuarantineDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst, err := freeName(dir, filepath.Base(path))
	if err != nil {
		return "", err
	}
	err = s.rename(path, dst)
	if errors.Is(err, syscall.EXDEV) {
		if err := copyDurably(path, dst); err != nil {
			return "", fmt.Errorf("copy across filesystems: %w", err)
		}
		if err := os.Remove(path); err != nil {
			return "", fmt.Errorf("copied to %s, but cannot remove the original: %w", dst, err)
		}
	} else if err != nil {
		return "", err
	}
	if err := syncDir(dir); err != nil {
		return dst, nil // moved; the directory sync is best effort
	}
	_ = syncDir(filepath.Dir(path))
	return dst, nil
}

// freeName is dir/base, or dir/base.N for the first N not taken.
func freeName(dir, base string) (string, error) {
	for n := 0; n < 10000; n++ {
		name := base
		if n > 0 {
			name = fmt.Sprintf("%s.%d", base, n)
		}
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free name for %s in %s", base, dir)
}

// copyDurably copies src to dst through dst.part: written, fsynced,
// renamed, and the directory fsynced.
func copyDurably(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dst))
}
