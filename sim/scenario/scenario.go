package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/spf13/viper"
)

// ErrInvalid is wrapped by every validation error Load returns.
var ErrInvalid = errors.New("invalid scenario")

// Scenario is one simulated run. Durations are Go durations ("24h", "90s").
type Scenario struct {
	Name string `mapstructure:"name"`
	// Seed drives every random choice: events, clouds, channel losses.
	Seed int64 `mapstructure:"seed"`
	// Start is the simulated start time, RFC 3339.
	Start    time.Time     `mapstructure:"-"`
	Duration time.Duration `mapstructure:"duration"`
	// TLEFile holds one or more 2- or 3-line element sets.
	TLEFile string `mapstructure:"tle_file"`
	// Satellites picks satellites by name from TLEFile; empty means all.
	Satellites []string `mapstructure:"satellites"`
	// StationsFile is the ground-station network (YAML).
	StationsFile string `mapstructure:"stations_file"`
	// MinElevationDeg, when above a station's own mask, raises it.
	MinElevationDeg float64 `mapstructure:"min_elevation_deg"`
	// FrameBytes is the TM frame length both ends use (128..2048); 0 keeps
	// the link's default. Narrow links want short frames: a frame is the
	// unit of loss and of padding.
	FrameBytes int `mapstructure:"frame_bytes"`

	Scene   Scene   `mapstructure:"scene"`
	Events  Events  `mapstructure:"events"`
	Clouds  Clouds  `mapstructure:"clouds"`
	Channel Channel `mapstructure:"channel"`
}

// Scene says how the camera captures.
type Scene struct {
	WidthPx  int      `mapstructure:"width_px"`
	HeightPx int      `mapstructure:"height_px"`
	GSDm     float64  `mapstructure:"gsd_m"`
	Bands    []string `mapstructure:"bands"`
	// BitDepth is the raw sample size on board (8 or 16 bits); it sets the
	// raw volume the baseline must downlink.
	BitDepth int `mapstructure:"bit_depth"`
	// Interval is the capture cadence along the ground track.
	Interval time.Duration `mapstructure:"interval"`
	// MinSunElevationDeg: scenes are taken only when the sun is at least
	// this high at the sub-satellite point (optical imaging needs light).
	MinSunElevationDeg float64 `mapstructure:"min_sun_elevation_deg"`
	// CoastKm: scenes are taken over land and over sea within this distance
	// of land (where vessels and floods matter); the open ocean is skipped.
	CoastKm float64 `mapstructure:"coast_km"`
	// MaxLatDeg: no scenes poleward of this latitude (ice sheets are not
	// what the mission images).
	MaxLatDeg float64 `mapstructure:"max_lat_deg"`
}

// RawBytes is the size of one scene as the camera stores it.
func (s Scene) RawBytes() int64 {
	return int64(s.WidthPx) * int64(s.HeightPx) * int64(len(s.Bands)) * int64(s.BitDepth) / 8
}

// Events says how many ground-truth events the world holds and how long
// they last. Each count is the expected number placed in captured scenes
// over the whole run.
type Events struct {
	Fires          int           `mapstructure:"fires"`
	Floods         int           `mapstructure:"floods"`
	Vessels        int           `mapstructure:"vessels"`
	FireDuration   time.Duration `mapstructure:"fire_duration"`
	FloodDuration  time.Duration `mapstructure:"flood_duration"`
	VesselDuration time.Duration `mapstructure:"vessel_duration"`
}

// Clouds scales the climatological cloud cover (1 = climatology, 0 = clear
// sky everywhere).
type Clouds struct {
	Scale float64 `mapstructure:"scale"`
}

