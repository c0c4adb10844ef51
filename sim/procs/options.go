package procs

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"time"

	"github.com/skysieve/skysieve/sim/scenario"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
)

// Named errors; each is wrapped with the detail.
var (
	// ErrOptions: Options are incomplete or out of range.
	ErrOptions = errors.New("procs: invalid options")
	// ErrChild: a child process failed to start, to become ready, or exited
	// when nobody killed it.
	ErrChild = errors.New("procs: child process failed")
	// ErrInventory: flight's store file could not be read.
	ErrInventory = errors.New("procs: cannot read flight's store")
)

// Target names a child process.
type Target string

// The two children.
const (
	Flight Target = "flight"
	Ground Target = "ground"
)

// Kill is one SIGKILL of a child during a contact window; the child is
// started again on the same data dir at once.
type Kill struct {
	Target Target
	// Contact is the window's index (0 is the first).
	Contact int
	// After is the offset into the window.
	After time.Duration
}

// Options configure one Run. FlightBin, GroundBin and Dir are required;
// every other zero field takes the default shown beside it.
type Options struct {
	// FlightBin and GroundBin are the bin/flight and bin/ground executables.
	FlightBin, GroundBin string
	// Dir holds everything of the run: flight/ and ground/ data dirs,
	// spool/, the configs, the contact plan and the children's logs. It
	// should be empty (a fresh run).
	Dir string
	// ORTLibrary is passed to flight as ort.library and SKYSIEVE_ORT_LIB.
	// Default triage.DefaultRuntimePath().
	ORTLibrary string
	// ModelPath is passed to flight as triage.model. Default
	// triage.DefaultModelPath().
	ModelPath string

	// Scenes go into flight's spool before the first contact. Default
	// DefaultScenes(Seed, SceneCount, SceneSizePx).
	Scenes []*scene.Scene
	// SceneCount (4) and SceneSizePx (256) size the default scenes.
	SceneCount, SceneSizePx int
	// Seed fixes the default scenes and the channel's loss pattern (1).
	Seed uint64

	// Contacts windows (4) of ContactDuration (8 s), ContactGap (2 s)
	// apart; the first starts FirstContactIn (2 s) after flight is
	// started with the plan.
	Contacts        int
	ContactDuration time.Duration
	ContactGap      time.Duration
	FirstContactIn  time.Duration
	// RateBitsPerSec is every window's rate; 0 sizes it to the queue
	// (SizeRate): the queue's source frames, scaled for ExpectedLoss, fill
	// QueueContacts (1.5) windows. The planner's repair symbols come on
	// top (measured: about 1.9 windows in all), so by default the queue
	// spans the first two windows and the last two are slack for the
	// kills and lost acknowledgements.
	RateBitsPerSec float64
	QueueContacts  float64
	// MinRateBitsPerSec floors the sized rate (8 kbit/s).
	MinRateBitsPerSec float64
	// ExpectedLoss is the frame loss flight plans for and the channel
	// applies (0.05); Channel adds bursts, bit errors, duplicates and
	// reordering on top (DefaultChannel when zero).
	ExpectedLoss float64
	Channel      scenario.Channel

	// FrameBytes is the TM frame length both children use (512, within
	// 128..2048): short frames cut a detection into several symbols, so
	// kills find items partly sent and partly reassembled.
	FrameBytes int

	// Kills are the faults, in any order; each must fall inside its window.
	Kills []Kill

	// ReadyTimeout bounds each child's start (60 s). SettleTimeout bounds
	// the wait after the last window for publishing to finish (30 s);
	// SettleQuiet is how long the stream must stay unchanged (1.5 s).
	ReadyTimeout  time.Duration
	SettleTimeout time.Duration
	SettleQuiet   time.Duration
	// IntakeTimeout bounds the wait for flight to triage the scenes (5 min).
	IntakeTimeout time.Duration

	// Logger receives progress lines. Default: discard.
	Logger *slog.Logger
}

