package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/skysieve/skysieve/flight"
	"github.com/skysieve/skysieve/ground"
	"github.com/skysieve/skysieve/sim/channel"
	"github.com/skysieve/skysieve/sim/consumer"
	"github.com/skysieve/skysieve/sim/report"
	"github.com/skysieve/skysieve/sim/scenario"
	"github.com/skysieve/skysieve/sim/world"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
)

// ErrScenario is wrapped when the scenario cannot be simulated as given.
var ErrScenario = errors.New("sim: scenario cannot be simulated")

// Options configure Run beyond the scenario.
type Options struct {
	// DataDir holds the services' data (stores, NATS). Empty: a temporary
	// folder removed when Run returns.
	DataDir string
	// Triage configures the onboard engine. A config without thresholds
	// is triage.DefaultConfig() with this one's ModelPath, RuntimePath and
	// Threads (so the zero value is the default engine). Run sets its
	// clock and logger.
	Triage triage.Config
	// Progress receives the live progress line; nil prints none. Terminal
	// redraws it in place.
	Progress io.Writer
	Terminal bool
	// Logger receives the services' logs. Nil discards them.
	Logger *slog.Logger
	// Quiet is how long (wall time) the services must stay at rest, with
	// nothing left for them to do, before a step counts as settled
	// (default 500 µs; see settle).
	Quiet time.Duration
	// MaxStep bounds a clock step while a pass is busy (default 10 s);
	// MinStep is the clock's resolution then (default 1 s): sleepers and
	// deliveries due within it run together at the step, and flight sends
	// in bursts of that much airtime.
	MaxStep, MinStep time.Duration
}

// run holds one simulation's moving parts.
type run struct {
	scn   *scenario.Scenario
	opts  Options
	geo   *Geometry
	world *world.World
	clk   *timeline
	log   *slog.Logger

	rec      *recorder
	ground   *ground.Service
	relays   map[string]*channel.Link
	radios   map[string]*radio
	flights  map[string]*flight.Service
	consumer *consumer.Consumer

	errc                      <-chan error
	rendered                  <-chan rendered
	truths                    []CaptureTruth
	submitted                 int
	refused                   int
	queue                     []report.QueuePoint
	passQueue                 map[int]int64 // pass index → flight queue bytes when its radio time starts
	nextCapture               int
	steps, busySteps, settles int64
	sched                     *sched
	// Where the wall time went (report.Wall).
	settlePolls             int64
	wallCapture, wallSettle time.Duration
}

// Run simulates the scenario end to end and returns the report.
func Run(ctx context.Context, scn *scenario.Scenario, opts Options) (*report.Report, error) {
	wallStart := time.Now()
	if !slices.Equal(scn.Scene.Bands, scene.DefaultBands) {
		return nil, fmt.Errorf("%w: scene.bands = %v: the scene generator draws exactly %v", ErrScenario, scn.Scene.Bands, scene.DefaultBands)
	}
	if opts.Quiet <= 0 {
		opts.Quiet = 500 * time.Microsecond
	}
	if opts.MaxStep <= 0 {
		opts.MaxStep = 10 * time.Second
	}
	if opts.MinStep <= 0 {
		opts.MinStep = time.Second
	}
	logger := opts.Logger
	if logger == nil {
		logger = discardLogger()
	}
	geo, err := LoadGeometry(scn)
	if err != nil {
		return nil, err
	}
	w, err := world.Build(scn, geo.Tracks)
	if err != nil {
		return nil, fmt.Errorf("sim: world: %w", err)
	}
	dir := opts.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "skysieve-sim-"); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	r := &run{scn: scn, opts: opts, geo: geo, world: w, clk: newTimeline(scn.Start), log: logger,
		relays: map[string]*channel.Link{}, radios: map[string]*radio{}, flights: map[string]*flight.Service{},
		truths: make([]CaptureTruth, len(w.Captures)), passQueue: map[int]int64{}, sched: newSched()}

	tcfg := opts.Triage
	if tcfg.Thresholds == nil {
		def := triage.DefaultConfig()
		def.ModelPath, def.RuntimePath, def.Threads = tcfg.ModelPath, tcfg.RuntimePath, tcfg.Threads
		tcfg = def
	}
	tcfg.Clock, tcfg.Logger = r.clk, logger
	engine, err := triage.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("sim: triage: %w", err)
	}
	defer engine.Close()
	r.rec = newRecorder(engine)

	svcCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait()
	}()
	if err := r.start(svcCtx, dir, &wg); err != nil {
		return nil, err
	}
	if err := r.drive(ctx); err != nil {
		return nil, err
	}
	rep := r.report()
	rep.Wall = report.Wall{S: time.Since(wallStart).Seconds(), CaptureS: r.wallCapture.Seconds(),
		SettleS: r.wallSettle.Seconds(), SettlePolls: r.settlePolls}
	return rep, nil
}

