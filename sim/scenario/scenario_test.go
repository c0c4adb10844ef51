package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"a.tle", "st.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "s.yaml")
	if !strings.Contains(cfg, "stations_file") {
		cfg += "\nstations_file: st.yaml\n"
	}
	if err := os.WriteFile(p, []byte("tle_file: a.tle\n"+cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaults(t *testing.T) {
	p := writeFiles(t, "")
	s, err := Load(p, "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 24*time.Hour || s.Seed != 1 || s.Scene.Interval != time.Minute {
		t.Fatalf("defaults not applied: %+v", s)
	}
	if s.TLEFile != filepath.Join(filepath.Dir(p), "a.tle") {
		t.Fatalf("tle_file %q not resolved against the scenario folder", s.TLEFile)
	}
	if got, want := s.Scene.RawBytes(), int64(512*512*6*2); got != want {
		t.Fatalf("RawBytes = %d, want %d", got, want)
	}
	if !s.End().Equal(s.Start.Add(24 * time.Hour)) {
		t.Fatal("End")
	}
}

func TestLoadOverrides(t *testing.T) {
	p := writeFiles(t, "seed: 7\nstart: 2026-11-21T06:00:00Z\nduration: 3h\nscene:\n  width_px: 256\n  interval: 30s\nchannel:\n  loss_bad: 0.3\n")
	s, err := Load(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Start.Equal(time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("unquoted start read as %v", s.Start)
	}
	if s.Seed != 7 || s.Duration != 3*time.Hour || s.Scene.WidthPx != 256 || s.Scene.HeightPx != 512 ||
		s.Scene.Interval != 30*time.Second || s.Channel.LossBad != 0.3 {
		t.Fatalf("overrides not applied: %+v", s)
	}
	t.Setenv("SKYSIEVE_SIM_SEED", "99")
	if s, err = Load(p, ""); err != nil || s.Seed != 99 {
		t.Fatalf("env override: %v %v", s, err)
	}
}

func TestLoadInvalid(t *testing.T) {
	for _, tc := range []struct{ cfg, key string }{
		{"duration: -1h\n", "duration"},
		{"start: yesterday\n", "start"},
		{"scene:\n  bit_depth: 12\n", "scene.bit_depth"},
		{"scene:\n  width_px: 3\n", "scene.width_px"},
		{"scene:\n  bands: []\n", "scene.bands"},
		{"channel:\n  loss_bad: 1.5\n", "channel.loss_bad"},
		{"channel:\n  duplicate: -0.1\n", "channel.duplicate"},
		{"events:\n  fires: -2\n", "events.fires"},
		{"clouds:\n  scale: 9\n", "clouds.scale"},
		{"frame_bytes: 64\n", "frame_bytes"},
		{"seed: 3\nstations_file: missing.yaml\n", "stations_file"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			_, err := Load(writeFiles(t, tc.cfg), "")
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("error %q does not name %s", err, tc.key)
			}
		})
	}
}

// FuzzLoad feeds arbitrary bytes as a scenario file: Load must return a
// scenario that validates or an error, never panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("seed: 3\nduration: 2h\n"))
	f.Add([]byte("scene:\n  width_px: 64\n  bands: [red]\n"))
	f.Add([]byte("start: [1, 2]\n"))
	f.Add([]byte("channel: {loss_bad: .nan}\n"))
	dir := f.TempDir()
	for _, n := range []string{"a.tle", "st.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(p, append([]byte("tle_file: "+filepath.Join(dir, "a.tle")+"\nstations_file: "+filepath.Join(dir, "st.yaml")+"\n"), b...), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load(p, dir)
		if err == nil {
			if verr := s.Validate(); verr != nil {
				t.Fatalf("Load accepted a scenario that does not validate: %v", verr)
			}
		}
	})
}

// The scenario loader is as strict as flight's and ground's: an unknown
// key is refused with the closest one suggested, a value of the wrong type
// is refused rather than truncated or coerced.
func TestLoadStrict(t *testing.T) {
	cases := []struct{ cfg, want string }{
		{"sede: 7\n", "unknown key sede; did you mean seed?"},
		{"scene:\n  widht_px: 256\n", "unknown key scene.widht_px; did you mean scene.width_px?"},
		{"scene:\n  width_px: 256.5\n", "scene.width_px = 256.5: want an integer"},
		{"duration: 3\n", "duration = 3: want a duration"},
		{"channel:\n  loss_bad: lots\n", "channel.loss_bad = lots: want a number"},
		{"scene:\n  bands: red\n", "scene.bands = red: want a list"},
	}
	for _, c := range cases {
		_, err := Load(writeFiles(t, c.cfg), "")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}
