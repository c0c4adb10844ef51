package channel

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/sim/passes"
	"github.com/skysieve/skysieve/sim/scenario"
)

// MaxDatagramBytes bounds a relayed datagram.
const MaxDatagramBytes = 64 << 10

// ErrConfig is wrapped by NewRelay's configuration errors.
var ErrConfig = errors.New("channel: invalid relay configuration")

// Config sets up a relay for one satellite.
type Config struct {
	Clock     clock.Clock
	Satellite string
	// Plan holds the passes; only Satellite's are used.
	Plan passes.Plan
	// Ground returns the ground receiver's address for a station. It is
	// asked at each delivery, so a restarted ground may move.
	Ground  func(station string) (*net.UDPAddr, error)
	Channel scenario.Channel
	Seed    uint64
	// MaxBacklog is the most airtime the radio buffers; frames beyond it
	// are dropped (default 2 s).
	MaxBacklog time.Duration
}

// Stats counts what the relay did.
type Stats struct {
	FramesIn       int64 // downlink frames received from flight
	OutsidePass    int64 // dropped: no pass in progress
	Overflow       int64 // dropped: radio backlog full
	Lost           int64 // dropped by the channel model
	CutAtLOS       int64 // in the air when the pass ended
	Corrupted      int64 // delivered with flipped bits
	Duplicated     int64
	Reordered      int64
	Delivered      int64 // frames written to ground, duplicates included
	BytesDelivered int64
	ReportsIn      int64 // uplink reports received from ground
	ReportsLost    int64
	ReportsUp      int64 // uplink reports delivered to flight
	GroundErrors   int64 // ground address unknown or write failed
}

type delivery struct {
	at      time.Time
	seq     uint64
	up      bool
	station string
	data    []byte
	los     time.Time
	aos     time.Time // the pass's, for its counts
}

type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if !d[i].at.Equal(d[j].at) {
		return d[i].at.Before(d[j].at)
	}
	return d[i].seq < d[j].seq
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// Relay carries frames between one satellite's flight service and ground.
type Relay struct {
	cfg      Config
	plan     passes.Plan
	flight   *net.UDPConn
	stations map[string]*net.UDPConn

	mu          sync.Mutex
	model       *Model
	peer        *net.UDPAddr
	radioFreeAt time.Time
	queue       deliveries
	seq         uint64
	stats       Stats
	perPass     map[PassKey]*PassFrames
	wake        chan struct{}
}

// PassKey names a pass: its station and AOS.
type PassKey struct {
	Station string
	AOS     time.Time
}

// PassFrames counts one pass's downlink frames: those the radio put on
// air, and those of them the ground never got intact (lost, corrupted or
// cut at LOS).
type PassFrames struct {
	OnAir, Lost int64
}

// LossRate is the share of frames on air the ground did not get intact.
func (f PassFrames) LossRate() float64 {
	if f.OnAir == 0 {
		return 0
	}
	return float64(f.Lost) / float64(f.OnAir)
}

// Pass returns the frame counts of the pass of station starting at aos.
func (r *Relay) Pass(station string, aos time.Time) PassFrames {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.perPass[PassKey{station, aos}]; f != nil {
		return *f
	}
	return PassFrames{}
}

func (r *Relay) passFrames(p *passes.Pass) *PassFrames {
	k := PassKey{p.Station, p.AOS}
	f := r.perPass[k]
	if f == nil {
		f = &PassFrames{}
		r.perPass[k] = f
	}
	return f
}

