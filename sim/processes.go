package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/sim/channel"
	"github.com/skysieve/skysieve/sim/consumer"
	"github.com/skysieve/skysieve/sim/scenario"
	"github.com/skysieve/skysieve/sim/world"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
	"github.com/skysieve/skysieve/triage/synth"
)

// ProcessOptions configure RunProcesses: the real bin/flight and bin/ground
// as separate processes, on the wall clock, with this process as the radio
// channel between them.
type ProcessOptions struct {
	// FlightBin and GroundBin are the service binaries.
	FlightBin, GroundBin string
	// DataDir holds both services' data, the spool and the contact plan.
	DataDir string
	// Scenes is how many of the scenario's captures (those with events
	// first) go into flight's spool.
	Scenes int
	// Passes of PassLength every PassLength+Gap, starting StartDelay from
	// now, alternating between two stations, at RateBitsPerSec with an
	// expected frame loss of Loss.
	Passes            int
	PassLength, Gap   time.Duration
	StartDelay        time.Duration
	RateBitsPerSec    float64
	Loss              float64
	KillFlight        bool // SIGKILL flight mid-pass 2 and restart it
	KillGround        bool // SIGKILL ground mid-pass 3 and restart it
	RestartDelay      time.Duration
	ORTLib, ModelPath string
	// Log receives the services' output and progress lines (nil: none).
	Log io.Writer
}

// ProcessResult is what the responder saw against what flight should
// have sent.
type ProcessResult struct {
	// Expected is the number of detections the onboard model finds in the
	// spooled scenes (the same model run here: detection ids are stable).
	Expected   int
	Published  int
	Duplicates int
	// Missing lists expected detections never published.
	Missing []string
	// Unexpected counts published detections that were not expected.
	Unexpected  int
	FlightKills int
	GroundKills int
	Relay       channel.Stats
	WallS       float64
}

// ErrProcess is wrapped when a service process cannot be started.
var ErrProcess = errors.New("sim: service process")

type proc struct {
	name string
	args []string
	log  io.Writer
	mu   sync.Mutex
	cmd  *exec.Cmd
}

