package bus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/settings"
)

// The embedded server lets in only ground's user (made at first start,
// mode 0600) and the configured readers, and a reader can read but not
// publish, purge or delete.
func TestEmbeddedAuth(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reader := Reader{User: "responder", Password: "reader-password-1"}
	authFile := filepath.Join(dir, "nats-auth.json")
	b, err := Open(ctx, Config{StoreDir: filepath.Join(dir, "nats"), AuthFile: authFile, Readers: []Reader{reader}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fi, err := os.Stat(authFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %04o, want 0600", fi.Mode().Perm())
	}
	if _, err := b.PublishOnce(ctx, "detections.fire.aa", "m1", nil, []byte(`{}`)); err != nil {
		t.Fatalf("ground's own publish: %v", err)
	}

	t.Run("no credentials", func(t *testing.T) {
		nc, err := Connect(Config{URL: b.URL()})
		if err == nil {
			nc.Close()
			t.Fatal("an unauthenticated client got in")
		}
		if !errors.Is(err, ErrConnect) || !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("err = %v, want an authorization refusal", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		nc, err := Connect(Config{URL: b.URL(), User: GroundUser, Password: "guess"})
		if err == nil {
			nc.Close()
			t.Fatal("a wrong password got in")
		}
	})
	t.Run("reader", func(t *testing.T) {
		nc, err := Connect(Config{URL: b.URL(), User: reader.User, Password: reader.Password})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		st, err := js.Stream(ctx, StreamDetections)
		if err != nil {
			t.Fatalf("reader cannot see the stream: %v", err)
		}
		cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatalf("reader cannot consume: %v", err)
		}
		if msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || msg.Subject() != "detections.fire.aa" {
			t.Fatalf("reader read %v, %v", msg, err)
		}
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		if _, err := js.Publish(pctx, "detections.fire.forged", []byte(`{}`)); err == nil {
			t.Fatal("a reader published a detection")
		}
		if err := js.DeleteStream(pctx, StreamDetections); err == nil {
			t.Fatal("a reader deleted the stream")
		}
		if err := st.Purge(pctx); err == nil {
			t.Fatal("a reader purged the stream")
		}
		if err := b.CheckStreams(ctx); err != nil {
			t.Fatalf("streams after the reader's attempts: %v", err)
		}
		info, err := st.Info(ctx)
		if err != nil || info.State.Msgs != 1 {
			t.Fatalf("stream holds %v messages (%v), want 1", info.State.Msgs, err)
		}
	})
	t.Run("messages cannot be deleted even by ground", func(t *testing.T) {
		for _, name := range []string{StreamDetections, StreamAlerts} {
			st, err := b.JetStream().Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := st.CachedInfo().Config
			if !cfg.DenyDelete || !cfg.DenyPurge {
				t.Fatalf("%s: deny_delete %v, deny_purge %v", name, cfg.DenyDelete, cfg.DenyPurge)
			}
		}
	})
	t.Run("restart keeps the credentials", func(t *testing.T) {
		before, err := ReadCredentials(authFile)
		if err != nil {
			t.Fatal(err)
		}
		again, err := LoadOrCreateCredentials(authFile)
		if err != nil || again.Password.Reveal() != before.Password.Reveal() {
			t.Fatalf("credentials changed on reload: %v", err)
		}
		if err := os.Chmod(authFile, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadCredentials(authFile); !errors.Is(err, ErrConfig) {
			t.Fatalf("group-readable credentials file: %v, want refused", err)
		}
	})
}

// /readyz relies on CheckStreams seeing a deleted stream, and the next
// publish creating it again.
func TestCheckStreamsSeesDeletion(t *testing.T) {
	b := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.CheckStreams(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.JetStream().DeleteStream(ctx, StreamAlerts); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckStreams(ctx); !errors.Is(err, ErrStreamMissing) {
		t.Fatalf("after delete: %v, want ErrStreamMissing", err)
	}
	if _, err := b.PublishDedup(ctx, "alerts.cap.fire", "x", nil, []byte("<alert/>")); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckStreams(ctx); err != nil {
		t.Fatalf("after the next publish: %v", err)
	}
}

// An external server with auth and a wrong password is reported as an
// authentication failure by Open, at once, not as "ready".
func TestExternalWrongPasswordFailsOpen(t *testing.T) {
	good := openTest(t) // an authenticated server to point at
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u := good.URL()
	start := time.Now()
	b, err := Open(ctx, Config{URL: u, User: GroundUser, Password: settings.Secret("wrong-password")})
	if err == nil {
		b.Close()
		t.Fatal("Open succeeded with a wrong password")
	}
	if !errors.Is(err, ErrConnect) || !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("err = %v, want an authentication failure", err)
	}
	t.Logf("refused after %v: %v", time.Since(start), err)
	withURL := "nats://" + GroundUser + ":wrong-password@" + u[len("nats://"):]
	b, err = Open(ctx, Config{URL: withURL})
	if err == nil {
		b.Close()
		t.Fatal("Open succeeded with a wrong password in the URL")
	}
	if got := err.Error(); strings.Contains(got, "wrong-password") {
		t.Fatalf("error shows the password: %s", got)
	}
}
