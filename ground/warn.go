package ground

import (
	"errors"
	"sync"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
)

// warnEvery is the least time, on the service clock, between two WARN
// lines of one kind for one station: a misconfigured or attacked link
// rejects thousands of frames a minute, and one line with a count says it
// as well as a flood.
const warnEvery = time.Minute

// Kinds of rejected frames that earn a WARN line.
const (
	warnLength = "length"
	warnAuth   = "auth"
	warnReplay = "replay"
)

// warnLimiter lets one line per (station, kind) through every warnEvery
// and counts those it holds back. Stations come from the configuration,
// so its map stays small. It is safe for concurrent use.
type warnLimiter struct {
	mu sync.Mutex
	m  map[[2]string]*warnState
}

type warnState struct {
	last time.Time
	held uint64
}

// allow reports whether a line may go out at now, and how many were held
// back since the last one.
func (l *warnLimiter) allow(now time.Time, station, kind string) (bool, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[[2]string]*warnState{}
	}
	k := [2]string{station, kind}
	st := l.m[k]
	if st != nil && now.Sub(st.last) < warnEvery {
		st.held++
		return false, 0
	}
	if st == nil {
		st = &warnState{}
		l.m[k] = st
	}
	held := st.held
	st.last, st.held = now, 0
	return true, held
}

// warnRejected logs, rate-limited, a frame rejected for a reason an
// operator must hear about: a frame length the link does not use (the two
// ends disagree on link.frame_bytes), a failed MAC (wrong keys, or
// forgery) and a replay.
func (s *Service) warnRejected(station, reason string, err error) {
	var kind, msg string
	switch {
	case errors.Is(err, link.ErrFrameLength):
		kind, msg = warnLength, "frames of the wrong length rejected: check link.frame_bytes at both ends"
	case reason == ResultAuth:
		kind, msg = warnAuth, "frames failing authentication rejected: wrong key file or SPI, or forged frames"
	case reason == ResultReplay:
		kind, msg = warnReplay, "replayed or stale frames rejected"
	default:
		return
	}
	if ok, held := s.warns.allow(s.clk.Now(), station, kind); ok {
		s.log.Warn(msg, "station", station, "err", err, "suppressed", held)
	}
}
