//go:build !linux

package flight

import "errors"

// renameWatch needs Linux's inotify; elsewhere every spool file waits for
// SpoolSettle.
type renameWatch struct{}

func newRenameWatch(string) (*renameWatch, error) {
	return nil, errors.New("the spool rename watch needs Linux inotify")
}

func (*renameWatch) renamed(string) bool    { return false }
func (*renameWatch) woken() <-chan struct{} { return nil }
func (*renameWatch) close()                 {}
