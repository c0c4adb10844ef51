package flight

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/sdls"
	"github.com/skysieve/skysieve/triage/synth"
)

// pipeRadio is an in-process Radio, as the simulator supplies one: it
// records every downlink frame with the (virtual) time it went out.
type pipeRadio struct {
	clk clock.Clock
	mu  sync.Mutex
	out []sentFrame
	up  chan []byte
}

type sentFrame struct {
	at    time.Time
	frame []byte
}

func newPipeRadio(clk clock.Clock) *pipeRadio { return &pipeRadio{clk: clk, up: make(chan []byte, 16)} }

func (r *pipeRadio) WriteFrame(_ context.Context, f []byte) error {
	r.mu.Lock()
	r.out = append(r.out, sentFrame{at: r.clk.Now(), frame: slices.Clone(f)})
	r.mu.Unlock()
	return nil
}

func (r *pipeRadio) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	select {
	case f := <-r.up:
		return copy(buf, f), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (r *pipeRadio) Close() error { return nil }

func (r *pipeRadio) frames() []sentFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.out)
}

// driver runs a virtual clock forward the way a simulator does: in steps
// of at most driverStep, each after a short real pause so the service's
// goroutines get to run; a sleeper due within the step is woken at its
// own deadline. It does nothing while paused.
type driver struct {
	v      *clock.Virtual
	mu     sync.Mutex
	paused bool
	stop   chan struct{}
	done   chan struct{}
}

const driverStep = 5 * time.Millisecond

func startDriver(v *clock.Virtual) *driver {
	d := &driver{v: v, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
			}
			d.mu.Lock()
			if !d.paused {
				next := v.Now().Add(driverStep)
				if at, ok := v.NextDeadline(); ok && at.Before(next) {
					next = at
				}
				v.Set(next)
			}
			d.mu.Unlock()
		}
	}()
	return d
}

func (d *driver) pause(p bool) {
	d.mu.Lock()
	d.paused = p
	d.mu.Unlock()
}

func (d *driver) close() {
	close(d.stop)
	<-d.done
}

// virtualConfig is a service on a virtual clock and a pipe radio.
func virtualConfig(t *testing.T, dir string, v *clock.Virtual, r Radio) Config {
	cfg := DefaultConfig()
	cfg.InsecureDevKeys = true // the test ground speaks the public development keys
	cfg.DataDir = dir
	cfg.Clock = v
	cfg.Radio = r
	cfg.MetricsAddr = ""
	cfg.Link.FrameBytes = 1024
	cfg.HousekeepingEvery = time.Hour
	cfg.Logger = testLogger(t)
	return cfg
}