// stationName is ground's receiver name for a station's stream from sat:
// with several satellites each antenna–spacecraft stream is its own
// receiver, so their link sequence numbers never meet in one anti-replay
// window.
// Ground station ids may not hold spaces, dots, slashes, * or >.
func (r *run) stationName(sat, station string) string {
	if len(r.geo.TLEs) > 1 {
		station += "_" + sat
	}
	return strings.Map(func(c rune) rune {
		if c == ' ' || c == '.' || c == '/' || c == '*' || c == '>' {
			return '_'
		}
		return c
	}, station)
}

// start brings up ground, the relays, flight and the consumer, each
// waiting for the previous to be ready.
func (r *run) start(ctx context.Context, dir string, wg *sync.WaitGroup) error {
	// A fresh link key set for this data dir (kept if it has one, as its
	// stores were written under it): the sim never runs on the public
	// development keys.
	keyFile := filepath.Join(dir, "link.keys")
	if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
		if err := linkkeys.Generate(keyFile); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	// The responder reads the bus as a read-only user, as one would.
	reader, err := simReader()
	if err != nil {
		return err
	}
	gcfg := ground.DefaultConfig()
	gcfg.DataDir = filepath.Join(dir, "ground")
	gcfg.KeyFile = keyFile
	gcfg.NATSReaders = []ground.NATSReader{reader}
	// Ground takes frames from the driver (Service.Deliver); its station
	// sockets, which its configuration requires, get none.
	gcfg.UDP = nil
	for _, sat := range r.geo.Satellites() {
		for _, st := range r.geo.Stations {
			gcfg.UDP = append(gcfg.UDP, ground.UDPStation{Station: r.stationName(sat, st.Name), Listen: "127.0.0.1:0"})
		}
	}
	gcfg.MetricsAddr = ""
	gcfg.Clock, gcfg.Logger = r.clk, r.log
	if r.scn.FrameBytes > 0 {
		gcfg.Link.FrameBytes = r.scn.FrameBytes
	}
	gs, err := ground.New(gcfg)
	if err != nil {
		return fmt.Errorf("sim: ground: %w", err)
	}
	r.ground = gs
	errc := make(chan error, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := gs.Run(ctx); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("sim: ground: %w", err)
		}
	}()
	if err := ready(ctx, gs.Ready(), errc, "ground"); err != nil {
		return err
	}
	for i, sat := range r.geo.Satellites() {
		rl, err := channel.NewLink(channel.Config{
			Satellite: sat, Plan: r.geo.Plan, Channel: r.scn.Channel, Seed: uint64(r.scn.Seed)<<8 | uint64(i),
		})
		if err != nil {
			return err
		}
		r.relays[sat] = rl
		rad := newRadio(rl, r.clk)
		r.radios[sat] = rad
		for _, st := range r.geo.Stations {
			// Ground's reports reach the relay at the simulated time ground
			// sends them.
			if err := gs.SetUplink(r.stationName(sat, st.Name), func(tc []byte) error {
				rl.Uplink(r.clk.Now(), st.Name, tc)
				return nil
			}); err != nil {
				return fmt.Errorf("sim: %w", err)
			}
		}

		fcfg := flight.DefaultConfig()
		fcfg.DataDir = filepath.Join(dir, "flight-"+fmt.Sprint(i))
		fcfg.KeyFile = keyFile
		fcfg.Triager = r.rec
		fcfg.Contacts = r.geo.ContactsOf(sat)
		fcfg.Radio = rad
		fcfg.MetricsAddr = ""
		fcfg.Link = gcfg.Link
		// Send in bursts of up to a clock step of airtime.
		fcfg.PacingQuantum = r.opts.MinStep
		// With everything sent and awaiting a report, re-plan as often as
		// ground reports (every 5 s) rather than every second.
		fcfg.ReplanIdle = 5 * time.Second
		fcfg.Clock, fcfg.Logger = r.clk, r.log.With("satellite", sat)
		fs, err := flight.New(fcfg)
		if err != nil {
			return fmt.Errorf("sim: flight %s: %w", sat, err)
		}
		r.flights[sat] = fs
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fs.Run(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("sim: flight %s: %w", sat, err)
			}
		}()
		if err := ready(ctx, fs.Ready(), errc, "flight "+sat); err != nil {
			return err
		}
	}
	r.consumer = consumer.New(r.clk, r.world.Events)
	r.errc = errc
	return r.consumer.Run(ctx, gs.NATSURL(), nats.UserInfo(reader.User, reader.Password.Reveal()))
}

// simReader is the responder's read-only user, with a random password.
func simReader() (ground.NATSReader, error) {
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return ground.NATSReader{}, fmt.Errorf("sim: %w", err)
	}
	return ground.NATSReader{User: "sim-responder", Password: settings.Secret(hex.EncodeToString(pw[:]))}, nil
}

func ready(ctx context.Context, ch <-chan struct{}, errc <-chan error, what string) error {
	select {
	case <-ch:
		return nil
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(60 * time.Second):
		return fmt.Errorf("sim: %s not ready after 60 s", what)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
