package flight

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/flight/store"
)

// Meta keys of the flight state kept in the store.
const (
	metaSeqReserved = "link/seq_reserved" // security sequence high-water mark
	metaPassCount   = "radio/passes"      // passes started so far
	// metaUplinkTop is the highest uplink security sequence number of a
	// report whose MAC verified: written only after verification, so a
	// forged frame cannot raise it, and restored at start, so a report
	// recorded before a restart is rejected as a replay after it.
	metaUplinkTop = "link/uplink_replay_top"
)

// seqReserve is how many security sequence numbers are reserved (persisted
// ahead) at a time: one fsync per million frames, and a restart skips at
// most that many numbers of a 64-bit space.
const seqReserve = 1 << 20

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
		log.Warn("--insecure-dev-keys: running on the public development link keys; anyone can forge frames and ACKs", "keys", l.Source)
	}
	return l.Keys, log, nil
}

// setupLink builds the frame sender, starting its security sequence at the
// persisted high-water mark and reserving the next block before any frame
// uses it, so no sequence number (GCM IV) is ever used twice, whatever the
// restarts.
func (s *Service) setupLink() error {
	if err := s.cfg.Link.Validate(); err != nil {
		return fmt.Errorf("%w: link: %w", ErrConfig, err)
	}
	var start uint64
	switch b, err := s.store.Meta(metaSeqReserved); {
	case err == nil && len(b) == 8:
		start = binary.BigEndian.Uint64(b)
	case err == nil:
		return fmt.Errorf("flight: store meta %s holds %d bytes, want 8", metaSeqReserved, len(b))
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("flight: read %s: %w", metaSeqReserved, err)
	}
	if err := s.reserveSeq(start); err != nil {
		return err
	}
	var err error
	s.sender, err = link.NewSender(s.cfg.Link, s.keys, start)
	if err != nil {
		return fmt.Errorf("%w: link: %w", ErrConfig, err)
	}
	switch b, err := s.store.Meta(metaUplinkTop); {
	case err == nil && len(b) == 8:
		s.uplinkTop = binary.BigEndian.Uint64(b)
		s.sender.RestoreUplinkReplay(s.uplinkTop)
	case err == nil:
		return fmt.Errorf("flight: store meta %s holds %d bytes, want 8", metaUplinkTop, len(b))
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("flight: read %s: %w", metaUplinkTop, err)
	}
	return nil
}

// uplinkPersistEvery is the most service time between two writes of the
// uplink anti-replay top while reports keep moving it. One write (a
// store sync) per report would cost a sync every few seconds of every
// contact; this way a restart can re-accept, if an attacker recorded and
// replays them, only genuine reports of the last minute: their ACKs are
// true and their NAK counts at worst stale.
const uplinkPersistEvery = time.Minute

// persistUplinkTop records the uplink anti-replay window's top after a
// verified report moved it: at once the first time, then at most every
// uplinkPersistEvery, or whenever force is set (the loop ends). It runs on
// the uplink loop before the report is acted on.
func (s *Service) persistUplinkTop(force bool) error {
	top := s.sender.UplinkReplayTop()
	if top <= s.uplinkTop {
		return nil
	}
	now := s.clock.Now()
	if !force && !s.uplinkSavedAt.IsZero() && now.Sub(s.uplinkSavedAt) < uplinkPersistEvery {
		return nil
	}
	if err := s.store.SetMeta(metaUplinkTop, binary.BigEndian.AppendUint64(nil, top)); err != nil {
		return fmt.Errorf("flight: persist uplink anti-replay state: %w", err)
	}
	s.uplinkTop, s.uplinkSavedAt = top, now
	return nil
}

// reserveSeq persists from+seqReserve as the high-water mark.
func (s *Service) reserveSeq(from uint64) error {
	top := from + seqReserve
	if err := s.store.SetMeta(metaSeqReserved, binary.BigEndian.AppendUint64(nil, top)); err != nil {
		return fmt.Errorf("flight: persist security sequence mark: %w", err)
	}
	s.seqReserved = top
	return nil
}

// checkSeq moves the reservation ahead before the sender reaches it.
func (s *Service) checkSeq() error {
	if next := s.sender.Seq(); next+seqReserve/4 >= s.seqReserved {
		return s.reserveSeq(next)
	}
	return nil
}

// nextPass returns a new pass name, persisted so names never repeat.
func (s *Service) nextPass() (string, error) {
	var n uint64
	if b, err := s.store.Meta(metaPassCount); err == nil && len(b) == 8 {
		n = binary.BigEndian.Uint64(b)
	}
	n++
	if err := s.store.SetMeta(metaPassCount, binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("p%d", n), nil
}
