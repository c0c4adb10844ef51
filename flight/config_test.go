package flight

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

func TestLoadConfigNamesBadKeyAndValue(t *testing.T) {
	cases := []struct {
		key   string
		value any
		want  string
	}{
		{"spool_poll", "soon", `spool_poll = soon`},
		{"spool_poll", "-1s", `spool_poll = -1s`},
		{"max_scene_attempts", "many", "max_scene_attempts = many"},
		{"spool_backlog", -1, "spool_backlog = -1: must be 1..64"},
		{"spool_backlog", 1000, "spool_backlog = 1000"},
		{"plan.confidence", 1.5, "plan.confidence = 1.5"},
		{"plan.feedback_confidence", 0.3, "plan.feedback_confidence = 0.3"},
		{"plan.feedback_delay", "-1s", "plan.feedback_delay = -1s"},
		{"housekeeping_share", 1.5, "housekeeping_share = 1.5"},
		{"link.frame_bytes", 64, "link.frame_bytes = 64"},
		{"link.spacecraft_id", 70000, "link.spacecraft_id = 70000"},
		{"priority_classes", map[string]any{"fire": 300}, "priority_classes.fire = 300"},
		{"store.expiry", map[string]any{"fire": "forever"}, "store.expiry"},
		{"radio.pacing_quantum", "-5ms", "radio.pacing_quantum = -5ms"},
		{"no_such_key", 1, "unknown key no_such_key"},
		{"radio.peeer", "x:1", "unknown key radio.peeer; did you mean radio.peer?"},
		{"max_scene_attempts", 2.5, "max_scene_attempts = 2.5: want an integer"},
		{"spool_poll", 90, "spool_poll = 90: want a duration"},
		{"insecure_dev_keys", "yes", "insecure_dev_keys = yes: want true or false"},
		{"store.high_water_bytes", 2 << 30, "store.high_water_bytes = 2147483648: must not exceed store.hard_limit_bytes"},
		{"store.hard_limit_bytes", -1, "store.hard_limit_bytes = -1"},
		{"store.max_item_bytes", -5, "store.max_item_bytes = -5"},
		{"store.urgent_classes", -1, "store.urgent_classes = -1"},
		{"log.level", "loud", `log.level = loud: log level "loud"`},
		{"log.format", "xml", `log.format = xml: log format "xml": want text or json`},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			v := viper.New()
			v.Set(c.key, c.value)
			_, err := LoadConfig(v)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name %q", err, c.want)
			}
		})
	}
}

func TestLoadConfigFileEnvAndDefaults(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "flight.yaml")
	yaml := `data_dir: /var/lib/skysieve
spool_dir: ` + dir + `
radio:
  peer: 10.0.0.2:7400
plan:
  confidence: 0.995
priority_classes:
  fire: 0
  oil_spill: 1
store:
  hard_limit_bytes: 1048576
  expiry:
    vessel: 6h
link:
  frame_bytes: 1024
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	v := viper.New()
	v.SetConfigFile(file)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	BindEnv(v)
	t.Setenv("SKYSIEVE_RADIO_LISTEN", "0.0.0.0:7999")
	t.Setenv("SKYSIEVE_SPOOL_POLL", "250ms")
	c, err := LoadConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir", c.DataDir, "/var/lib/skysieve"},
		{"radio.peer", c.RadioPeer, "10.0.0.2:7400"},
		{"radio.listen (env)", c.RadioListen, "0.0.0.0:7999"},
		{"spool_poll (env)", c.SpoolPoll, 250 * time.Millisecond},
		{"plan.confidence", c.PlanConfidence, 0.995},
		{"priority_classes.oil_spill", c.PriorityClasses["oil_spill"], 1},
		{"store.hard_limit_bytes", c.Store.HardLimitBytes, int64(1 << 20)},
		{"store.expiry.vessel", c.Store.ExpiryByClass["vessel"], 6 * time.Hour},
		{"link.frame_bytes", c.Link.FrameBytes, 1024},
		{"link.spacecraft_id default", c.Link.SpacecraftID, def.Link.SpacecraftID},
		{"metrics_addr default", c.MetricsAddr, def.MetricsAddr},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestDefaultConfigIsValid(t *testing.T) {
	if err := DefaultConfig().withDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(viper.New()); err != nil {
		t.Fatalf("empty configuration: %v", err)
	}
}

// The example configuration in testdata loads.
func TestExampleConfigLoads(t *testing.T) {
	v := viper.New()
	v.SetConfigFile(filepath.Join("..", "testdata", "flight", "flight.yaml"))
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	v.Set("spool_dir", t.TempDir()) // the example's spool does not exist here
	c, err := LoadConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.ExpiryByClass["flood"] != 72*time.Hour || c.Link.SpacecraftID != 42 || c.Triage.Thresholds["vessel"] != 0.5 {
		t.Fatalf("example config read wrong: %+v", c)
	}
}

// A high watermark above the hard limit is refused, not lowered by the
// store without a word.
func TestQuotaNotFixed(t *testing.T) {
	v := viper.New()
	v.Set("store.hard_limit_bytes", 1000)
	v.Set("store.high_water_bytes", 2000)
	if _, err := LoadConfig(v); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "store.high_water_bytes = 2000") {
		t.Fatalf("err = %v, want the high watermark refused", err)
	}
}
