package flight

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/plan"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/flight/store"
	"github.com/skysieve/skysieve/triage"
)

// ErrConfig is wrapped by every configuration error; the message names the
// bad key and its value.
var ErrConfig = errors.New("flight: invalid configuration")

// Config is everything a flight service needs, in one struct (as
// nats-server's Options): New takes it, the binary fills it from viper,
// the simulator and tests build it in code. Zero fields take the
// DefaultConfig values in New.
type Config struct {
	// DataDir holds flight.db (the store, custody and link state).
	DataDir string
	// SpoolDir is the camera's hand-off folder; empty disables spool
	// intake (the simulator calls Submit instead).
	SpoolDir string
	// QuarantineDir receives unreadable scenes. Default DataDir/quarantine.
	QuarantineDir string
	// SpoolPoll is how often the spool is scanned (on Clock).
	SpoolPoll time.Duration
	// MaxSceneAttempts bounds how often a scene whose triage fails is tried
	// before it is quarantined.
	MaxSceneAttempts int
	// SpoolBacklog is how many finished spool scenes are triaged together,
	// back to back through one pipeline (triage.TriageScenes), when the
	// spool holds a backlog: ONNX Runtime then waits between scenes only
	// once per group. They are all in memory at once (a 512×512 six-band
	// scene is 6 MB of float32 before its results): in the flight
	// benchmark 4 cost about 40 MB of RSS over 1 for about 5% more scenes
	// per second beside a transmitting radio.
	SpoolBacklog int

	// Spool hardening: when a spool file is taken, how much memory reading
	// it may cost, and when intake resumes after back-pressure.
	//
	// SpoolSettle: a spool file is taken once its size and modification
	// time have stayed the same for this long (on Clock), so a scene
	// written in place under its final name is not read half-written. The
	// recommended hand-off writes under a hidden, .tmp or .part name and
	// renames: such a file is taken as soon as the rename is seen.
	SpoolSettle time.Duration
	// SpoolMaxSceneBytes is the memory budget of scene reading: the decoded
	// float32 planes plus the reader's buffers (scene.WithMaxBytes) of one
	// scene, and of all the scenes of a backlog group together. A scene
	// over it is quarantined from its header, before decoding. The default,
	// 48 MiB (a 1390×1390 six-band native scene, about 12 Mpx of one
	// uint16 band), keeps flight within 256 MB of RSS: measured, peak RSS
	// is about 100 MB (ONNX Runtime, the model, the service) plus 2.5 times
	// the scene bytes in hand (triage's working memory and the heap's
	// growth between collections), 188 MB for scenes at the default.
	SpoolMaxSceneBytes int64
	// SpoolResumeBytes is intake's low watermark: after the store refused
	// a scene for back-pressure, no refused scene is triaged again until
	// the store holds fewer bytes than this. Default 90% of the store's
	// high watermark.
	SpoolResumeBytes int64

	// Triage configures the onboard triage engine (model, thresholds,
	// ONNX Runtime). Triager, when set, replaces the engine.
	Triage  triage.Config
	Triager Triager
	// PriorityClasses maps detection classes to priority classes (0 most
	// urgent: it preempts a pass under way); others get
	// DefaultPriorityClass.
	PriorityClasses      map[string]int
	DefaultPriorityClass int

	// Store configures the durable store (quotas, expiry). Its Clock and
	// Logger default to the service's.
	Store store.Options
	// SweepEvery is how often expired items are swept from the store.
	SweepEvery time.Duration

	// Link is the space link both ends agree on (frame length, spacecraft
	// id, SPIs...). KeyFile names the SDLS key file (mode 0600 or
	// stricter). Without one, or with the public development keys in it,
	// New refuses to start unless InsecureDevKeys is set
	// (--insecure-dev-keys); see downlink/linkkeys.
	Link            link.Config
	KeyFile         string
	InsecureDevKeys bool

	// ContactPlanFile is a contact plan (downlink/contact JSON); Contacts
	// are added in-process (the simulator). SetContacts replaces both.
	ContactPlanFile string
	Contacts        []contact.Contact

	// Radio is the link to the ground. Nil: UDP, one frame per datagram,
	// from RadioListen to RadioPeer (uplink frames arrive on RadioListen).
	Radio       Radio
	RadioListen string
	RadioPeer   string
	// PacingQuantum: the radio loop sleeps once its frames are this far
	// ahead of the clock (frames go out at the contact's rate, in bursts no
	// longer than this).
	PacingQuantum time.Duration

	// PlanConfidence is the probability each planned item completes in its
	// pass (see downlink/plan); 0 means plan.DefaultConfidence.
	PlanConfidence float64
	// PlanFeedbackConfidence is the completion probability parity is sized
	// for when an item's last frame leaves at least PlanFeedbackDelay of
	// the contact for the ground's report to come back: the loop re-plans
	// on each report and repairs exactly what was lost (see downlink/plan).
	// 0 means DefaultFeedbackConfidence; set it to PlanConfidence to size
	// every item for PlanConfidence.
	PlanFeedbackConfidence float64
	// PlanFeedbackDelay is how long after an item's last frame the ground's
	// report on it is back on board: the ground's report interval plus the
	// time on air of a report and a frame in hand, with a margin.
	PlanFeedbackDelay time.Duration
	// MaxPlanItems bounds the detections read from the store per plan.
	MaxPlanItems int
	// RecordBonus is added to a detection's value for its record (the
	// alert itself) over its chip (the evidence), so records go first.
	RecordBonus float64
	// BundleMaxBytes bounds a bundle: detections not yet on the link are
	// sent several to one item (downlink/bundle), so their frames' padding
	// and headers are paid once. A pass also never forms a bundle over a
	// quarter of what it has left to carry. 0 means DefaultBundleMaxBytes;
	// negative turns bundling off (each detection goes as a record item
	// and a chip item).
	BundleMaxBytes int
	// ReplanIdle: with nothing to send in a contact (all awaiting reports),
	// the radio loop re-plans this often.
	ReplanIdle time.Duration

	// MetricsAddr serves /metrics, /livez and /readyz; empty disables.
	// The default is 127.0.0.1:9464 on the ground and off in the linux/arm64
	// flight build (see defaults_*.go).
	MetricsAddr string
	// HousekeepingEvery is how often, during a contact, a housekeeping
	// packet goes down.
	HousekeepingEvery time.Duration
	// HousekeepingShare is the largest fraction of a contact's air time
	// housekeeping may take: on a narrow link, where one packet is many
	// seconds on air, packets are spaced further apart than
	// HousekeepingEvery to keep to it.
	HousekeepingShare float64

	// Clock is the time source for everything the service schedules.
	// Default clock.Real{}.
	Clock clock.Clock
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a configuration that runs out of the box once a
// key file is named (or InsecureDevKeys set): data under
// ./skysieve-flight, no spool, UDP radio on loopback.
func DefaultConfig() Config {
	return Config{
		DataDir:              "skysieve-flight",
		SpoolPoll:            time.Second,
		MaxSceneAttempts:     3,
		SpoolBacklog:         4,
		SpoolSettle:          DefaultSpoolSettle,
		SpoolMaxSceneBytes:   DefaultSpoolMaxSceneBytes,
		MetricsAddr:          defaultMetricsAddr,
		HousekeepingEvery:    30 * time.Second,
		HousekeepingShare:    0.01,
		Triage:               triage.DefaultConfig(),
		PriorityClasses:      map[string]int{record.ClassFire: 0, record.ClassFlood: 1, record.ClassVessel: 2},
		DefaultPriorityClass: 3,
		SweepEvery:           time.Minute,
		Link:                 link.DefaultConfig(),
		RadioListen:          "127.0.0.1:7401",
		RadioPeer:            "127.0.0.1:7400",
		PacingQuantum:        10 * time.Millisecond,
		MaxPlanItems:         5000,
		RecordBonus:          1,
		BundleMaxBytes:       DefaultBundleMaxBytes,
		ReplanIdle:           time.Second,
		PlanFeedbackDelay:    20 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.DataDir == "" {
		c.DataDir = d.DataDir
	}
	if c.QuarantineDir == "" {
		c.QuarantineDir = filepath.Join(c.DataDir, "quarantine")
	}
	if c.SpoolPoll == 0 {
		c.SpoolPoll = d.SpoolPoll
	}
	if c.MaxSceneAttempts == 0 {
		c.MaxSceneAttempts = d.MaxSceneAttempts
	}
	if c.SpoolBacklog == 0 {
		c.SpoolBacklog = d.SpoolBacklog
	}
	if c.SpoolSettle == 0 {
		c.SpoolSettle = d.SpoolSettle
	}
	if c.SpoolMaxSceneBytes == 0 {
		c.SpoolMaxSceneBytes = d.SpoolMaxSceneBytes
	}
	if c.HousekeepingShare == 0 {
		c.HousekeepingShare = d.HousekeepingShare
	}
	if c.HousekeepingEvery == 0 {
		c.HousekeepingEvery = d.HousekeepingEvery
	}
	if c.PriorityClasses == nil {
		c.PriorityClasses = d.PriorityClasses
		if c.DefaultPriorityClass == 0 {
			c.DefaultPriorityClass = d.DefaultPriorityClass
		}
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = d.SweepEvery
	}
	if c.Link.FrameBytes == 0 {
		c.Link = d.Link
	}
	if c.RadioListen == "" {
		c.RadioListen = d.RadioListen
	}
	if c.RadioPeer == "" {
		c.RadioPeer = d.RadioPeer
	}
	if c.PacingQuantum == 0 {
		c.PacingQuantum = d.PacingQuantum
	}
	if c.MaxPlanItems == 0 {
		c.MaxPlanItems = d.MaxPlanItems
	}
	if c.BundleMaxBytes == 0 {
		c.BundleMaxBytes = d.BundleMaxBytes
	}
	if c.PlanFeedbackConfidence == 0 {
		c.PlanFeedbackConfidence = DefaultFeedbackConfidence
	}
	if c.PlanFeedbackDelay == 0 {
		c.PlanFeedbackDelay = d.PlanFeedbackDelay
	}
	if c.ReplanIdle == 0 {
		c.ReplanIdle = d.ReplanIdle
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func badKey(key string, value any, why string) error {
	return fmt.Errorf("%w: %s = %v: %s", ErrConfig, key, value, why)
}

// Validate checks the configuration and names the first bad key.
func (c Config) Validate() error {
	switch {
	case c.SpoolPoll <= 0:
		return badKey("spool_poll", c.SpoolPoll, "must be positive")
	case c.MaxSceneAttempts <= 0:
		return badKey("max_scene_attempts", c.MaxSceneAttempts, "must be positive")
	case c.SpoolBacklog <= 0 || c.SpoolBacklog > maxSpoolBacklog:
		return badKey("spool_backlog", c.SpoolBacklog, fmt.Sprintf("must be 1..%d (scenes held in memory at once)", maxSpoolBacklog))
	case c.SpoolSettle < 0:
		return badKey("spool_settle", c.SpoolSettle, "must not be negative")
	case c.SpoolMaxSceneBytes < minSpoolSceneBytes:
		return badKey("spool_max_scene_bytes", c.SpoolMaxSceneBytes, fmt.Sprintf("must be at least %d (1 MiB)", minSpoolSceneBytes))
	case c.SpoolResumeBytes < 0:
		return badKey("spool_resume_bytes", c.SpoolResumeBytes, "must not be negative")
	case c.SpoolResumeBytes > 0 && c.Store.HighWaterBytes > 0 && c.SpoolResumeBytes > c.Store.HighWaterBytes:
		return badKey("spool_resume_bytes", c.SpoolResumeBytes, "must not pass store.high_water_bytes")
	case c.HousekeepingEvery <= 0:
		return badKey("housekeeping_every", c.HousekeepingEvery, "must be positive")
	case !(c.HousekeepingShare > 0 && c.HousekeepingShare <= 1):
		return badKey("housekeeping_share", c.HousekeepingShare, "must be in (0, 1]")
	case c.SweepEvery <= 0:
		return badKey("sweep_every", c.SweepEvery, "must be positive")
	case c.PacingQuantum <= 0:
		return badKey("radio.pacing_quantum", c.PacingQuantum, "must be positive")
	case c.ReplanIdle <= 0:
		return badKey("plan.replan_idle", c.ReplanIdle, "must be positive")
	case c.MaxPlanItems <= 0:
		return badKey("plan.max_items", c.MaxPlanItems, "must be positive")
	case c.PlanConfidence != 0 && !(c.PlanConfidence >= 0.5 && c.PlanConfidence < 1):
		return badKey("plan.confidence", c.PlanConfidence, "must be in [0.5, 1)")
	case !(c.PlanFeedbackConfidence >= 0.5 && c.PlanFeedbackConfidence <= planConfidence(c.PlanConfidence)):
		return badKey("plan.feedback_confidence", c.PlanFeedbackConfidence, "must be in [0.5, plan.confidence]")
	case c.PlanFeedbackDelay < 0:
		return badKey("plan.feedback_delay", c.PlanFeedbackDelay, "must not be negative")
	case !(c.RecordBonus >= 0):
		return badKey("plan.record_bonus", c.RecordBonus, "must be non-negative")
	case c.DefaultPriorityClass < 0 || c.DefaultPriorityClass > store.MaxPriorityClass:
		return badKey("default_priority_class", c.DefaultPriorityClass, fmt.Sprintf("must be in 0..%d", store.MaxPriorityClass))
	}
	if err := c.validateStore(); err != nil {
		return err
	}
	for class, p := range c.PriorityClasses {
		if p < 0 || p > store.MaxPriorityClass {
			return badKey("priority_classes."+class, p, fmt.Sprintf("must be in 0..%d", store.MaxPriorityClass))
		}
	}
	switch {
	case c.Link.FrameBytes < 128 || c.Link.FrameBytes > 2048:
		return badKey("link.frame_bytes", c.Link.FrameBytes, "must be in 128..2048")
	case c.Link.SpacecraftID > 1023:
		return badKey("link.spacecraft_id", c.Link.SpacecraftID, "must be in 0..1023")
	case c.Link.DownlinkSPI == 0:
		return badKey("link.downlink_spi", c.Link.DownlinkSPI, "must be set")
	case c.Link.UplinkSPI == 0:
		return badKey("link.uplink_spi", c.Link.UplinkSPI, "must be set")
	}
	if err := c.Link.Validate(); err != nil {
		return badKey("link", fmt.Sprintf("%+v", c.Link), err.Error())
	}
	if c.SpoolDir != "" {
		if fi, err := os.Stat(c.SpoolDir); err != nil || !fi.IsDir() {
			return badKey("spool_dir", c.SpoolDir, "is not a readable directory")
		}
	}
	return nil
}

// storeDefaultHardLimit is flight/store's hard limit when none is set: a
// high watermark above it would be lowered by the store without a word.
const storeDefaultHardLimit = 1 << 30

// validateStore refuses store options the store would otherwise replace
// by its defaults (zero means "default"; anything else must be right).
func (c Config) validateStore() error {
	o := c.Store
	hard := o.HardLimitBytes
	if hard == 0 {
		hard = storeDefaultHardLimit
	}
	switch {
	case o.HardLimitBytes < 0:
		return badKey("store.hard_limit_bytes", o.HardLimitBytes, "must be positive (0: 1 GiB)")
	case o.HighWaterBytes < 0:
		return badKey("store.high_water_bytes", o.HighWaterBytes, "must be positive (0: 80% of store.hard_limit_bytes)")
	case o.HighWaterBytes > hard:
		return badKey("store.high_water_bytes", o.HighWaterBytes, fmt.Sprintf("must not exceed store.hard_limit_bytes (%d)", hard))
	case o.UrgentClasses < 0 || o.UrgentClasses > store.MaxPriorityClass+1:
		return badKey("store.urgent_classes", o.UrgentClasses, fmt.Sprintf("must be in 0..%d (0: 1)", store.MaxPriorityClass+1))
	case o.MaxItemBytes < 0:
		return badKey("store.max_item_bytes", o.MaxItemBytes, "must be positive (0: 16 MiB)")
	case o.TombstoneTTL < 0:
		return badKey("store.tombstone_ttl", o.TombstoneTTL, "must be positive (0: 72h)")
	case o.MaxTombstones < 0:
		return badKey("store.max_tombstones", o.MaxTombstones, "must be positive (0: 100000)")
	case o.NextMaxSkips < 0:
		return badKey("store.next_max_skips", o.NextMaxSkips, "must be positive (0: 256)")
	case o.DefaultExpiry < 0:
		return badKey("store.default_expiry", o.DefaultExpiry, "must not be negative")
	}
	for class, d := range o.ExpiryByClass {
		if d <= 0 {
			return badKey("store.expiry."+class, d, "must be positive")
		}
	}
	return nil
}

// DefaultFeedbackConfidence is the completion probability parity is sized
// for when the ground's report comes back in the pass: one half, so an
// item goes with no parity unless the predicted loss is high; what is lost
// is repaired from the report.
const DefaultFeedbackConfidence = 0.5

// planConfidence is the planner's confidence for a configured value (0:
// the planner's default).
func planConfidence(c float64) float64 {
	if c == 0 {
		return plan.DefaultConfidence
	}
	return c
}

// DefaultBundleMaxBytes is the default Config.BundleMaxBytes: 96 KiB,
// under half a minute on a 32 kbit/s link and a fifth of a second at
// 4 Mbit/s, and large enough that the padding of its last symbol is about
// one percent of it.
const DefaultBundleMaxBytes = 96 << 10

// Spool defaults (see Config.SpoolSettle and Config.SpoolMaxSceneBytes).
const (
	DefaultSpoolSettle        = 2 * time.Second
	DefaultSpoolMaxSceneBytes = 48 << 20
	minSpoolSceneBytes        = 1 << 20
)