// Channel is the radio channel between flight and ground.
type Channel struct {
	// Gilbert–Elliott burst loss: per-frame transition probabilities and
	// the loss probability in each state, at zenith.
	GoodToBad float64 `mapstructure:"good_to_bad"`
	BadToGood float64 `mapstructure:"bad_to_good"`
	LossGood  float64 `mapstructure:"loss_good"`
	LossBad   float64 `mapstructure:"loss_bad"`
	// HorizonLoss is the extra loss probability at the elevation mask,
	// fading linearly to zero at HorizonFadeDeg above the mask.
	HorizonLoss    float64 `mapstructure:"horizon_loss"`
	HorizonFadeDeg float64 `mapstructure:"horizon_fade_deg"`
	// Bit error rate at zenith and at the mask (log-interpolated between).
	BERZenith  float64 `mapstructure:"ber_zenith"`
	BERHorizon float64 `mapstructure:"ber_horizon"`
	// Duplicate and Reorder are per-frame probabilities; a reordered frame
	// is held back by ReorderDelay.
	Duplicate    float64       `mapstructure:"duplicate"`
	Reorder      float64       `mapstructure:"reorder"`
	ReorderDelay time.Duration `mapstructure:"reorder_delay"`
	// UplinkLoss is the loss probability of each uplink report.
	UplinkLoss float64 `mapstructure:"uplink_loss"`
	// PropagationDelay is the one-way light time plus modem latency.
	PropagationDelay time.Duration `mapstructure:"propagation_delay"`
}

func setDefaults(v *viper.Viper) {
	v.SetDefault("name", "default")
	v.SetDefault("seed", 1)
	v.SetDefault("start", "2026-03-20T00:00:00Z")
	v.SetDefault("duration", "24h")
	v.SetDefault("tle_file", "testdata/tle/eo.tle")
	v.SetDefault("satellites", []string{})
	v.SetDefault("stations_file", "testdata/stations.yaml")
	v.SetDefault("min_elevation_deg", 0.0)
	v.SetDefault("frame_bytes", 0)
	v.SetDefault("scene.width_px", 512)
	v.SetDefault("scene.height_px", 512)
	v.SetDefault("scene.gsd_m", 30.0)
	v.SetDefault("scene.bands", []string{"blue", "green", "red", "nir", "swir1", "swir2"})
	v.SetDefault("scene.bit_depth", 16)
	v.SetDefault("scene.interval", "60s")
	v.SetDefault("scene.min_sun_elevation_deg", 10.0)
	v.SetDefault("scene.coast_km", 200.0)
	v.SetDefault("scene.max_lat_deg", 70.0)
	v.SetDefault("events.fires", 30)
	v.SetDefault("events.floods", 12)
	v.SetDefault("events.vessels", 40)
	v.SetDefault("events.fire_duration", "12h")
	v.SetDefault("events.flood_duration", "72h")
	v.SetDefault("events.vessel_duration", "6h")
	v.SetDefault("clouds.scale", 1.0)
	v.SetDefault("channel.good_to_bad", 0.002)
	v.SetDefault("channel.bad_to_good", 0.1)
	v.SetDefault("channel.loss_good", 0.001)
	v.SetDefault("channel.loss_bad", 0.5)
	v.SetDefault("channel.horizon_loss", 0.15)
	v.SetDefault("channel.horizon_fade_deg", 20.0)
	v.SetDefault("channel.ber_zenith", 1e-8)
	v.SetDefault("channel.ber_horizon", 1e-6)
	v.SetDefault("channel.duplicate", 0.001)
	v.SetDefault("channel.reorder", 0.001)
	v.SetDefault("channel.reorder_delay", "20ms")
	v.SetDefault("channel.uplink_loss", 0.02)
	v.SetDefault("channel.propagation_delay", "10ms")
}