// NewRelay opens the flight-side socket and one socket per station that
// the satellite passes over.
func NewRelay(cfg Config) (*Relay, error) {
	if cfg.Clock == nil || cfg.Ground == nil || cfg.Satellite == "" {
		return nil, fmt.Errorf("%w: Clock, Ground and Satellite are required", ErrConfig)
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = 2 * time.Second
	}
	r := &Relay{cfg: cfg, stations: map[string]*net.UDPConn{}, model: NewModel(cfg.Channel, cfg.Seed), wake: make(chan struct{}, 1),
		perPass: map[PassKey]*PassFrames{}}
	for _, p := range cfg.Plan {
		if p.Satellite == cfg.Satellite {
			r.plan = append(r.plan, p)
		}
	}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	var err error
	if r.flight, err = net.ListenUDP("udp", lo); err != nil {
		return nil, fmt.Errorf("channel: listen for flight: %w", err)
	}
	for _, p := range r.plan {
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
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Pending is the number of datagrams scheduled but not yet delivered.
func (r *Relay) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

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

func (r *Relay) push(d delivery) {
	r.seq++
	d.seq = r.seq
	heap.Push(&r.queue, d)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// activePass returns the pass of the relay's satellite over station at t
// ("" means the best station in view).
func (r *Relay) activePass(station string, t time.Time) (*passes.Pass, bool) {
	if station == "" {
		return r.plan.Active(r.cfg.Satellite, t)
	}
	for i := range r.plan {
		p := &r.plan[i]
		if p.Station == station && p.Contains(t) {
			return p, true
		}
	}
	return nil, false
}

func (r *Relay) readFlight() {
	buf := make([]byte, MaxDatagramBytes)
	for {
		n, from, err := r.flight.ReadFromUDP(buf)
		if err != nil {
			return
		}
		frame := append([]byte(nil), buf[:n]...)
		r.mu.Lock()
		r.peer = from
		r.downlink(frame)
		r.mu.Unlock()
	}
}

// downlink handles one frame from flight; r.mu is held.
func (r *Relay) downlink(frame []byte) {
	r.stats.FramesIn++
	now := r.cfg.Clock.Now()
	p, ok := r.activePass("", now)
	if !ok {
		r.stats.OutsidePass++
		return
	}
	s, _ := p.At(now)
	if s.RateBitsPerSec <= 0 {
		r.stats.OutsidePass++
		return
	}
	start := r.radioFreeAt
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > r.cfg.MaxBacklog {
		r.stats.Overflow++
		return
	}
	air := time.Duration(float64(len(frame)*8) / s.RateBitsPerSec * float64(time.Second))
	r.radioFreeAt = start.Add(air)
	mask := p.Samples[0].ElevationDeg
	fate := r.model.Downlink(len(frame), s, mask)
	pf := r.passFrames(p)
	pf.OnAir++
	if fate.Lost {
		r.stats.Lost++
		pf.Lost++
		return
	}
	if len(fate.FlipBits) > 0 {
		r.stats.Corrupted++
		pf.Lost++
		frame = Apply(frame, fate)
	}
	if fate.Delay > 0 {
		r.stats.Reordered++
	}
	at := r.radioFreeAt.Add(r.cfg.Channel.PropagationDelay + fate.Delay)
	r.push(delivery{at: at, station: p.Station, data: frame, los: p.LOS, aos: p.AOS})
	if fate.Duplicate {
		r.stats.Duplicated++
		r.push(delivery{at: at.Add(air), station: p.Station, data: frame, los: p.LOS})
	}
}

func (r *Relay) readGround(station string, c *net.UDPConn) {
	buf := make([]byte, MaxDatagramBytes)
	for {
		n, _, err := c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		rep := append([]byte(nil), buf[:n]...)
		r.mu.Lock()
		r.stats.ReportsIn++
		now := r.cfg.Clock.Now()
		p, ok := r.activePass(station, now)
		switch {
		case !ok || r.peer == nil:
			r.stats.ReportsLost++
		case !r.model.Uplink():
			r.stats.ReportsLost++
		default:
			r.push(delivery{at: now.Add(r.cfg.Channel.PropagationDelay), up: true, station: station, data: rep, los: p.LOS})
		}
		r.mu.Unlock()
	}
}

// schedule delivers due datagrams in time order until ctx is done. It
// keeps one clock timer for the earliest delivery and replaces it only when
// an earlier one arrives, so a virtual clock is not flooded with sleepers.
func (r *Relay) schedule(ctx context.Context) {
	var wait <-chan time.Time
	var waitAt time.Time
	for {
		r.mu.Lock()
		now := r.cfg.Clock.Now()
		for len(r.queue) > 0 && !r.queue[0].at.After(now) {
			d := heap.Pop(&r.queue).(delivery)
			r.deliver(d)
		}
		if len(r.queue) > 0 {
			if head := r.queue[0].at; wait == nil || head.Before(waitAt) {
				wait, waitAt = r.cfg.Clock.After(head.Sub(now)), head
			}
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-wait:
			wait = nil
		}
	}
}

// deliver writes one datagram; r.mu is held.
func (r *Relay) deliver(d delivery) {
	if d.at.After(d.los) {
		if !d.up {
			r.stats.CutAtLOS++
			if f := r.perPass[PassKey{d.station, d.aos}]; f != nil {
				f.Lost++
			}
		} else {
			r.stats.ReportsLost++
		}
		return
	}
	if d.up {
		if _, err := r.flight.WriteToUDP(d.data, r.peer); err != nil {
			r.stats.ReportsLost++
			return
		}
		r.stats.ReportsUp++
		return
	}
	addr, err := r.cfg.Ground(d.station)
	if err != nil {
		r.stats.GroundErrors++
		return
	}
	if _, err := r.stations[d.station].WriteToUDP(d.data, addr); err != nil {
		r.stats.GroundErrors++
		return
	}
	r.stats.Delivered++
	r.stats.BytesDelivered += int64(len(d.data))
}
