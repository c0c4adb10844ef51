package procs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/sim/channel"
	"github.com/skysieve/skysieve/sim/consumer"
	"github.com/skysieve/skysieve/triage/scene"
)

// KillRecord is one fault as it happened.
type KillRecord struct {
	Kill
	// At is when SIGKILL was sent.
	At time.Time `json:"at"`
	// Downtime runs from SIGKILL to the restarted child's readiness.
	Downtime time.Duration `json:"downtime_ns"`
	// FramesBefore counts the frames flight had sent into the relay, and
	// PublishedBefore the detections the responder had read, when the
	// kill came: a kill with 0 < PublishedBefore < Tally.Stored struck
	// while the queue was being downlinked.
	FramesBefore    int64 `json:"frames_before"`
	PublishedBefore int   `json:"published_before"`
}

// Result is what one Run measured.
type Result struct {
	Tally
	// Dir is the run's folder (data dirs, configs, plan, logs).
	Dir string `json:"dir"`
	// Scenes spooled; ScenesQuarantined of them flight refused.
	Scenes            int `json:"scenes"`
	ScenesQuarantined int `json:"scenes_quarantined"`
	// QueueItems and QueueBytes are flight's queue after intake.
	QueueItems int   `json:"queue_items"`
	QueueBytes int64 `json:"queue_bytes"`
	// RateBitsPerSec is every window's rate.
	RateBitsPerSec float64  `json:"rate_bits_per_sec"`
	Windows        []Window `json:"windows"`
	// Acknowledged detections flight released with the ground's ACK;
	// HeldAtEnd those still in its custody (published or not: an ACK can
	// be lost after the last window); ReleasedOther counts other releases
	// by reason (expired, evicted...).
	Acknowledged  int            `json:"acknowledged"`
	HeldAtEnd     int            `json:"held_at_end"`
	ReleasedOther map[string]int `json:"released_other,omitempty"`
	// ConsumerSeen and ConsumerDuplicates are the responder's view: the
	// distinct detections its ordered consumer read, and messages with an
	// id it had already read.
	ConsumerSeen       int           `json:"consumer_seen"`
	ConsumerDuplicates int           `json:"consumer_duplicates"`
	Kills              []KillRecord  `json:"kills"`
	Relay              channel.Stats `json:"relay"`
	// Timings (wall clock).
	Wall        time.Duration `json:"wall_ns"`
	GroundStart time.Duration `json:"ground_start_ns"`
	FlightStart time.Duration `json:"flight_start_ns"`
	// Intake runs from spooling to an empty spool (triage and storage).
	Intake time.Duration `json:"intake_ns"`
	// Latency runs from spooling a scene to the responder reading one of
	// its detections.
	LatencyP50 time.Duration `json:"latency_p50_ns"`
	LatencyP99 time.Duration `json:"latency_p99_ns"`
	LatencyMax time.Duration `json:"latency_max_ns"`
	// SettleAfterLOS is how long after the last window the stream stopped
	// growing.
	SettleAfterLOS time.Duration `json:"settle_after_los_ns"`
}

// run is one Run's state.
type run struct {
	o       Options
	dirs    struct{ flight, ground, spool string }
	flight  *child
	ground  *child
	exits   chan error
	natsURL string
	// flightRadio and groundRadio are the fixed UDP ports.
	flightRadio, groundRadio *net.UDPAddr
	// keyFile is the run's link key file (generated, mode 0600);
	// readerUser and readerPassword the responder's read-only NATS user.
	keyFile                    string
	readerUser, readerPassword string
}

// Run runs the processes mode end to end (see the package doc) and
// returns what it measured. An error means the run could not be carried
// out (bad options, a child that would not start or died on its own); lost
// or duplicated detections are results, not errors. Every child process
// is gone when Run returns.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	r := &run{o: o, exits: make(chan error, 4)}
	if err := r.setup(); err != nil {
		return nil, err
	}
	defer r.killAll()
	res := &Result{Dir: o.Dir}
	if err := r.execute(ctx, res); err != nil {
		return res, err
	}
	res.Wall = time.Since(start)
	return res, nil
}

