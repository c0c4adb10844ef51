package logsetup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	cases := []struct {
		level, format string
		want          string // substring of the line, "" for an error
	}{
		{"info", "text", "wait=1.5"},
		{"debug", "json", `"wait":1.5`},
		{"warn", "text", "-"}, // the INFO line is dropped
		{"loud", "text", ""},
		{"info", "logfmt", ""},
	}
	for _, c := range cases {
		t.Run(c.level+"/"+c.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, c.level, c.format)
			if c.want == "" {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Info("pass", "wait", 1500*time.Millisecond)
			if c.want == "-" {
				if buf.Len() != 0 {
					t.Fatalf("logged below level: %s", buf.String())
				}
				return
			}
			if !strings.Contains(buf.String(), c.want) {
				t.Fatalf("line %q lacks %q", buf.String(), c.want)
			}
			if c.format == "json" {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("not JSON: %v", err)
				}
			}
		})
	}
}

// SIGTERM ends the context, and the stop line names it.
func TestSignalStop(t *testing.T) {
	ctx, stop := SignalContext(context.Background())
	defer stop()
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	err := Run(ctx, log, "svc", func(ctx context.Context) error {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}, "station", "alpha")
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `msg="svc starting" station=alpha`) || !strings.Contains(out, `msg="svc exiting" reason="signal terminated"`) {
		t.Fatalf("logs:\n%s", out)
	}
}

func TestRunError(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "json")
	boom := errors.New("boom")
	if err := Run(context.Background(), log, "svc", func(context.Context) error { return boom }); err != boom {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(buf.String(), `"level":"ERROR","msg":"svc exiting","reason":"boom"`) {
		t.Fatalf("logs:\n%s", buf.String())
	}
}

func TestErrorLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bad", "ground: bad"},
		{"ground: bad", "ground: bad"},
		{"ground: ground: bad", "ground: bad"},
		{"ground: invalid configuration: ground: ground: bad", "ground: invalid configuration: bad"},
		{"groundwork: bad", "ground: groundwork: bad"},
	} {
		if got := ErrorLine("ground", errors.New(c.in)); got != c.want {
			t.Errorf("ErrorLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