func (p *proc) start(bin string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(bin, p.args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: start %s: %v", ErrProcess, p.name, err)
	}
	p.cmd = cmd
	go func() { _ = cmd.Wait() }()
	return nil
}

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeUDPPort() (int, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// syntheticPlan is a wall-clock contact plan: passes of equal length and
// constant link, alternating between two stations.
func syntheticPlan(sat string, o ProcessOptions, start time.Time) []contact.Contact {
	stations := []string{"alpha", "bravo"}
	var out []contact.Contact
	for i := range o.Passes {
		aos := start.Add(time.Duration(i) * (o.PassLength + o.Gap)).Round(time.Millisecond)
		los := aos.Add(o.PassLength)
		c := contact.Contact{Satellite: sat, Station: stations[i%2], AOS: aos, LOS: los, TCA: aos.Add(o.PassLength / 2), MaxElevationDeg: 45}
		for t := time.Duration(0); t <= o.PassLength; t += time.Second {
			c.Samples = append(c.Samples, contact.Sample{OffsetSec: t.Seconds(), ElevationDeg: 45, RateBitsPerSec: o.RateBitsPerSec, Loss: o.Loss, RangeKm: 1000})
		}
		c.CapacityBytes = int64(o.RateBitsPerSec / 8 * o.PassLength.Seconds())
		out = append(out, c)
	}
	return out
}

// RunProcesses runs flight and ground as processes for a few passes, with
// this process relaying their radio over UDP through the lossy channel and
// consuming the bus, and optionally kills each once during a pass. It
// reports whether every detection arrived exactly once.
func RunProcesses(ctx context.Context, scn *scenario.Scenario, o ProcessOptions) (*ProcessResult, error) {
	wallStart := time.Now()
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "sim: "+format+"\n", args...) }
	geo, err := LoadGeometry(scn)
	if err != nil {
		return nil, err
	}
	w, err := world.Build(scn, geo.Tracks)
	if err != nil {
		return nil, err
	}
	caps := append([]world.Capture(nil), w.Captures...)
	sort.SliceStable(caps, func(i, j int) bool { return len(caps[i].Events) > len(caps[j].Events) })
	if len(caps) > o.Scenes {
		caps = caps[:o.Scenes]
	}
	if len(caps) == 0 {
		return nil, fmt.Errorf("%w: the scenario captures no scenes", ErrScenario)
	}
	sat := caps[0].Satellite

	// What flight should find: the same model on the same scenes, with no
	// reference water layer (the flight binary has none for synthetic
	// scenes, so it calls no floods either).
	tcfg := triage.DefaultConfig()
	tcfg.ModelPath, tcfg.RuntimePath = o.ModelPath, o.ORTLib
	tcfg.Logger = discardLogger()
	engine, err := triage.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("sim: triage: %w", err)
	}
	defer engine.Close()
	expected := map[string]bool{}
	var scenes []*scene.Scene
	for i := range caps {
		c := &caps[i]
		c.Satellite = sat
		sc, _ := synth.Generate(Spec(c, w.Events))
		res, err := engine.TriageWithWater(ctx, sc, nil)
		if err != nil {
			return nil, fmt.Errorf("sim: triage %s: %w", sc.ID, err)
		}
		for _, d := range res.Detections {
			expected[d.Record.ID] = true
		}
		scenes = append(scenes, sc)
	}
	logf("%d scenes hold %d detections for flight to find", len(scenes), len(expected))

	dirs := map[string]string{}
	for _, d := range []string{"flight", "ground", "spool"} {
		dirs[d] = filepath.Join(o.DataDir, d)
		if err := os.MkdirAll(dirs[d], 0o755); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	start := time.Now().Add(o.StartDelay)
	plan := syntheticPlan(sat, o, start)
	planPath := filepath.Join(o.DataDir, "contacts.json")
	f, err := os.Create(planPath)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if err := contact.WritePlan(f, plan); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}

	ports := map[string]int{}
	for _, k := range []string{"alpha", "bravo", "flight"} {
		if ports[k], err = freeUDPPort(); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	if ports["nats"], err = freePort(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	addr := func(k string) string { return "127.0.0.1:" + strconv.Itoa(ports[k]) }
	ground := &proc{name: "ground", log: logw, args: []string{"run", "--data-dir", dirs["ground"],
		"--udp", "alpha=" + addr("alpha"), "--udp", "bravo=" + addr("bravo"),
		"--nats-listen", addr("nats"), "--metrics-addr", "", "--report-interval", "1s", "--contact-idle", "3s"}}
	if err := ground.start(o.GroundBin); err != nil {
		return nil, err
	}
	defer ground.signal(syscall.SIGKILL)

	relay, err := channel.NewRelay(channel.Config{
		Clock: clock.Real{}, Satellite: sat, Plan: PlanFromContacts(plan), Channel: scn.Channel, Seed: uint64(scn.Seed),
		Ground: func(station string) (*net.UDPAddr, error) { return net.ResolveUDPAddr("udp", addr(station)) },
	})
	if err != nil {
		return nil, err
	}
	rctx, stopRelay := context.WithCancel(ctx)
	defer stopRelay()
	go func() { _ = relay.Run(rctx) }()

	flightArgs := []string{"run", "--data-dir", dirs["flight"], "--spool-dir", dirs["spool"], "--contact-plan", planPath,
		"--radio-listen", addr("flight"), "--radio-peer", relay.FlightAddr().String(), "--metrics-addr", ""}
	if o.ORTLib != "" {
		flightArgs = append(flightArgs, "--ort-lib", o.ORTLib)
	}
	flight := &proc{name: "flight", log: logw, args: flightArgs}
	if o.ModelPath != "" {
		flight.args = append(flight.args, "--config", writeFlightConfig(o.DataDir, o.ModelPath))
	}
	if err := flight.start(o.FlightBin); err != nil {
		return nil, err
	}
	defer flight.signal(syscall.SIGKILL)

	cons := consumer.New(clock.Real{}, nil)
	cctx, stopCons := context.WithCancel(ctx)
	defer stopCons()
	if err := waitNATS(ctx, cons, cctx, "nats://"+addr("nats")); err != nil {
		return nil, err
	}
	for _, sc := range scenes {
		if err := scene.WriteFile(filepath.Join(dirs["spool"], sc.ID+".skyscene"), sc); err != nil {
			return nil, err
		}
	}
	logf("%d scenes in flight's spool; %d passes of %s from %s", len(scenes), o.Passes, o.PassLength, start.Format(time.TimeOnly))

	res := &ProcessResult{Expected: len(expected)}
	kill := func(p *proc, pass int, bin string, n *int) {
		at := start.Add(time.Duration(pass-1)*(o.PassLength+o.Gap) + o.PassLength/2)
		select {
		case <-time.After(time.Until(at)):
		case <-ctx.Done():
			return
		}
		logf("SIGKILL %s mid-pass %d", p.name, pass)
		p.signal(syscall.SIGKILL)
		*n++
		time.Sleep(o.RestartDelay)
		if err := p.start(bin); err != nil {
			logf("restart %s: %v", p.name, err)
		}
	}
	var wg sync.WaitGroup
	if o.KillFlight && o.Passes >= 2 {
		wg.Add(1)
		go func() { defer wg.Done(); kill(flight, 2, o.FlightBin, &res.FlightKills) }()
	}
	if o.KillGround && o.Passes >= 3 {
		wg.Add(1)
		go func() { defer wg.Done(); kill(ground, 3, o.GroundBin, &res.GroundKills) }()
	}
	end := start.Add(time.Duration(o.Passes)*(o.PassLength+o.Gap) + 5*time.Second)
	for time.Now().Before(end) {
		if n := len(cons.Snapshot().Arrivals); n >= len(expected) && res.FlightKills+res.GroundKills == btoi(o.KillFlight)+btoi(o.KillGround) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	wg.Wait()
	// Give the bus a moment to deliver what was published last, and
	// duplicates, if any, a chance to show.
	time.Sleep(2 * time.Second)
	flight.signal(syscall.SIGTERM)
	ground.signal(syscall.SIGTERM)
	snap := cons.Snapshot()
	res.Published = len(snap.Arrivals)
	res.Duplicates = snap.Duplicates
	seen := map[string]bool{}
	for _, a := range snap.Arrivals {
		seen[a.ID] = true
		if !expected[a.ID] {
			res.Unexpected++
		}
	}
	for id := range expected {
		if !seen[id] {
			res.Missing = append(res.Missing, id)
		}
	}
	sort.Strings(res.Missing)
	res.Relay = relay.Stats()
	res.WallS = time.Since(wallStart).Seconds()
	return res, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// waitNATS connects the consumer once ground's embedded server is up.
func waitNATS(ctx context.Context, cons *consumer.Consumer, runCtx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := cons.Run(runCtx, url)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: ground's NATS at %s: %v", ErrProcess, url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func writeFlightConfig(dir, model string) string {
	p := filepath.Join(dir, "flight.yaml")
	_ = os.WriteFile(p, []byte("triage:\n  model: "+strconv.Quote(model)+"\n"), 0o644)
	return p
}