// DefaultChannel is a mild channel: short loss bursts, a bit error now and
// then (the frame CRC catches them), a few duplicated and reordered
// frames, and 5% of uplink reports lost.
func DefaultChannel() scenario.Channel {
	return scenario.Channel{
		GoodToBad: 0.01, BadToGood: 0.3, LossGood: 0, LossBad: 0.5,
		HorizonFadeDeg: 10,
		BERZenith:      1e-7, BERHorizon: 1e-6,
		Duplicate: 0.01, Reorder: 0.01, ReorderDelay: 20 * time.Millisecond,
		UplinkLoss:       0.05,
		PropagationDelay: 5 * time.Millisecond,
	}
}

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	if o.ORTLibrary == "" {
		o.ORTLibrary = triage.DefaultRuntimePath()
	}
	if o.ModelPath == "" {
		o.ModelPath = triage.DefaultModelPath()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.SceneCount == 0 {
		o.SceneCount = 4
	}
	if o.SceneSizePx == 0 {
		o.SceneSizePx = 256
	}
	if o.Contacts == 0 {
		o.Contacts = 4
	}
	if o.ContactDuration == 0 {
		o.ContactDuration = 8 * time.Second
	}
	if o.ContactGap == 0 {
		o.ContactGap = 2 * time.Second
	}
	if o.FirstContactIn == 0 {
		o.FirstContactIn = 2 * time.Second
	}
	if o.FrameBytes == 0 {
		o.FrameBytes = 512
	}
	if o.QueueContacts == 0 {
		o.QueueContacts = 1.5
	}
	if o.MinRateBitsPerSec == 0 {
		o.MinRateBitsPerSec = 8_000
	}
	if o.ExpectedLoss == 0 {
		o.ExpectedLoss = 0.05
	}
	if o.Channel == (scenario.Channel{}) {
		o.Channel = DefaultChannel()
	}
	if o.Channel.HorizonFadeDeg == 0 {
		// The relay divides by it; a constant-elevation window would give NaN.
		o.Channel.HorizonFadeDeg = 10
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = time.Minute
	}
	if o.SettleTimeout == 0 {
		o.SettleTimeout = 30 * time.Second
	}
	if o.SettleQuiet == 0 {
		o.SettleQuiet = 1500 * time.Millisecond
	}
	if o.IntakeTimeout == 0 {
		o.IntakeTimeout = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Kills = slices.Clone(o.Kills)
	slices.SortFunc(o.Kills, func(a, b Kill) int {
		if a.Contact != b.Contact {
			return a.Contact - b.Contact
		}
		return int(a.After - b.After)
	})
	return o
}

func bad(field string, value any, why string) error {
	return fmt.Errorf("%w: %s = %v: %s", ErrOptions, field, value, why)
}

// validate checks defaulted options and names the first bad field.
func (o Options) validate() error {
	for _, f := range []struct{ name, path string }{{"FlightBin", o.FlightBin}, {"GroundBin", o.GroundBin}} {
		if f.path == "" {
			return bad(f.name, `""`, "required")
		}
		if fi, err := os.Stat(f.path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return bad(f.name, f.path, "not an executable file")
		}
	}
	switch {
	case o.Dir == "":
		return bad("Dir", `""`, "required")
	case o.Contacts < 1:
		return bad("Contacts", o.Contacts, "need at least one window")
	case o.ContactDuration < time.Second:
		return bad("ContactDuration", o.ContactDuration, "must be at least 1s")
	case o.ContactGap < 0:
		return bad("ContactGap", o.ContactGap, "must not be negative")
	case o.FirstContactIn < 0:
		return bad("FirstContactIn", o.FirstContactIn, "must not be negative")
	case o.RateBitsPerSec < 0 || math.IsNaN(o.RateBitsPerSec) || math.IsInf(o.RateBitsPerSec, 0):
		return bad("RateBitsPerSec", o.RateBitsPerSec, "must be a non-negative number")
	case !(o.QueueContacts > 0):
		return bad("QueueContacts", o.QueueContacts, "must be positive")
	case !(o.MinRateBitsPerSec > 0):
		return bad("MinRateBitsPerSec", o.MinRateBitsPerSec, "must be positive")
	case !(o.ExpectedLoss >= 0 && o.ExpectedLoss < 0.9):
		return bad("ExpectedLoss", o.ExpectedLoss, "must be in [0, 0.9)")
	case o.FrameBytes < 128 || o.FrameBytes > 2048:
		return bad("FrameBytes", o.FrameBytes, "must be in 128..2048")
	case o.Scenes == nil && (o.SceneCount < 1 || o.SceneSizePx < 64):
		return bad("SceneCount/SceneSizePx", fmt.Sprintf("%d/%d", o.SceneCount, o.SceneSizePx), "need at least one scene of at least 64 px")
	}
	for i, k := range o.Kills {
		switch {
		case k.Target != Flight && k.Target != Ground:
			return bad(fmt.Sprintf("Kills[%d].Target", i), k.Target, `want "flight" or "ground"`)
		case k.Contact < 0 || k.Contact >= o.Contacts:
			return bad(fmt.Sprintf("Kills[%d].Contact", i), k.Contact, fmt.Sprintf("want 0..%d", o.Contacts-1))
		case k.After < 0 || k.After >= o.ContactDuration:
			return bad(fmt.Sprintf("Kills[%d].After", i), k.After, "must fall inside the window")
		}
	}
	for i, sc := range o.Scenes {
		if sc == nil {
			return bad(fmt.Sprintf("Scenes[%d]", i), "nil", "a scene is required")
		}
	}
	return nil
}