func (r *run) setup() error {
	o := r.o
	r.dirs.flight = filepath.Join(o.Dir, "flight")
	r.dirs.ground = filepath.Join(o.Dir, "ground")
	r.dirs.spool = filepath.Join(o.Dir, "spool")
	for _, d := range []string{r.dirs.flight, r.dirs.ground, r.dirs.spool} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("procs: %w", err)
		}
	}
	var ports [5]int
	taken := map[int]bool{}
	for i, network := range []string{"udp", "udp", "tcp", "tcp", "tcp"} {
		// The kernel may hand a port out again once closed: skip repeats.
		for tries := 0; ports[i] == 0 || taken[ports[i]]; tries++ {
			if tries == 10 {
				return fmt.Errorf("procs: no distinct free %s port after %d tries", network, tries)
			}
			p, err := freePort(network)
			if err != nil {
				return fmt.Errorf("procs: reserve a %s port: %w", network, err)
			}
			ports[i] = p
		}
		taken[ports[i]] = true
	}
	lo := net.IPv4(127, 0, 0, 1)
	r.flightRadio = &net.UDPAddr{IP: lo, Port: ports[0]}
	r.groundRadio = &net.UDPAddr{IP: lo, Port: ports[1]}
	natsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2]))
	r.natsURL = "nats://" + natsAddr
	env := childEnv(o)
	r.ground = &child{target: Ground, bin: o.GroundBin, env: env, exits: r.exits,
		args:     []string{"run", "--config", filepath.Join(o.Dir, "ground.yaml")},
		logPath:  filepath.Join(o.Dir, "ground.log"),
		httpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[3]))}
	r.flight = &child{target: Flight, bin: o.FlightBin, env: env, exits: r.exits,
		args:     []string{"run", "--config", filepath.Join(o.Dir, "flight.yaml")},
		logPath:  filepath.Join(o.Dir, "flight.log"),
		httpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[4]))}
	// The children never run on the public development keys: a fresh key
	// set per run folder (kept across the run's restarts).
	r.keyFile = filepath.Join(o.Dir, "link.keys")
	if _, err := os.Stat(r.keyFile); errors.Is(err, fs.ErrNotExist) {
		if err := linkkeys.Generate(r.keyFile); err != nil {
			return fmt.Errorf("procs: %w", err)
		}
	}
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return fmt.Errorf("procs: %w", err)
	}
	r.readerUser, r.readerPassword = "procs-responder", hex.EncodeToString(pw[:])
	groundYAML := fmt.Sprintf(`data_dir: %q
key_file: %q
udp:
  - station: %q
    listen: %q
nats:
  listen: %q
  readers:
    - user: %q
      password: %q
metrics_addr: %q
report_interval: 500ms
contact_idle: 2s
link:
  frame_bytes: %d
`, r.dirs.ground, r.keyFile, Station, r.groundRadio.String(), natsAddr, r.readerUser, r.readerPassword, r.ground.httpAddr, o.FrameBytes)
	return writeFile(filepath.Join(o.Dir, "ground.yaml"), groundYAML)
}

// childEnv is the parent's environment without SKYSIEVE_ overrides (the
// configs say everything), plus the ONNX Runtime library and the model.
func childEnv(o Options) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SKYSIEVE_") {
			env = append(env, kv)
		}
	}
	return append(env, "SKYSIEVE_ORT_LIB="+o.ORTLibrary, "SKYSIEVE_MODEL="+o.ModelPath)
}

// writeFlightConfig writes flight.yaml sending to peer, with the contact
// plan file when plan is not empty.
func (r *run) writeFlightConfig(peer, plan string) error {
	y := fmt.Sprintf(`data_dir: %q
key_file: %q
spool_dir: %q
spool_poll: 100ms
metrics_addr: %q
housekeeping_every: 5s
radio:
  listen: %q
  peer: %q
plan:
  replan_idle: 200ms
link:
  frame_bytes: %d
ort:
  library: %q
triage:
  model: %q
`, r.dirs.flight, r.keyFile, r.dirs.spool, r.flight.httpAddr, r.flightRadio.String(), peer, r.o.FrameBytes, r.o.ORTLibrary, r.o.ModelPath)
	if plan != "" {
		y += fmt.Sprintf("contact_plan: %q\n", plan)
	}
	return writeFile(filepath.Join(r.o.Dir, "flight.yaml"), y)
}

