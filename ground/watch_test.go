package ground

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// TestWatchAndMetrics: the watch consumer prints only matching detections,
// resumes where it left off, and its lag shows in the service's metrics
// next to the capture-to-publish histogram; /livez and /readyz answer.
func TestWatchAndMetrics(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys, "alpha")
	cfg.MetricsAddr = "127.0.0.1:0"
	reader := NATSReader{User: "responder", Password: "responder-password"}
	cfg.NATSReaders = []NATSReader{reader}
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)

	inside := detection(400, record.ClassFire) // footprint around 10.05E 45.05N
	outside := detection(401, record.ClassFire)
	outside.Footprint = [][2]float64{{-60, -10}, {-59.9, -10}, {-59.9, -9.9}, {-60, -9.9}, {-60, -10}}
	vessel := detection(402, record.ClassVessel)
	var frames [][]byte
	for _, d := range []*record.Detection{inside, outside, vessel} {
		frames = append(frames, fl.recordFrames(d)...)
	}
	sendUDP(t, g.UDPAddr("alpha"), frames)
	waitFor(t, "3 published", 10*time.Second, func() bool { return g.Stats().Published == 3 })

	bbox, err := ParseBBox("9,44,11,46")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// As `ground watch` with no --nats-url: nats.url and ground's
	// credentials file in the data dir.
	wc := WatchConfig{DataDir: dir + "/g", Bus: bus.Config{Logger: quietLogger()}, Class: "fire", BBox: bbox, Max: 1}
	if err := Watch(ctx, wc, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), inside.ID) || strings.Contains(out.String(), outside.ID) || strings.Contains(out.String(), vessel.ID) {
		t.Fatalf("watch printed %q", out.String())
	}
	// A configured read-only user can watch too (a durable consumer of its
	// own), and nobody without credentials can.
	var readerOut bytes.Buffer
	rc := WatchConfig{DataDir: dir + "/g", Durable: "responder", Bus: bus.Config{User: reader.User, Password: reader.Password, Logger: quietLogger()}, Class: "vessel", Max: 1}
	if err := Watch(ctx, rc, &readerOut); err != nil || !strings.Contains(readerOut.String(), vessel.ID) {
		t.Fatalf("reader's watch: %v, printed %q", err, readerOut.String())
	}
	anon := WatchConfig{Bus: bus.Config{URL: g.NATSURL(), Logger: quietLogger()}, Max: 1}
	if err := Watch(ctx, anon, io.Discard); !errors.Is(err, bus.ErrConnect) {
		t.Fatalf("watch without credentials: %v, want refused", err)
	}
	// A second durable consumer that never fetches lags by 3.
	nc, err := bus.Connect(bus.Config{URL: clientURL(g), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateOrUpdateConsumer(ctx, bus.StreamDetections, jetstream.ConsumerConfig{Durable: "laggard", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}

	base := "http://" + g.MetricsAddr().String()
	for _, path := range []string{"/livez", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	waitFor(t, "consumer pending and latency metrics", 10*time.Second, func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := string(b)
		return strings.Contains(m, `skysieve_ground_consumer_pending{consumer="watch"} 0`) &&
			strings.Contains(m, `skysieve_ground_consumer_pending{consumer="laggard"} 3`) &&
			strings.Contains(m, "skysieve_ground_capture_to_publish_seconds_count 3") &&
			strings.Contains(m, `skysieve_ground_frames_total{result="good",station="alpha",vc="0"} 3`) &&
			regexp.MustCompile(`(?m)^skysieve_build_info\{.*service="ground".*\} 1$`).MatchString(m)
	})
}

func TestParseBBox(t *testing.T) {
	for _, bad := range []string{"", "1,2,3", "a,b,c,d", "10,0,5,1", "0,-91,1,1", "-181,0,0,1"} {
		if _, err := ParseBBox(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseBBox(%q) = %v, want ErrConfig", bad, err)
		}
	}
	b, err := ParseBBox(" -10.5, 20 ,30,40.25")
	if err != nil || *b != [4]float64{-10.5, 20, 30, 40.25} {
		t.Fatalf("%v %v", b, err)
	}
}

// syncBuffer is a bytes.Buffer safe to read while Watch writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A watch found through the data dir prints a start line, and ends with
// nil, saying why, when ground stops cleanly.
func TestWatchEndsOnGroundStop(t *testing.T) {
	dir := t.TempDir()
	g := start(t, testConfig(t, dir, writeKeys(t, t.TempDir()), "alpha"))
	var status syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Watch(context.Background(), WatchConfig{DataDir: dir, Bus: bus.Config{Logger: quietLogger()}, Status: &status}, io.Discard)
	}()
	waitFor(t, "start line", 20*time.Second, func() bool { return strings.Contains(status.String(), "watching detections.>") })
	g.stop(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch after a clean ground stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("watch still running 30s after ground stopped")
	}
	if !strings.Contains(status.String(), "ground stopped") || !strings.Contains(status.String(), "watch ends") {
		t.Fatalf("status %q does not say ground stopped", status.String())
	}
}
