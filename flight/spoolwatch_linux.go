package flight

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync"
	"syscall"
)

// renameWatch follows the spool directory with inotify to learn which
// files were renamed in (the recommended hand-off: written elsewhere or
// under a temporary name, then renamed), so intake takes them without
// waiting for SpoolSettle. A file written after its rename, or one whose
// rename was missed (an event queue overflow, a file there before flight
// started), waits for SpoolSettle as any other.
type renameWatch struct {
	f    *os.File
	wake chan struct{}
	mu   sync.Mutex
	// done holds the names renamed in and not written since.
	done map[string]bool
}

// inotifyEventBytes is the fixed part of a struct inotify_event.
const inotifyEventBytes = 16

// newRenameWatch starts watching dir.
func newRenameWatch(dir string) (*renameWatch, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	mask := uint32(syscall.IN_MOVED_TO | syscall.IN_MOVED_FROM | syscall.IN_CREATE | syscall.IN_MODIFY | syscall.IN_DELETE)
	if _, err := syscall.InotifyAddWatch(fd, dir, mask); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("inotify_add_watch", err)
	}
	// A non-blocking descriptor goes through the runtime poller, so Close
	// ends a pending Read.
	w := &renameWatch{f: os.NewFile(uintptr(fd), "inotify:"+dir), wake: make(chan struct{}, 1), done: map[string]bool{}}
	go w.read()
	return w, nil
}

// read applies events until the watch is closed.
func (w *renameWatch) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		renamed := false
		w.mu.Lock()
		for off := 0; off+inotifyEventBytes <= n; {
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			end := min(off+inotifyEventBytes+nameLen, n)
			name := string(bytes.TrimRight(buf[off+inotifyEventBytes:end], "\x00"))
			off = end
			switch {
			case name == "":
			case mask&syscall.IN_MOVED_TO != 0:
				w.done[name], renamed = true, true
			default: // written, created, deleted or moved away
				delete(w.done, name)
			}
		}
		w.mu.Unlock()
		if renamed {
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

// renamed reports whether name was renamed into the spool and not written
// since.
func (w *renameWatch) renamed(name string) bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done[name]
}

// woken receives a value after each batch of events with a rename in it.
func (w *renameWatch) woken() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.wake
}

// close stops the watch.
func (w *renameWatch) close() {
	if w != nil {
		_ = w.f.Close()
	}
}
