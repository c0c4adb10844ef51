package channel

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"
)

// MaxDatagramBytes bounds a relayed datagram.
const MaxDatagramBytes = 64 << 10

// Relay is a Link between real sockets on 127.0.0.1, on cfg.Clock, for
// services in other processes (package sim/procs): flight sends frames to
// FlightAddr, ground's receiver for a station gets them from a socket of
// that station, and what ground sends back to that socket goes up to
// flight. When the goroutines that read the sockets run is up to the
// operating system, so a relay on the wall clock is not reproducible
// from run to run; the in-process simulator drives a Link itself.
type Relay struct {
	cfg      Config
	link     *Link
	flight   *net.UDPConn
	stations map[string]*net.UDPConn
	wake     chan struct{}

	// What only the sockets can fail: a report with no flight address to
	// go to yet, a failed write up or down.
	mu                               sync.Mutex
	peer                             *net.UDPAddr
	noPeer, upFailed, groundFailures int64
}

// NewRelay opens the flight-side socket and one socket per station that
// the satellite passes over.
func NewRelay(cfg Config) (*Relay, error) {
	if cfg.Clock == nil || cfg.Ground == nil {
		return nil, fmt.Errorf("%w: Clock and Ground are required", ErrConfig)
	}
	link, err := NewLink(cfg)
	if err != nil {
		return nil, err
	}
	r := &Relay{cfg: cfg, link: link, stations: map[string]*net.UDPConn{}, wake: make(chan struct{}, 1)}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	if r.flight, err = net.ListenUDP("udp", lo); err != nil {
		return nil, fmt.Errorf("channel: listen for flight: %w", err)
	}
	for _, p := range link.plan {
		if _, ok := r.stations[p.Station]; ok {
			continue
		}
		c, err := net.ListenUDP("udp", lo)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("channel: listen for station %s: %w", p.Station, err)
		}
		r.stations[p.Station] = c
	}
	return r, nil
}

// FlightAddr is where flight sends its downlink frames (and from where it
// receives uplink reports).
func (r *Relay) FlightAddr() *net.UDPAddr { return r.flight.LocalAddr().(*net.UDPAddr) }

// Stats returns the counters so far.
func (r *Relay) Stats() Stats {
	s := r.link.Stats()
	r.mu.Lock()
	defer r.mu.Unlock()
	s.ReportsIn += r.noPeer
	s.ReportsLost += r.noPeer + r.upFailed
	s.ReportsUp -= r.upFailed
	s.Delivered -= r.groundFailures
	s.GroundErrors = r.groundFailures
	return s
}

// Pass returns the frame counts of the pass of station starting at aos.
func (r *Relay) Pass(station string, aos time.Time) PassFrames { return r.link.Pass(station, aos) }

// Pending is the number of datagrams scheduled but not yet delivered.
func (r *Relay) Pending() int { return r.link.Pending() }

// Close closes the sockets; Run returns.
func (r *Relay) Close() {
	if r.flight != nil {
		r.flight.Close()
	}
	for _, c := range r.stations {
		c.Close()
	}
}

// Run relays until ctx is done, then closes the sockets.
func (r *Relay) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.readFlight() }()
	names := make([]string, 0, len(r.stations))
	for n := range r.stations {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		wg.Add(1)
		go func() { defer wg.Done(); r.readGround(n, r.stations[n]) }()
	}
	r.schedule(ctx)
	r.Close()
	wg.Wait()
	return nil
}

func (r *Relay) nudge() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Relay) readFlight() {
	buf := make([]byte, MaxDatagramBytes)
	for {
		n, from, err := r.flight.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.peer = from
		r.mu.Unlock()
		r.link.Downlink(r.cfg.Clock.Now(), buf[:n])
		r.nudge()
	}
}

func (r *Relay) readGround(station string, c *net.UDPConn) {
	buf := make([]byte, MaxDatagramBytes)
	for {
		n, _, err := c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		known := r.peer != nil
		if !known {
			r.noPeer++
		}
		r.mu.Unlock()
		if known {
			r.link.Uplink(r.cfg.Clock.Now(), station, buf[:n])
			r.nudge()
		}
	}
}

// schedule delivers due datagrams in time order until ctx is done. It
// keeps one clock timer for the earliest delivery and replaces it only
// when an earlier one arrives, so a virtual clock is not flooded with
// sleepers.
func (r *Relay) schedule(ctx context.Context) {
	var wait <-chan time.Time
	var waitAt time.Time
	for {
		now := r.cfg.Clock.Now()
		for _, d := range r.link.Due(now) {
			r.deliver(d)
		}
		if head, ok := r.link.Next(); ok && (wait == nil || head.Before(waitAt)) {
			wait, waitAt = r.cfg.Clock.After(head.Sub(now)), head
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-wait:
			wait = nil
		}
	}
}

// deliver writes one datagram to its socket.
func (r *Relay) deliver(d Delivery) {
	if d.Up {
		r.mu.Lock()
		peer := r.peer
		r.mu.Unlock()
		if _, err := r.flight.WriteToUDP(d.Data, peer); err != nil {
			r.mu.Lock()
			r.upFailed++
			r.mu.Unlock()
		}
		return
	}
	addr, err := r.cfg.Ground(d.Station)
	if err == nil {
		_, err = r.stations[d.Station].WriteToUDP(d.Data, addr)
	}
	if err != nil {
		r.mu.Lock()
		r.groundFailures++
		r.mu.Unlock()
	}
}
