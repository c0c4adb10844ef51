package channel

import (
	"context"
	"math"
	"net"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/sim/passes"
	"github.com/skysieve/skysieve/sim/scenario"
)

var t0 = time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)

func sample(el float64) passes.Sample {
	return passes.Sample{At: t0, ElevationDeg: el, RateBitsPerSec: 1e6}
}

func TestGilbertElliottStatistics(t *testing.T) {
	cfg := scenario.Channel{GoodToBad: 0.01, BadToGood: 0.1, LossGood: 0, LossBad: 1, HorizonFadeDeg: 10}
	m := NewModel(cfg, 1)
	const n = 400000
	lost, bursts, inBurst := 0, 0, false
	for range n {
		f := m.Downlink(100, sample(90), 5)
		if f.Lost {
			lost++
			if !inBurst {
				bursts++
			}
		}
		inBurst = f.Lost
	}
	// Stationary bad-state probability p/(p+r); mean burst length 1/r.
	want := 0.01 / (0.01 + 0.1)
	if got := float64(lost) / n; math.Abs(got-want) > 0.01 {
		t.Fatalf("loss rate %.4f, want %.4f", got, want)
	}
	if mean := float64(lost) / float64(bursts); math.Abs(mean-10) > 1 {
		t.Fatalf("mean burst %.2f frames, want 10", mean)
	}
}

func TestWorseTowardHorizon(t *testing.T) {
	cfg := scenario.Channel{LossGood: 0.01, HorizonLoss: 0.3, HorizonFadeDeg: 20, BERHorizon: 1e-4, BERZenith: 1e-7}
	m := NewModel(cfg, 2)
	low, high := sample(5), sample(60)
	if pl, ph := m.LossProbability(low, 5), m.LossProbability(high, 5); !(pl > ph && math.Abs(ph-0.01) < 1e-9 && math.Abs(pl-(1-0.99*0.7)) < 1e-9) {
		t.Fatalf("loss at mask %.3f, at 60° %.3f", pl, ph)
	}
	if bl, bh := m.BER(low, 5), m.BER(passes.Sample{ElevationDeg: 90}, 5); math.Abs(bl-1e-4) > 1e-12 || math.Abs(bh-1e-7) > 1e-15 {
		t.Fatalf("BER at mask %g, at zenith %g", bl, bh)
	}
	// Measured bit errors match the BER at the mask.
	flips, frames := 0, 0
	for range 20000 {
		f := m.Downlink(1000, low, 5)
		if !f.Lost {
			frames++
			flips += len(f.FlipBits)
			for _, b := range f.FlipBits {
				if b < 0 || b >= 8000 {
					t.Fatalf("flip at bit %d of 8000", b)
				}
			}
		}
	}
	if ber := float64(flips) / float64(frames*8000); math.Abs(ber-1e-4)/1e-4 > 0.1 {
		t.Fatalf("measured BER %g, want 1e-4", ber)
	}
}

func TestModelDeterministic(t *testing.T) {
	cfg := scenario.Channel{GoodToBad: 0.05, BadToGood: 0.2, LossGood: 0.01, LossBad: 0.6, HorizonFadeDeg: 10, BERZenith: 1e-5, BERHorizon: 1e-5, Duplicate: 0.05, Reorder: 0.05, ReorderDelay: time.Millisecond}
	a, b := NewModel(cfg, 9), NewModel(cfg, 9)
	for i := range 5000 {
		fa, fb := a.Downlink(500, sample(30), 5), b.Downlink(500, sample(30), 5)
		if fa.Lost != fb.Lost || fa.Duplicate != fb.Duplicate || fa.Delay != fb.Delay || len(fa.FlipBits) != len(fb.FlipBits) {
			t.Fatalf("frame %d: fates differ", i)
		}
	}
}

func TestApply(t *testing.T) {
	in := []byte{0, 0xff}
	out := Apply(in, Fate{FlipBits: []int{0, 15, 99}})
	if in[0] != 0 || out[0] != 0x80 || out[1] != 0xfe {
		t.Fatalf("Apply: in %x out %x", in, out)
	}
}

