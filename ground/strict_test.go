package ground

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/ground/bus"
)

func configFrom(t *testing.T, yaml string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ground.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	v := NewViper()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	return ConfigFromViper(v)
}

// Unknown keys are refused with the closest key suggested; bad values are
// refused, never fixed; secrets never appear in the error.
func TestConfigStrict(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"typo under nats", "nats:\n  urll: nats://x:4222\n", "unknown key nats.urll; did you mean nats.url?"},
		{"typo at top", "report_intervall: 5s\n", "unknown key report_intervall; did you mean report_interval?"},
		{"nothing close", "colour: red\n", "unknown key colour"},
		{"negative reassembly cap", "max_reassembly_bytes: -1\n", "max_reassembly_bytes = -1"},
		{"fractional replicas", "nats:\n  replicas: 1.5\n", "nats.replicas = 1.5: want an integer"},
		{"duration without unit", "contact_idle: 30\n", "contact_idle = 30: want a duration"},
		{"spacecraft id over 10 bits", "link:\n  spacecraft_id: 2000\n", "link.spacecraft_id = 2000"},
		{"outbox attempts", "outbox:\n  max_attempts: 0\n", "outbox.max_attempts = 0"},
		{"insecure flag not a bool", "insecure_dev_keys: yes please\n", "insecure_dev_keys = yes please"},
		{"log format", "log:\n  format: xml\n", "log.format = xml: want text or json"},
		{"kiss mode", "kiss:\n  - {station: m, listen: 127.0.0.1:8001, mode: passive}\n", "kiss[0].mode = passive: want server or client"},
		{"kiss client port 0", "kiss:\n  - {station: m, listen: 127.0.0.1:0, mode: client}\n", "kiss[0].listen = 127.0.0.1:0"},
		{"listen fallback not a bool", "nats:\n  listen_fallback: sometimes\n", "nats.listen_fallback = sometimes"},
		{"reader field", "nats:\n  readers:\n    - {user: r, pasword: hunter2hunter2}\n", "unknown key nats.readers[0].pasword; did you mean nats.readers[0].password?"},
		{"reader password short", "nats:\n  readers:\n    - {user: r, password: hunter2}\n", "nats.readers[0].password = [redacted]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := configFrom(t, c.yaml)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error shows a password: %v", err)
			}
		})
	}
	c, err := configFrom(t, "nats:\n  readers:\n    - {user: responder, password: long-enough-secret}\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.NATSReaders) != 1 || c.NATSReaders[0].User != "responder" || c.NATSReaders[0].Password.Reveal() != "long-enough-secret" {
		t.Fatalf("readers %+v", c.NATSReaders)
	}
}

// Ground refuses to start without a private key file unless told to in so
// many words; the flag shows in a warning and on the ready line, which
// also names each station's bound address.
func TestGroundKeyPolicy(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.keys")
	b, err := os.ReadFile(writeKeys(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(open, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o640); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join("..", "testdata", "flight", "dev.keys")
	refused := []struct {
		name, keyFile string
		insecure      bool
		want          error
	}{
		{"no key file", "", false, linkkeys.ErrNoKeyFile},
		{"dev keys", dev, false, linkkeys.ErrDevKeys},
		{"mode 0640", open, false, linkkeys.ErrMode},
		{"mode 0640, flag", open, true, linkkeys.ErrMode},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir(), c.keyFile, "alpha")
			cfg.InsecureDevKeys = c.insecure
			s, err := New(cfg)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrConfig) {
				t.Fatalf("New: %v, want %v", err, c.want)
			}
			if c.want == linkkeys.ErrMode && (!strings.Contains(err.Error(), open) || !strings.Contains(err.Error(), "0640")) {
				t.Fatalf("error %q names neither the file nor its mode", err)
			}
		})
	}
	for _, keyFile := range []string{"", dev} {
		t.Run("flag with "+keyFile, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := testConfig(t, t.TempDir(), keyFile, "alpha")
			cfg.InsecureDevKeys = true
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			start(t, cfg).stop(t)
			var warned, ready bool
			for _, line := range strings.Split(logs.String(), "\n") {
				warned = warned || strings.Contains(line, "level=WARN") && strings.Contains(line, "--insecure-dev-keys")
				ready = ready || strings.Contains(line, "ground service ready") && strings.Contains(line, "insecure_dev_keys=true") &&
					regexp.MustCompile(`stations="alpha=udp:127\.0\.0\.1:[1-9][0-9]*"`).MatchString(line)
			}
			if !warned || !ready {
				t.Fatalf("warning %v, ready line flagged %v; logs:\n%s", warned, ready, logs.String())
			}
		})
	}
}

// A password in nats.url never reaches a log line or the nats.url file.
func TestNATSPasswordRedacted(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	g := start(t, testConfig(t, filepath.Join(dir, "g1"), keys, "alpha"))
	var logs bytes.Buffer
	cfg := testConfig(t, filepath.Join(dir, "g2"), keys, "beta")
	cfg.NATSURL = clientURL(g)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	g2 := start(t, cfg)
	// nats.url exists while ground runs (a clean stop removes it).
	file, err := os.ReadFile(filepath.Join(dir, "g2", "nats.url"))
	if err != nil {
		t.Fatal(err)
	}
	g2.stop(t)
	pw := g.NATSCredentials().Password.Reveal()
	if len(pw) < 16 {
		t.Fatalf("ground's password %d characters", len(pw))
	}
	if strings.Contains(logs.String(), pw) || strings.Contains(string(file), pw) {
		t.Fatalf("password in the logs or nats.url:\n%s\nnats.url: %s", logs.String(), file)
	}
	if !strings.Contains(logs.String(), "[redacted]") {
		t.Fatalf("ready line does not show the redacted URL:\n%s", logs.String())
	}
	fi, err := os.Stat(filepath.Join(dir, "g1", NATSAuthFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v", NATSAuthFile, err, fi.Mode())
	}
}

// /readyz says not ready when the bus is connected but a stream is gone
// (every publish would fail), not "connected".
func TestReadyzChecksStreams(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, filepath.Join(dir, "g"), writeKeys(t, dir), "alpha")
	cfg.MetricsAddr = "127.0.0.1:0"
	g := start(t, cfg)
	get := func() (int, string) {
		resp, err := http.Get("http://" + g.MetricsAddr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusOK {
		t.Fatalf("readyz %d: %s", code, body)
	}
	nc, err := bus.Connect(bus.Config{URL: clientURL(g), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(ctx, bus.StreamDetections); err != nil {
		t.Fatal(err)
	}
	code, body := get()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, bus.StreamDetections) {
		t.Fatalf("readyz with DETECTIONS deleted: %d %s", code, body)
	}
}
