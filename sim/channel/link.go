package channel

import (
	"container/heap"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/sim/passes"
	"github.com/skysieve/skysieve/sim/scenario"
)

// ErrConfig is wrapped by NewLink's and NewRelay's configuration errors.
var ErrConfig = errors.New("channel: invalid relay configuration")

// Config sets up a link or a relay for one satellite.
type Config struct {
	// Clock and Ground are the Relay's: its time source, and the ground
	// receiver's address for a station (asked at each delivery, so a
	// restarted ground may move).
	Clock     clock.Clock
	Ground    func(station string) (*net.UDPAddr, error)
	Satellite string
	// Plan holds the passes; only Satellite's are used.
	Plan    passes.Plan
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
	Delivered      int64 // frames handed to ground, duplicates included
	BytesDelivered int64
	ReportsIn      int64 // uplink reports received from ground
	ReportsLost    int64
	ReportsUp      int64 // uplink reports handed to flight
	GroundErrors   int64 // Relay: ground address unknown or write failed
}

// Delivery is one datagram that reaches the other end: a downlink frame
// for Station's ground receiver, or (Up) an uplink report for flight.
type Delivery struct {
	At      time.Time
	Up      bool
	Station string
	Data    []byte
}

type delivery struct {
	Delivery
	seq uint64
	los time.Time
	aos time.Time // the pass's, for its counts
}

type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if !d[i].At.Equal(d[j].At) {
		return d[i].At.Before(d[j].At)
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

// Link carries frames between one satellite's flight service and ground.
// It is an event queue, not a goroutine: Downlink and Uplink schedule what
// the channel lets through, and the simulation's driver takes each
// delivery when its clock reaches it (Next, Due). It is safe for
// concurrent use.
type Link struct {
	cfg  Config
	plan passes.Plan

	mu          sync.Mutex
	model       *Model
	radioFreeAt time.Time
	queue       deliveries
	seq         uint64
	stats       Stats
	perPass     map[PassKey]*PassFrames
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
func (r *Link) Pass(station string, aos time.Time) PassFrames {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.perPass[PassKey{station, aos}]; f != nil {
		return *f
	}
	return PassFrames{}
}

func (r *Link) passFrames(p *passes.Pass) *PassFrames {
	k := PassKey{p.Station, p.AOS}
	f := r.perPass[k]
	if f == nil {
		f = &PassFrames{}
		r.perPass[k] = f
	}
	return f
}

// NewLink returns the link of cfg.Satellite over its passes in cfg.Plan
// (Clock and Ground are the Relay's and not used).
func NewLink(cfg Config) (*Link, error) {
	if cfg.Satellite == "" {
		return nil, fmt.Errorf("%w: Satellite is required", ErrConfig)
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = 2 * time.Second
	}
	r := &Link{cfg: cfg, model: NewModel(cfg.Channel, cfg.Seed), perPass: map[PassKey]*PassFrames{}}
	for _, p := range cfg.Plan {
		if p.Satellite == cfg.Satellite {
			r.plan = append(r.plan, p)
		}
	}
	return r, nil
}

// Stats returns the counters so far.
func (r *Link) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Pending is the number of datagrams scheduled but not yet taken.
func (r *Link) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// Next reports when the earliest scheduled datagram arrives.
func (r *Link) Next() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		return time.Time{}, false
	}
	return r.queue[0].At, true
}

// Due removes and returns, in arrival order, every datagram that arrives
// by t and is still within its pass (a datagram arriving after its pass's
// LOS is counted as cut or lost and dropped).
func (r *Link) Due(t time.Time) []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Delivery
	for len(r.queue) > 0 && !r.queue[0].At.After(t) {
		d := heap.Pop(&r.queue).(delivery)
		switch {
		case d.At.After(d.los) && d.Up:
			r.stats.ReportsLost++
		case d.At.After(d.los):
			r.stats.CutAtLOS++
			if f := r.perPass[PassKey{d.Station, d.aos}]; f != nil {
				f.Lost++
			}
		case d.Up:
			r.stats.ReportsUp++
			out = append(out, d.Delivery)
		default:
			r.stats.Delivered++
			r.stats.BytesDelivered += int64(len(d.Data))
			out = append(out, d.Delivery)
		}
	}
	return out
}

func (r *Link) push(d delivery) {
	r.seq++
	d.seq = r.seq
	heap.Push(&r.queue, d)
}

// activePass returns the pass of the relay's satellite over station at t
// ("" means the best station in view).
func (r *Link) activePass(station string, t time.Time) (*passes.Pass, bool) {
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

// Downlink takes one frame flight puts on the radio at now: outside a pass
// it is dropped; in one it waits for the radio (a backlog beyond
// MaxBacklog is dropped), occupies it for its bits ÷ the pass's rate, meets
// the Model's fate, and is scheduled for the pass's station after the
// propagation delay. The frame is copied.
func (r *Link) Downlink(now time.Time, frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.FramesIn++
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
	data := Apply(frame, fate)
	if len(fate.FlipBits) > 0 {
		r.stats.Corrupted++
		pf.Lost++
	}
	if fate.Delay > 0 {
		r.stats.Reordered++
	}
	at := r.radioFreeAt.Add(r.cfg.Channel.PropagationDelay + fate.Delay)
	r.push(delivery{Delivery: Delivery{At: at, Station: p.Station, Data: data}, los: p.LOS, aos: p.AOS})
	if fate.Duplicate {
		r.stats.Duplicated++
		// The copy has no pass counts: the pass put one frame on air.
		r.push(delivery{Delivery: Delivery{At: at.Add(air), Station: p.Station, Data: data}, los: p.LOS})
	}
}

// Uplink takes one report ground sends from station at now: it goes up
// after the propagation delay if the satellite is in that station's pass
// and the Model lets it through. The report is copied.
func (r *Link) Uplink(now time.Time, station string, report []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.ReportsIn++
	p, ok := r.activePass(station, now)
	if !ok || !r.model.Uplink() {
		r.stats.ReportsLost++
		return
	}
	data := append([]byte(nil), report...)
	r.push(delivery{Delivery: Delivery{At: now.Add(r.cfg.Channel.PropagationDelay), Up: true, Station: station, Data: data}, los: p.LOS})
}