// TestLinkTimeline drives the link as the simulator does: frames
// outside the pass are dropped, frames in it arrive paced at the pass's
// rate and in order after the propagation delay, a frame still on its way
// at LOS is cut, and reports go up during the pass only.
func TestLinkTimeline(t *testing.T) {
	pass := passes.Pass{Satellite: "SAT", Station: "ST", AOS: t0.Add(time.Minute), LOS: t0.Add(11 * time.Minute)}
	for at := pass.AOS; !at.After(pass.LOS); at = at.Add(10 * time.Second) {
		pass.Samples = append(pass.Samples, passes.Sample{At: at, ElevationDeg: 45, RateBitsPerSec: 80000})
	}
	other := passes.Pass{Satellite: "OTHER", Station: "ST", AOS: t0, LOS: t0.Add(time.Hour), Samples: pass.Samples}
	const prop = 10 * time.Millisecond
	r, err := NewLink(Config{
		Satellite: "SAT", Plan: passes.Plan{other, pass}, Seed: 1,
		Channel: scenario.Channel{HorizonFadeDeg: 10, PropagationDelay: prop},
	})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(i int) []byte {
		f := make([]byte, 1000)
		f[0] = byte(i)
		return f
	}
	for i := range 5 { // before AOS (the other satellite's pass does not count)
		r.Downlink(t0, frame(i))
	}
	r.Uplink(t0, "ST", []byte("early"))
	if got := r.Due(pass.AOS); len(got) != 0 {
		t.Fatalf("before AOS: %d deliveries", len(got))
	}
	// 1000 bytes at 80 kbit/s: 0.1 s on air each, queued behind each other.
	for i := range 20 {
		r.Downlink(pass.AOS, frame(i))
	}
	if next, ok := r.Next(); !ok || !next.Equal(pass.AOS.Add(100*time.Millisecond+prop)) {
		t.Fatalf("first arrival %v %v", next, ok)
	}
	got := r.Due(pass.AOS.Add(time.Second))
	if len(got) != 9 {
		t.Fatalf("%d frames due 1 s after AOS, want 9", len(got))
	}
	got = append(got, r.Due(pass.AOS.Add(time.Minute))...)
	for i, d := range got {
		want := pass.AOS.Add(time.Duration(i+1)*100*time.Millisecond + prop)
		if d.Up || d.Station != "ST" || d.Data[0] != byte(i) || !d.At.Equal(want) {
			t.Fatalf("delivery %d: up %v station %s first byte %d at %v, want %v", i, d.Up, d.Station, d.Data[0], d.At, want)
		}
	}
	r.Uplink(pass.AOS.Add(time.Minute), "ST", []byte("ack"))
	r.Uplink(pass.AOS.Add(time.Minute), "ELSEWHERE", []byte("lost"))
	up := r.Due(pass.AOS.Add(2 * time.Minute))
	if len(up) != 1 || !up[0].Up || string(up[0].Data) != "ack" || !up[0].At.Equal(pass.AOS.Add(time.Minute+prop)) {
		t.Fatalf("uplink deliveries %+v", up)
	}
	// The last frame ends on air 0.1 s before LOS and lands after it.
	r.Downlink(pass.LOS.Add(-100*time.Millisecond), frame(0))
	if got := r.Due(pass.LOS.Add(time.Second)); len(got) != 0 {
		t.Fatalf("a frame landing after LOS was delivered: %+v", got)
	}
	s := r.Stats()
	want := Stats{FramesIn: 26, OutsidePass: 5, Delivered: 20, BytesDelivered: 20000, CutAtLOS: 1, ReportsIn: 3, ReportsLost: 2, ReportsUp: 1}
	if s != want {
		t.Fatalf("stats\n got %+v\nwant %+v", s, want)
	}
	if pf := r.Pass("ST", pass.AOS); pf.OnAir != 21 || pf.Lost != 1 {
		t.Fatalf("pass frames %+v", pf)
	}
	if r.Pending() != 0 {
		t.Fatalf("%d still pending", r.Pending())
	}
}

// TestRelayOverUDP runs the relay (sim/procs' channel) between two real
// UDP sockets on a virtual clock: frames outside the pass are dropped, frames in it arrive
// paced at the pass's rate and in order, reports go back up during the
// pass only.
func TestRelayOverUDP(t *testing.T) {
	clk := clock.NewVirtual(t0)
	pass := passes.Pass{Satellite: "SAT", Station: "ST", AOS: t0.Add(time.Minute), LOS: t0.Add(11 * time.Minute)}
	for at := pass.AOS; !at.After(pass.LOS); at = at.Add(10 * time.Second) {
		pass.Samples = append(pass.Samples, passes.Sample{At: at, ElevationDeg: 45, RateBitsPerSec: 80000})
	}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	ground, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer ground.Close()
	flight, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer flight.Close()
	r, err := NewRelay(Config{
		Clock: clk, Satellite: "SAT", Plan: passes.Plan{pass}, Seed: 1,
		Channel: scenario.Channel{HorizonFadeDeg: 10},
		Ground:  func(string) (*net.UDPAddr, error) { return ground.LocalAddr().(*net.UDPAddr), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)

	send := func(n int) {
		for i := range n {
			frame := make([]byte, 1000)
			frame[0] = byte(i)
			if _, err := flight.WriteToUDP(frame, r.FlightAddr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitIn := func(n int64) {
		deadline := time.Now().Add(5 * time.Second)
		for r.Stats().FramesIn < n {
			if time.Now().After(deadline) {
				t.Fatalf("relay read %d frames, want %d", r.Stats().FramesIn, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	send(5) // before AOS: dropped
	waitIn(5)
	clk.Set(pass.AOS)
	send(20) // 1000 bytes at 80 kbit/s: 0.1 s each
	waitIn(25)
	// Drive the clock through the deliveries, earliest first.
	var got []time.Time
	buf := make([]byte, 2000)
	for len(got) < 20 {
		next, ok := clk.NextDeadline()
		if !ok {
			time.Sleep(time.Millisecond)
			continue
		}
		clk.Set(next)
		ground.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, from, err := ground.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %d frames: %v", len(got), err)
		}
		if n != 1000 || buf[0] != byte(len(got)) {
			t.Fatalf("frame %d: %d bytes, first byte %d", len(got), n, buf[0])
		}
		got = append(got, clk.Now())
		if len(got) == 1 {
			// A report back to the station socket goes up to flight.
			if _, err := ground.WriteToUDP([]byte("ack"), from); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 1; i < len(got); i++ {
		if d := got[i].Sub(got[i-1]); d != 100*time.Millisecond {
			t.Fatalf("frame %d paced %v after the previous, want 100ms", i, d)
		}
	}
	s := r.Stats()
	if s.OutsidePass != 5 || s.Delivered != 20 || s.Lost != 0 {
		t.Fatalf("stats %+v", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().ReportsUp == 0 {
		if next, ok := clk.NextDeadline(); ok {
			clk.Set(next)
		}
		if time.Now().After(deadline) {
			t.Fatalf("report not relayed: %+v", r.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	flight.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, _, err := flight.ReadFromUDP(buf); err != nil || string(buf[:n]) != "ack" {
		t.Fatalf("flight got %q, %v", buf[:n], err)
	}
}
