package ground

// Fault points of the processing loop, where a crash test stops or kills
// the process: inside a batch's transaction after everything is written
// and before it commits, and right after it commits.
const (
	faultBeforeCommit = "before-commit"
	faultAfterCommit  = "after-commit"
)

// faultHook is nil in a real process. A test sets it before New to be
// called at each fault point with the number of items the batch completed;
// an error it returns fails the batch there (before the commit: the
// transaction rolls back).
var faultHook func(point string, completed int) error

func fault(point string, completed int) error {
	if faultHook == nil {
		return nil
	}
	return faultHook(point, completed)
}