// Load reads a scenario file (path "" gives the defaults). File names set in
// the file are relative to its folder; default file names are relative to
// baseDir, the project root. Every field is validated.
func Load(path, baseDir string) (*Scenario, error) {
	v := viper.New()
	setDefaults(v)
	v.SetEnvPrefix("SKYSIEVE_SIM")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", path, err)
		}
	}
	if err := checkStrict(v); err != nil {
		return nil, fmt.Errorf("scenario %s: %w: %w", path, ErrInvalid, err)
	}
	var s Scenario
	if err := v.Unmarshal(&s); err != nil {
		return nil, fmt.Errorf("scenario %s: %w: %v", path, ErrInvalid, err)
	}
	// YAML reads an unquoted timestamp as a time, a quoted one as a string.
	switch st := v.Get("start").(type) {
	case time.Time:
		s.Start = st.UTC()
	case string:
		t, err := time.Parse(time.RFC3339, st)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w: start = %q is not an RFC 3339 time", path, ErrInvalid, st)
		}
		s.Start = t.UTC()
	default:
		return nil, fmt.Errorf("scenario %s: %w: start = %v is not an RFC 3339 time", path, ErrInvalid, st)
	}
	// Names set in the file are relative to the file; defaults are
	// relative to baseDir (the project root).
	fileDir := baseDir
	if path != "" {
		fileDir = filepath.Dir(path)
	}
	s.TLEFile = resolve(pick(v.InConfig("tle_file"), fileDir, baseDir), s.TLEFile)
	s.StationsFile = resolve(pick(v.InConfig("stations_file"), fileDir, baseDir), s.StationsFile)
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return &s, nil
}

// checkStrict refuses unknown keys (suggesting the closest known one) and
// values of the wrong type, judged by each key's default: the decoder
// behind Unmarshal would read "7" as 7 and truncate 1.5 to 1.
func checkStrict(v *viper.Viper) error {
	defaults := viper.New()
	setDefaults(defaults)
	known := defaults.AllKeys()
	if err := settings.CheckKeys(v.AllKeys(), known); err != nil {
		return err
	}
	for _, k := range known {
		raw := v.Get(k)
		var err error
		switch def := defaults.Get(k).(type) {
		case int:
			_, err = settings.ToInt(raw)
		case float64:
			_, err = settings.ToFloat(raw)
		case []string:
			switch raw.(type) {
			case []string, []any:
			default:
				err = fmt.Errorf("want a list")
			}
		case string:
			if k == "start" {
				continue // a time or a string; checked by Load
			}
			if _, derr := time.ParseDuration(def); derr == nil {
				_, err = settings.ToDuration(raw)
			} else {
				_, err = settings.ToString(raw)
			}
		}
		if err != nil {
			return settings.Invalid(k, raw, err.Error())
		}
	}
	return nil
}

func pick(inFile bool, fileDir, baseDir string) string {
	if inFile {
		return fileDir
	}
	return baseDir
}

func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Clean(filepath.Join(base, p))
}

