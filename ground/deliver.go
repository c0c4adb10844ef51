package ground

import (
	"errors"
	"fmt"
	"time"
)

// Deliver handles frames that station received, in order, in one
// reassembly transaction, and returns once they are durable and counted
// (and their completions queued for the publisher): the receive path of a
// caller that owns the timeline, such as the simulator, which hands over
// each step's frames and waits for nothing else. Deliver must not be
// called before Run's Ready, concurrently with itself, or for a service
// whose own receivers get frames meanwhile.
func (s *Service) Deliver(station string, frames ...[]byte) error {
	if _, ok := s.links[station]; !ok {
		return fmt.Errorf("ground: deliver: no station %q", station)
	}
	if s.pub == nil {
		return errors.New("ground: deliver: the service is not running")
	}
	if len(frames) == 0 {
		return nil
	}
	batch := make([]rxFrame, len(frames))
	now := time.Now() // the symbol-to-ack latency is wall time, as from a socket
	for i, f := range frames {
		batch[i] = rxFrame{station: station, data: f, rxWall: now}
	}
	return s.processBatch(batch)
}

// SetUplink sends station's uplink reports through send instead of back
// to where the station's frames came from: the uplink of a caller that
// delivers frames with Deliver.
func (s *Service) SetUplink(station string, send func(tc []byte) error) error {
	l, ok := s.links[station]
	if !ok {
		return fmt.Errorf("ground: set uplink: no station %q", station)
	}
	l.set(&replyPath{send: send, dest: "in-process"})
	return nil
}
