package flight

import (
	"fmt"
	"time"

	"github.com/skysieve/skysieve/downlink/logsetup"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes the environment variables that override config keys:
// key radio.peer is SKYSIEVE_RADIO_PEER.
const EnvPrefix = "SKYSIEVE"

// configKeys are the keys LoadConfig understands, each with how it sets
// the Config. Durations are Go durations ("90s"), sizes are bytes. A new
// key is one line here (the setter helpers below are strict), plus its
// range check in Config.Validate; LoadConfig, ConfigKeys, BindEnv and the
// unknown-key suggestions follow from this map.
var configKeys = map[string]func(c *Config, v any) error{
	"data_dir":                 str(func(c *Config) *string { return &c.DataDir }),
	"spool_dir":                str(func(c *Config) *string { return &c.SpoolDir }),
	"quarantine_dir":           str(func(c *Config) *string { return &c.QuarantineDir }),
	"spool_poll":               dur(func(c *Config) *time.Duration { return &c.SpoolPoll }),
	"max_scene_attempts":       integer(func(c *Config) *int { return &c.MaxSceneAttempts }),
	"spool_backlog":            integer(func(c *Config) *int { return &c.SpoolBacklog }),
	"spool_settle":             dur(func(c *Config) *time.Duration { return &c.SpoolSettle }),
	"spool_max_scene_bytes":    int64v(func(c *Config) *int64 { return &c.SpoolMaxSceneBytes }),
	"spool_resume_bytes":       int64v(func(c *Config) *int64 { return &c.SpoolResumeBytes }),
	"metrics_addr":             str(func(c *Config) *string { return &c.MetricsAddr }),
	"housekeeping_every":       dur(func(c *Config) *time.Duration { return &c.HousekeepingEvery }),
	"housekeeping_share":       float(func(c *Config) *float64 { return &c.HousekeepingShare }),
	"sweep_every":              dur(func(c *Config) *time.Duration { return &c.SweepEvery }),
	"key_file":                 str(func(c *Config) *string { return &c.KeyFile }),
	"contact_plan":             str(func(c *Config) *string { return &c.ContactPlanFile }),
	"radio.listen":             str(func(c *Config) *string { return &c.RadioListen }),
	"radio.peer":               str(func(c *Config) *string { return &c.RadioPeer }),
	"radio.pacing_quantum":     dur(func(c *Config) *time.Duration { return &c.PacingQuantum }),
	"plan.confidence":          float(func(c *Config) *float64 { return &c.PlanConfidence }),
	"plan.feedback_confidence": float(func(c *Config) *float64 { return &c.PlanFeedbackConfidence }),
	"plan.max_items":           integer(func(c *Config) *int { return &c.MaxPlanItems }),
	"plan.record_bonus":        float(func(c *Config) *float64 { return &c.RecordBonus }),
	"plan.bundle_max_bytes":    integer(func(c *Config) *int { return &c.BundleMaxBytes }),
	"plan.feedback_delay":      dur(func(c *Config) *time.Duration { return &c.PlanFeedbackDelay }),
	"plan.replan_idle":         dur(func(c *Config) *time.Duration { return &c.ReplanIdle }),
	"default_priority_class":   integer(func(c *Config) *int { return &c.DefaultPriorityClass }),
	"priority_classes": func(c *Config, v any) error {
		m, err := stringMap(v)
		if err != nil {
			return err
		}
		c.PriorityClasses = make(map[string]int, len(m))
		for class, raw := range m {
			p, err := settings.ToInt(raw)
			if err != nil {
				return fmt.Errorf("class %s: %w", class, err)
			}
			c.PriorityClasses[class] = p
		}
		return nil
	},
	"store.high_water_bytes": int64v(func(c *Config) *int64 { return &c.Store.HighWaterBytes }),
	"store.hard_limit_bytes": int64v(func(c *Config) *int64 { return &c.Store.HardLimitBytes }),
	"store.urgent_classes":   integer(func(c *Config) *int { return &c.Store.UrgentClasses }),
	"store.default_expiry":   dur(func(c *Config) *time.Duration { return &c.Store.DefaultExpiry }),
	"store.expiry": func(c *Config, v any) error {
		m, err := stringMap(v)
		if err != nil {
			return err
		}
		c.Store.ExpiryByClass = map[string]time.Duration{}
		for class, raw := range m {
			d, err := settings.ToDuration(raw)
			if err != nil {
				return fmt.Errorf("class %s: %w", class, err)
			}
			c.Store.ExpiryByClass[class] = d
		}
		return nil
	},
	"link.frame_bytes":              integer(func(c *Config) *int { return &c.Link.FrameBytes }),
	"link.spacecraft_id":            ranged(func(c *Config) *uint16 { return &c.Link.SpacecraftID }, 1023),
	"link.downlink_spi":             ranged(func(c *Config) *uint16 { return &c.Link.DownlinkSPI }, 65534),
	"link.uplink_spi":               ranged(func(c *Config) *uint16 { return &c.Link.UplinkSPI }, 65534),
	"link.max_block_k":              integer(func(c *Config) *int { return &c.Link.MaxBlockK }),
	"triage.model":                  str(func(c *Config) *string { return &c.Triage.ModelPath }),
	"ort.library":                   str(func(c *Config) *string { return &c.Triage.RuntimePath }),
	"triage.threads":                integer(func(c *Config) *int { return &c.Triage.Threads }),
	"triage.batch_size":             integer(func(c *Config) *int { return &c.Triage.BatchSize }),
	"triage.cloud_discard_fraction": float(func(c *Config) *float64 { return &c.Triage.CloudDiscardFraction }),
	"triage.chip_budget_bytes":      integer(func(c *Config) *int { return &c.Triage.ChipBudgetBytes }),
	"triage.water_layer":            str(func(c *Config) *string { return &c.Triage.WaterLayerPath }),
	"triage.freshness_half_life":    dur(func(c *Config) *time.Duration { return &c.Triage.FreshnessHalfLife }),
	"triage.flood_max_ref_water":    float(func(c *Config) *float64 { return &c.Triage.FloodMaxRefWater }),
	"triage.thresholds.fire":        threshold("fire"),
	"triage.thresholds.flood":       threshold("flood"),
	"triage.thresholds.vessel":      threshold("vessel"),
	"store.next_max_skips":          integer(func(c *Config) *int { return &c.Store.NextMaxSkips }),
	"store.max_item_bytes":          int64v(func(c *Config) *int64 { return &c.Store.MaxItemBytes }),
	"store.tombstone_ttl":           dur(func(c *Config) *time.Duration { return &c.Store.TombstoneTTL }),
	"store.max_tombstones":          integer(func(c *Config) *int { return &c.Store.MaxTombstones }),
	"link.idle_vc":                  ranged(func(c *Config) *uint8 { return &c.Link.IdleVC }, 7),
	"link.uplink_vc":                ranged(func(c *Config) *uint8 { return &c.Link.UplinkVC }, 63),
	"insecure_dev_keys":             boolean(func(c *Config) *bool { return &c.InsecureDevKeys }),
	// The logger is the command's (downlink/logsetup); the keys are
	// checked here so a bad value is refused like any other.
	logsetup.LevelKey:  checked(func(s string) error { _, err := logsetup.ParseLevel(s); return err }),
	logsetup.FormatKey: checked(logsetup.CheckFormat),
}

// checked accepts a string value that check accepts, setting nothing.
func checked(check func(string) error) func(*Config, any) error {
	return func(_ *Config, v any) error {
		s, err := settings.ToString(v)
		if err != nil {
			return err
		}
		return check(s)
	}
}

// schema is configKeys as a strict settings.Schema; the map-valued keys
// take free class names below them.
var schema = func() *settings.Schema[Config] {
	s := settings.NewSchema[Config]()
	for k, set := range configKeys {
		s.Add(settings.Field[Config]{Key: k, Set: set})
	}
	s.MapKeys("priority_classes", "store.expiry")
	return s
}()

// stringMap accepts a YAML map (class → value).
func stringMap(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[fmt.Sprint(k)] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a map of class: value")
}

func str(f func(*Config) *string) func(*Config, any) error { return settings.String(f) }

func dur(f func(*Config) *time.Duration) func(*Config, any) error { return settings.Duration(f) }

func integer(f func(*Config) *int) func(*Config, any) error { return settings.Int(f) }

func int64v(f func(*Config) *int64) func(*Config, any) error { return settings.Int64(f) }

func float(f func(*Config) *float64) func(*Config, any) error { return settings.Float(f) }

func boolean(f func(*Config) *bool) func(*Config, any) error { return settings.Bool(f) }

// ranged reads an integer and checks it against 0..maxV before narrowing
// it (a conversion would wrap 70000 to a uint16 silently).
func ranged[T uint8 | uint16](f func(*Config) *T, maxV int) func(*Config, any) error {
	return settings.Ranged(f, maxV)
}

func threshold(class string) func(*Config, any) error {
	return func(c *Config, v any) error {
		x, err := settings.ToFloat(v)
		if err != nil {
			return err
		}
		th := make(map[string]float64, len(c.Triage.Thresholds)+1)
		for k, t := range c.Triage.Thresholds {
			th[k] = t
		}
		th[class] = x
		c.Triage.Thresholds = th
		return nil
	}
}

// ConfigKeys lists the keys LoadConfig understands, sorted.
func ConfigKeys() []string { return schema.Keys() }

// BindEnv makes every config key overridable by its SKYSIEVE_ variable.
func BindEnv(v *viper.Viper) { schema.BindEnv(v, EnvPrefix) }

// LoadConfig builds a Config from DefaultConfig and the keys set in v (a
// file, SKYSIEVE_ environment variables, flags), strictly (see
// downlink/settings): an unknown key is refused with the closest known
// key suggested, a value of the wrong type is refused, and so is a value
// Validate rejects. Every error wraps ErrConfig and names the key.
func LoadConfig(v *viper.Viper) (Config, error) {
	c := DefaultConfig()
	if err := schema.Apply(v, &c); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.withDefaults().Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