// Validate checks every field and names the first bad key and value.
func (s *Scenario) Validate() error {
	bad := func(key string, val any, why string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrInvalid, key, val, why)
	}
	prob := func(key string, p float64) error {
		if !(p >= 0 && p <= 1) {
			return bad(key, p, "must be a probability in [0, 1]")
		}
		return nil
	}
	switch {
	case s.Duration <= 0 || s.Duration > 30*24*time.Hour:
		return bad("duration", s.Duration, "must be in (0, 720h]")
	case s.TLEFile == "":
		return bad("tle_file", s.TLEFile, "a TLE file is required")
	case s.StationsFile == "":
		return bad("stations_file", s.StationsFile, "a stations file is required")
	case s.FrameBytes != 0 && (s.FrameBytes < 128 || s.FrameBytes > 2048):
		return bad("frame_bytes", s.FrameBytes, "must be 0 (the link default) or 128..2048")
	case s.MinElevationDeg < 0 || s.MinElevationDeg >= 90:
		return bad("min_elevation_deg", s.MinElevationDeg, "must be in [0, 90)")
	case s.Scene.WidthPx < 32 || s.Scene.WidthPx > 20000:
		return bad("scene.width_px", s.Scene.WidthPx, "must be in [32, 20000]")
	case s.Scene.HeightPx < 32 || s.Scene.HeightPx > 20000:
		return bad("scene.height_px", s.Scene.HeightPx, "must be in [32, 20000]")
	case !(s.Scene.GSDm > 0 && s.Scene.GSDm <= 1000):
		return bad("scene.gsd_m", s.Scene.GSDm, "must be in (0, 1000]")
	case len(s.Scene.Bands) == 0 || len(s.Scene.Bands) > 16:
		return bad("scene.bands", s.Scene.Bands, "must list 1..16 bands")
	case s.Scene.BitDepth != 8 && s.Scene.BitDepth != 16:
		return bad("scene.bit_depth", s.Scene.BitDepth, "must be 8 or 16")
	case s.Scene.Interval < time.Second:
		return bad("scene.interval", s.Scene.Interval, "must be at least 1s")
	case s.Scene.MinSunElevationDeg < -90 || s.Scene.MinSunElevationDeg > 90:
		return bad("scene.min_sun_elevation_deg", s.Scene.MinSunElevationDeg, "must be in [-90, 90]")
	case s.Scene.CoastKm < 0:
		return bad("scene.coast_km", s.Scene.CoastKm, "must not be negative")
	case !(s.Scene.MaxLatDeg > 0 && s.Scene.MaxLatDeg <= 90):
		return bad("scene.max_lat_deg", s.Scene.MaxLatDeg, "must be in (0, 90]")
	case s.Events.Fires < 0:
		return bad("events.fires", s.Events.Fires, "must not be negative")
	case s.Events.Floods < 0:
		return bad("events.floods", s.Events.Floods, "must not be negative")
	case s.Events.Vessels < 0:
		return bad("events.vessels", s.Events.Vessels, "must not be negative")
	case s.Events.FireDuration <= 0:
		return bad("events.fire_duration", s.Events.FireDuration, "must be positive")
	case s.Events.FloodDuration <= 0:
		return bad("events.flood_duration", s.Events.FloodDuration, "must be positive")
	case s.Events.VesselDuration <= 0:
		return bad("events.vessel_duration", s.Events.VesselDuration, "must be positive")
	case !(s.Clouds.Scale >= 0 && s.Clouds.Scale <= 2):
		return bad("clouds.scale", s.Clouds.Scale, "must be in [0, 2]")
	case s.Channel.HorizonFadeDeg <= 0:
		return bad("channel.horizon_fade_deg", s.Channel.HorizonFadeDeg, "must be positive")
	case !(s.Channel.BERZenith >= 0 && s.Channel.BERZenith < 0.01):
		return bad("channel.ber_zenith", s.Channel.BERZenith, "must be in [0, 0.01)")
	case !(s.Channel.BERHorizon >= 0 && s.Channel.BERHorizon < 0.01):
		return bad("channel.ber_horizon", s.Channel.BERHorizon, "must be in [0, 0.01)")
	case s.Channel.ReorderDelay < 0:
		return bad("channel.reorder_delay", s.Channel.ReorderDelay, "must not be negative")
	case s.Channel.PropagationDelay < 0 || s.Channel.PropagationDelay > time.Second:
		return bad("channel.propagation_delay", s.Channel.PropagationDelay, "must be in [0, 1s]")
	}
	for _, p := range []struct {
		key string
		val float64
	}{
		{"channel.good_to_bad", s.Channel.GoodToBad},
		{"channel.bad_to_good", s.Channel.BadToGood},
		{"channel.loss_good", s.Channel.LossGood},
		{"channel.loss_bad", s.Channel.LossBad},
		{"channel.horizon_loss", s.Channel.HorizonLoss},
		{"channel.duplicate", s.Channel.Duplicate},
		{"channel.reorder", s.Channel.Reorder},
		{"channel.uplink_loss", s.Channel.UplinkLoss},
	} {
		if err := prob(p.key, p.val); err != nil {
			return err
		}
	}
	for _, f := range []struct{ key, path string }{{"tle_file", s.TLEFile}, {"stations_file", s.StationsFile}} {
		if _, err := os.Stat(f.path); err != nil {
			return bad(f.key, f.path, "cannot be read: "+err.Error())
		}
	}
	return nil
}

// End is the simulated end time.
func (s *Scenario) End() time.Time { return s.Start.Add(s.Duration) }