// writeFile writes a child's config, mode 0600: the ground's holds the
// responder's NATS password.
func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("procs: %w", err)
	}
	return nil
}

// killAll ends every child still running.
func (r *run) killAll() {
	for _, c := range []*child{r.flight, r.ground} {
		if c != nil && c.running() {
			_ = c.kill()
		}
	}
}

// startChild starts c and waits for its readiness, returning how long
// that took.
func (r *run) startChild(ctx context.Context, c *child) (time.Duration, error) {
	t0 := time.Now()
	if err := c.start(); err != nil {
		return 0, err
	}
	if err := c.waitReady(ctx, r.o.ReadyTimeout); err != nil {
		return 0, err
	}
	r.o.Logger.Info("child ready", "target", c.target, "start", c.starts, "after", time.Since(t0).Round(time.Millisecond))
	return time.Since(t0), nil
}

// sleepUntil waits for t, failing early if ctx ends or a child exits on
// its own.
func (r *run) sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return r.childError()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-r.exits:
		return err
	case <-tm.C:
		return nil
	}
}

// childError reports a child's unrequested exit, if any.
func (r *run) childError() error {
	select {
	case err := <-r.exits:
		return err
	default:
		return nil
	}
}

func (r *run) execute(ctx context.Context, res *Result) error {
	o := r.o
	var err error
	if res.GroundStart, err = r.startChild(ctx, r.ground); err != nil {
		return err
	}

	// Intake: scenes into the spool, flight with no contacts triages them.
	spooledAt := time.Now()
	scenes := o.Scenes
	if scenes == nil {
		scenes = DefaultScenes(o.Seed, o.SceneCount, o.SceneSizePx, spooledAt.UTC())
	}
	for _, sc := range scenes {
		if err := scene.WriteFile(filepath.Join(r.dirs.spool, sc.ID+".skyscene"), sc); err != nil {
			return fmt.Errorf("procs: spool scene %s: %w", sc.ID, err)
		}
	}
	res.Scenes = len(scenes)
	// Nothing is sent without contacts; the discard port stands in for
	// the relay, which needs the plan first.
	if err := r.writeFlightConfig("127.0.0.1:9", ""); err != nil {
		return err
	}
	if res.FlightStart, err = r.startChild(ctx, r.flight); err != nil {
		return err
	}
	if err := r.waitSpoolEmpty(ctx); err != nil {
		return err
	}
	res.Intake = time.Since(spooledAt)
	page, err := r.flight.metrics()
	if err != nil {
		return err
	}
	items, _, err := sumMetric(page, "skysieve_flight_queue_items")
	if err != nil {
		return err
	}
	qbytes, _, err := sumMetric(page, "skysieve_flight_queue_bytes")
	if err != nil {
		return err
	}
	quarantined, err := metricLabel(page, "skysieve_flight_scenes_total", `outcome="quarantined"`)
	if err != nil {
		return err
	}
	res.QueueItems, res.QueueBytes, res.ScenesQuarantined = int(items), int64(qbytes), int(quarantined)
	o.Logger.Info("intake done", "scenes", len(scenes), "detections", res.QueueItems, "bytes", res.QueueBytes, "after", res.Intake.Round(time.Millisecond))
	if err := r.flight.stop(); err != nil {
		return err
	}

	// Contacts: the plan, the relay, flight again with the plan.
	res.RateBitsPerSec = o.RateBitsPerSec
	if res.RateBitsPerSec == 0 {
		// Flight bundles the queued detections: a few link items, one or
		// more per priority class (fire, flood, vessel, other).
		lc := link.DefaultConfig()
		lc.FrameBytes = o.FrameBytes
		res.RateBitsPerSec = SizeRate(lc, min(res.QueueItems, 4), res.QueueBytes, o.ExpectedLoss,
			o.ContactDuration, o.QueueContacts, o.MinRateBitsPerSec)
	}
	res.Windows = Windows(time.Now().Add(o.FirstContactIn), o.Contacts, o.ContactDuration, o.ContactGap)
	planPath := filepath.Join(o.Dir, "contacts.json")
	if err := writePlan(planPath, Contacts(res.Windows, res.RateBitsPerSec, o.ExpectedLoss)); err != nil {
		return err
	}
	relay, err := channel.NewRelay(channel.Config{
		Clock: clock.Real{}, Satellite: Satellite,
		Plan:    Passes(res.Windows, res.RateBitsPerSec, o.ExpectedLoss),
		Ground:  func(string) (*net.UDPAddr, error) { return r.groundRadio, nil },
		Channel: o.Channel, Seed: o.Seed,
	})
	if err != nil {
		return fmt.Errorf("procs: relay: %w", err)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() { _ = relay.Run(relayCtx); close(relayDone) }()
	defer func() { stopRelay(); <-relayDone }()
	if err := r.writeFlightConfig(relay.FlightAddr().String(), planPath); err != nil {
		return err
	}
	if _, err := r.startChild(ctx, r.flight); err != nil {
		return err
	}

	// The responder, reading from the first message.
	consCtx, stopCons := context.WithCancel(ctx)
	defer stopCons()
	cons := consumer.New(clock.Real{}, nil)
	asReader := nats.UserInfo(r.readerUser, r.readerPassword)
	if err := cons.Run(consCtx, r.natsURL, asReader); err != nil {
		return fmt.Errorf("procs: %w", err)
	}
	nc, err := nats.Connect(r.natsURL, nats.Name("skysieve-procs"), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), asReader)
	if err != nil {
		return fmt.Errorf("procs: connect %s: %w", r.natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("procs: jetstream: %w", err)
	}

	// Faults.
	for _, k := range o.Kills {
		at := res.Windows[k.Contact].AOS.Add(k.After)
		if err := r.sleepUntil(ctx, at); err != nil {
			return err
		}
		c := r.flight
		if k.Target == Ground {
			c = r.ground
		}
		rec := KillRecord{Kill: k, At: time.Now(), FramesBefore: relay.Stats().FramesIn, PublishedBefore: len(cons.Snapshot().Arrivals)}
		if err := c.kill(); err != nil {
			return err
		}
		o.Logger.Info("SIGKILL", "target", k.Target, "contact", k.Contact, "after", k.After)
		if _, err := r.startChild(ctx, c); err != nil {
			return err
		}
		rec.Downtime = time.Since(rec.At)
		res.Kills = append(res.Kills, rec)
	}
	lastLOS := res.Windows[len(res.Windows)-1].LOS
	if err := r.sleepUntil(ctx, lastLOS); err != nil {
		return err
	}

	// Settle, then count on both sides.
	lastSeq, err := r.settle(ctx, js)
	if err != nil {
		return err
	}
	res.SettleAfterLOS = time.Since(lastLOS) - o.SettleQuiet
	if res.SettleAfterLOS < 0 {
		res.SettleAfterLOS = 0
	}
	res.Relay = relay.Stats()
	if err := r.flight.stop(); err != nil {
		return err
	}
	subjects, err := subjectCounts(ctx, js)
	if err != nil {
		return err
	}
	cons.WaitSeq(ctx, lastSeq, 5*time.Second)
	snap := cons.Snapshot()
	stopCons()
	nc.Close()
	if err := r.ground.stop(); err != nil {
		return err
	}
	inv, err := ReadInventory(filepath.Join(r.dirs.flight, "flight.db"))
	if err != nil {
		return err
	}
	if res.Tally, err = Compare(inv.All(), subjects); err != nil {
		return err
	}
	res.HeldAtEnd = len(inv.Held)
	for _, reason := range inv.Released {
		if reason == "acknowledged" {
			res.Acknowledged++
			continue
		}
		if res.ReleasedOther == nil {
			res.ReleasedOther = map[string]int{}
		}
		res.ReleasedOther[reason]++
	}
	res.ConsumerSeen, res.ConsumerDuplicates = len(snap.Arrivals), snap.Duplicates
	lat := make([]time.Duration, 0, len(snap.Arrivals))
	for _, a := range snap.Arrivals {
		lat = append(lat, a.ReceivedAt.Sub(spooledAt))
	}
	res.LatencyP50, res.LatencyP99, res.LatencyMax = quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 1)
	return nil
}