// frameSeq reads a TM frame's security sequence number.
func frameSeq(t *testing.T, f []byte) uint64 {
	_, seq, err := sdls.ParseHeader(f[frame.TMHeaderBytes:])
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// Frames go out only inside contacts, at no more than the contact's
// rate, and after a restart the security sequence continues above every
// number used before (no GCM IV is ever reused).
func TestPacingContactsAndSequenceAcrossRestart(t *testing.T) {
	requireTriage(t)
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(t0)
	dir := t.TempDir()
	radio := newPipeRadio(v)
	cfg := virtualConfig(t, dir, v, radio)
	frameBits := float64(cfg.Link.FrameBytes * 8)
	rate := 20 * frameBits // 20 frames per second
	c1 := lineContact(t0.Add(time.Second), 4*time.Second, rate, 0.1)
	c2 := lineContact(t0.Add(6*time.Second), 4*time.Second, rate, 0.1)
	cfg.Contacts = []contact.Contact{c1}

	rs := startService(t, cfg)
	for i := range 3 {
		if err := rs.s.Submit(context.Background(), synthScene(i, 256, t0)); err != nil {
			t.Fatal(err)
		}
	}
	d := startDriver(v)
	waitFor(t, time.Minute, "contact 1 to pass", func() bool { return v.Now().After(c1.LOS) })
	d.pause(true)
	rs.stop(t)
	first := radio.frames()

	cfg.Contacts = []contact.Contact{c2}
	rs = startService(t, cfg)
	d.pause(false)
	waitFor(t, time.Minute, "contact 2 to pass", func() bool { return v.Now().After(c2.LOS) })
	d.close()
	rs.stop(t)
	all := radio.frames()
	second := all[len(first):]

	for i, set := range [][]sentFrame{first, second} {
		c := []contact.Contact{c1, c2}[i]
		capFrames := int(rate * c.Duration().Seconds() / frameBits)
		if len(set) == 0 || len(set) > capFrames {
			t.Fatalf("contact %d: %d frames, capacity %d", i+1, len(set), capFrames)
		}
		for j, f := range set {
			if f.at.Before(c.AOS) || !f.at.Before(c.LOS) {
				t.Fatalf("contact %d frame %d sent at %s, outside %s..%s", i+1, j, f.at, c.AOS, c.LOS)
			}
			// Frame j cannot start before j frame times into the contact
			// (less one pacing quantum of burst).
			earliest := c.AOS.Add(time.Duration(float64(j)*frameBits/rate*float64(time.Second)) - cfg.PacingQuantum)
			if f.at.Before(earliest) {
				t.Fatalf("contact %d frame %d at %s, before its slot %s: faster than the rate", i+1, j, f.at, earliest)
			}
		}
	}
	maxFirst := uint64(0)
	for _, f := range first {
		maxFirst = max(maxFirst, frameSeq(t, f.frame))
	}
	prev := maxFirst
	for _, f := range second {
		seq := frameSeq(t, f.frame)
		if seq <= prev {
			t.Fatalf("sequence %d after %d: reused or out of order across the restart", seq, prev)
		}
		prev = seq
	}
}

// A critical detection stored mid-pass goes out before everything not yet
// sent: the radio finishes the frame in hand, re-plans, and sends it next.
func TestCriticalPreemptsMidPass(t *testing.T) {
	requireTriage(t)
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(t0)
	radio := newPipeRadio(v)
	cfg := virtualConfig(t, t.TempDir(), v, radio)
	frameBits := float64(cfg.Link.FrameBytes * 8)
	c := lineContact(t0.Add(time.Second), 20*time.Second, 10*frameBits, 0.05)
	cfg.Contacts = []contact.Contact{c}
	rs := startService(t, cfg)
	defer rs.stop(t)
	// Vessels only: the queue the pass starts on.
	for i := range 3 {
		sc, _ := synth.Generate(synth.Spec{Seed: uint64(500 + i), SceneID: "sea-" + string(rune('a'+i)), Satellite: "SKY-1",
			CaptureTime: t0, Width: 256, Height: 256, OceanFraction: 0.9, RandomVessels: 4})
		if err := rs.s.Submit(context.Background(), sc); err != nil {
			t.Fatal(err)
		}
	}
	d := startDriver(v)
	defer d.close()
	waitFor(t, time.Minute, "the pass to be under way", func() bool { return len(radio.frames()) >= 8 })
	d.pause(true)
	before := len(radio.frames())
	fire, _ := synth.Generate(synth.Spec{Seed: 900, SceneID: "fire", Satellite: "SKY-1", CaptureTime: t0,
		Width: 256, Height: 256, OceanFraction: 0, RandomFires: 3})
	if err := rs.s.Submit(context.Background(), fire); err != nil {
		t.Fatal(err)
	}
	d.pause(false)
	// The fire's first frame is the first or second after it was stored;
	// three frames are enough to see it.
	waitFor(t, time.Minute, "frames after the fire", func() bool { return len(radio.frames()) >= before+3 })
	keys, _ := sdls.DevelopmentKeys()
	rx, err := link.NewReceiver(cfg.Link, keys, reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Each priority class has its own virtual channel: the fire's (in a
	// bundle or not) is class 0's.
	fireVC, err := cfg.Link.VCForClass(0)
	if err != nil {
		t.Fatal(err)
	}
	firstFire := -1
	for i, f := range radio.frames()[before:] {
		res, err := rx.Receive(f.frame, "t")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Symbols) == 1 && res.VC == int(fireVC) {
			firstFire = i
			break
		}
	}
	// One frame may be in hand when the fire arrives.
	if firstFire < 0 || firstFire > 1 {
		t.Fatalf("first fire frame is frame %d after the fire was stored, want 0 or 1", firstFire)
	}
}
