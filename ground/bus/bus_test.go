package bus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func openTest(t *testing.T) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Open(ctx, Config{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestPublishOnceOutcomes(t *testing.T) {
	b := openTest(t)
	ctx := context.Background()
	if !b.srv.JetStreamEnabled() {
		t.Fatal("embedded server runs without JetStream")
	}
	hdr := nats.Header{HeaderClass: []string{"fire"}}
	subj := "detections.fire.00112233445566778899aabbccddeeff"
	steps := []struct {
		name  string
		msgID string
		want  []Outcome
	}{
		{"first publish stores", "a", []Outcome{Published}},
		{"same msg id inside the window stores nothing", "a", []Outcome{Duplicate, AlreadyPublished}},
		{"new msg id (as after the window) is refused by subject", "b", []Outcome{AlreadyPublished}},
		{"and again", "c", []Outcome{AlreadyPublished}},
	}
	for _, st := range steps {
		got, err := b.PublishOnce(ctx, subj, st.msgID, hdr, []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !slices.Contains(st.want, got) {
			t.Fatalf("%s: outcome %v, want %v", st.name, got, st.want)
		}
	}
	s, err := b.JetStream().Stream(ctx, StreamDetections)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.State.Msgs)
	}
	m, err := s.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get(HeaderClass) != "fire" {
		t.Fatalf("class header %q", m.Header.Get(HeaderClass))
	}
}

func TestPutChipIdempotent(t *testing.T) {
	b := openTest(t)
	ctx := context.Background()
	chip := []byte("\x89PNG fake chip bytes")
	for i, want := range []Outcome{Published, AlreadyPublished} {
		got, err := b.PutChip(ctx, "00112233445566778899aabbccddeeff", chip)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("put %d: %v, want %v", i, got, want)
		}
	}
	obj, err := b.JetStream().ObjectStore(ctx, BucketChips)
	if err != nil {
		t.Fatal(err)
	}
	back, err := obj.GetBytes(ctx, "00112233445566778899aabbccddeeff")
	if err != nil || string(back) != string(chip) {
		t.Fatalf("chip back %q, %v", back, err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no store dir", Config{}},
		{"bad listen", Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:notaport"}},
		{"cert without key", Config{URL: "nats://127.0.0.1:1", TLSCertFile: "c.pem"}},
		{"creds and nkey", Config{URL: "nats://127.0.0.1:1", CredsFile: "x", NKeySeedFile: "y"}},
		{"missing creds", Config{URL: "nats://127.0.0.1:1", CredsFile: "/nonexistent.creds"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Open(ctx, c.cfg)
			if err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
}

func TestUnreachableExternalThenEnsure(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, Config{URL: "nats://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.PublishOnce(ctx, "detections.x.y", "m", nil, nil); !errors.Is(err, ErrNotReady) {
		t.Fatalf("publish while unreachable: %v, want ErrNotReady", err)
	}
}

// A taken listen port falls back to a free one with a WARN line naming
// both, or, without fallback, fails at once naming the address.
func TestListenFallback(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	_, err = Open(ctx, Config{StoreDir: t.TempDir(), Listen: addr})
	if !errors.Is(err, ErrEmbeddedStart) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Open on a taken port without fallback: %v, want ErrEmbeddedStart naming %s", err, addr)
	}

	var logs bytes.Buffer
	b, err := Open(ctx, Config{StoreDir: t.TempDir(), Listen: addr, ListenFallback: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if strings.HasSuffix(b.URL(), addr) {
		t.Fatalf("bus URL %s is the taken address", b.URL())
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "wanted="+addr) ||
		!strings.Contains(logs.String(), b.URL()) {
		t.Fatalf("no WARN line naming %s and %s:\n%s", addr, b.URL(), logs.String())
	}
}