// waitSpoolEmpty waits until flight has taken every scene from the spool.
func (r *run) waitSpoolEmpty(ctx context.Context) error {
	deadline := time.Now().Add(r.o.IntakeTimeout)
	for {
		es, err := os.ReadDir(r.dirs.spool)
		if err != nil {
			return fmt.Errorf("procs: spool: %w", err)
		}
		left := 0
		for _, e := range es {
			if !strings.HasPrefix(e.Name(), ".") {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: flight left %d scenes in the spool after %s", ErrChild, left, r.o.IntakeTimeout)
		}
		if err := r.sleepUntil(ctx, time.Now().Add(100*time.Millisecond)); err != nil {
			return err
		}
	}
}

// settle waits until the ground's outbox is empty and the DETECTIONS
// stream has not grown for SettleQuiet, or SettleTimeout passes; it
// returns the stream's last sequence.
func (r *run) settle(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	deadline := time.Now().Add(r.o.SettleTimeout)
	var last uint64
	quietSince := time.Now()
	for {
		var seq uint64
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := js.Stream(ictx, bus.StreamDetections)
		if err == nil {
			var info *jetstream.StreamInfo
			if info, err = s.Info(ictx); err == nil {
				seq = info.State.LastSeq
			}
		}
		cancel()
		body, berr := r.ground.readyBody()
		empty := berr == nil && strings.Contains(body, "outbox: 0\n")
		if err != nil || seq != last || !empty {
			quietSince = time.Now()
		}
		last = max(last, seq)
		if time.Since(quietSince) >= r.o.SettleQuiet {
			return last, nil
		}
		if time.Now().After(deadline) {
			r.o.Logger.Warn("settle timed out", "last_seq", last, "ground", body, "err", err)
			return last, nil
		}
		if err := r.sleepUntil(ctx, time.Now().Add(100*time.Millisecond)); err != nil {
			return 0, err
		}
	}
}

// subjectCounts asks the bus for the message count of every subject on
// the DETECTIONS stream.
func subjectCounts(ctx context.Context, js jetstream.JetStream) (map[string]uint64, error) {
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := js.Stream(ictx, bus.StreamDetections)
	if err != nil {
		return nil, fmt.Errorf("procs: stream %s: %w", bus.StreamDetections, err)
	}
	info, err := s.Info(ictx, jetstream.WithSubjectFilter(bus.SubjectDetections))
	if err != nil {
		return nil, fmt.Errorf("procs: stream %s subjects: %w", bus.StreamDetections, err)
	}
	if info.State.Subjects == nil {
		return map[string]uint64{}, nil
	}
	return info.State.Subjects, nil
}

func writePlan(path string, cs []contact.Contact) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("procs: %w", err)
	}
	if err := contact.WritePlan(f, cs); err != nil {
		f.Close()
		return fmt.Errorf("procs: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("procs: %w", err)
	}
	return nil
}

// metricLabel is the sum of the family's samples whose labels contain
// label (for example `outcome="quarantined"`).
func metricLabel(page, name, label string) (float64, error) {
	var lines []string
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, name+"{") && strings.Contains(line, label) {
			lines = append(lines, line)
		}
	}
	v, _, err := sumMetric(strings.Join(lines, "\n"), name)
	return v, err
}

// quantile is the q-quantile of ds (nearest rank); 0 when ds is empty.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
