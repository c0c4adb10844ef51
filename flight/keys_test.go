package flight

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/triage"
	"github.com/skysieve/skysieve/triage/scene"
)

// refuseTriager stands in for ONNX Runtime where no scene is triaged.
type refuseTriager struct{}

func (refuseTriager) Triage(context.Context, *scene.Scene) (*triage.Result, error) {
	return nil, errors.New("no triage in this test")
}

// keysConfig is a flight with no radio traffic, for the key policy.
func keysConfig(t *testing.T, logs *bytes.Buffer) Config {
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.MetricsAddr = ""
	cfg.RadioListen, cfg.RadioPeer = "127.0.0.1:0", "127.0.0.1:9"
	cfg.Triager = refuseTriager{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	return cfg
}

func TestKeyPolicy(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.keys")
	if err := linkkeys.Generate(good); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.keys")
	b, _ := os.ReadFile(good)
	if err := os.WriteFile(open, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join("..", "testdata", "flight", "dev.keys")
	cases := []struct {
		name     string
		keyFile  string
		insecure bool
		wantErr  error
		wantWarn bool
	}{
		{"no key file", "", false, linkkeys.ErrNoKeyFile, false},
		{"no key file, flag", "", true, nil, true},
		{"dev keys file", dev, false, linkkeys.ErrDevKeys, false},
		{"dev keys file, flag", dev, true, nil, true},
		{"group readable", open, false, linkkeys.ErrMode, false},
		{"group readable, flag", open, true, linkkeys.ErrMode, false},
		{"generated", good, false, nil, false},
		{"generated, flag unused", good, true, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := keysConfig(t, &logs)
			cfg.KeyFile, cfg.InsecureDevKeys = c.keyFile, c.insecure
			if c.wantErr != nil {
				s, err := New(cfg)
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrConfig) {
					t.Fatalf("New: %v, want %v", err, c.wantErr)
				}
				if c.keyFile != "" && !strings.Contains(err.Error(), c.keyFile) {
					t.Fatalf("error %q does not name %s", err, c.keyFile)
				}
				if c.wantErr == linkkeys.ErrMode && !strings.Contains(err.Error(), "0644") {
					t.Fatalf("error %q does not name the mode", err)
				}
				if _, err := os.Stat(cfg.DataDir); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("a refused start left %s behind (%v)", cfg.DataDir, err)
				}
				return
			}
			startService(t, cfg).stop(t)
			text := logs.String()
			warned := strings.Contains(text, "level=WARN") && strings.Contains(text, "--insecure-dev-keys")
			readyFlagged := false
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, "flight running") && strings.Contains(line, "insecure_dev_keys=true") {
					readyFlagged = true
				}
			}
			if warned != c.wantWarn || readyFlagged != c.wantWarn {
				t.Fatalf("warned %v, ready line flagged %v, want %v; logs:\n%s", warned, readyFlagged, c.wantWarn, text)
			}
		})
	}
}
