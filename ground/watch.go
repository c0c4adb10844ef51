package ground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/feed"
)

// WatchConfig configures Watch.
type WatchConfig struct {
	// Bus says how to reach NATS (URL and TLS/credentials). An empty URL
	// means the embedded server of the ground whose data dir is DataDir,
	// with ground's credentials from DataDir/nats-auth.json (NATSAuthFile)
	// unless Bus.User is set.
	Bus     bus.Config
	DataDir string
	// Durable names the JetStream consumer; it remembers what was
	// acknowledged, so a restarted watch resumes where it left off.
	Durable string
	// Class filters to one detection class ("" = all).
	Class string
	// BBox filters to footprints intersecting [minLon, minLat, maxLon,
	// maxLat]; nil = everywhere.
	BBox *[4]float64
	// JSON prints each Feature as one line of JSON instead of text.
	JSON bool
	// Max stops after that many printed detections (0 = run until ctx
	// ends).
	Max int
	// Status receives a start line and the reason watch stopped (the
	// command gives stderr, so stdout holds only detections); nil: none.
	Status io.Writer
}

// ParseBBox parses "minLon,minLat,maxLon,maxLat".
func ParseBBox(s string) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: bbox %q: want minLon,minLat,maxLon,maxLat", ErrConfig, s)
	}
	var b [4]float64
	for i, p := range parts {
		if _, err := fmt.Sscan(strings.TrimSpace(p), &b[i]); err != nil {
			return nil, fmt.Errorf("%w: bbox %q: %q is not a number", ErrConfig, s, p)
		}
	}
	if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] > b[2] || b[1] > b[3] {
		return nil, fmt.Errorf("%w: bbox %q: want -180 ≤ minLon ≤ maxLon ≤ 180 and -90 ≤ minLat ≤ maxLat ≤ 90", ErrConfig, s)
	}
	return &b, nil
}

// Watch runs a durable pull consumer on the detections stream and prints
// each detection that matches the filters as it arrives, acknowledging it.
//
// A clean server shutdown (the server says so, or, found through DataDir,
// ground removed nats.url) ends Watch with nil; a crashed server is
// waited for, as the connection reconnects.
func Watch(ctx context.Context, cfg WatchConfig, out io.Writer) error {
	status := cfg.Status
	if status == nil {
		status = io.Discard
	}
	urlFile := ""
	if cfg.Bus.URL == "" {
		urlFile = filepath.Join(cfg.DataDir, "nats.url")
		b, err := os.ReadFile(urlFile)
		if err != nil {
			return fmt.Errorf("%w: no --nats-url and no running ground in %s: %v", ErrConfig, cfg.DataDir, err)
		}
		cfg.Bus.URL = strings.TrimSpace(string(b))
		if cfg.Bus.User == "" {
			creds, err := bus.ReadCredentials(filepath.Join(cfg.DataDir, NATSAuthFile))
			if err != nil {
				return fmt.Errorf("watch: the embedded server's credentials: %w", err)
			}
			cfg.Bus.User, cfg.Bus.Password = creds.User, creds.Password
		}
	}
	if cfg.Durable == "" {
		cfg.Durable = "watch"
	}
	nc, err := bus.Connect(cfg.Bus)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for _, c := range cfg.Class {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: class %q may hold only a-z, 0-9 and _", ErrConfig, cfg.Class)
		}
	}
	filter := bus.SubjectDetections
	if cfg.Class != "" {
		filter = subjectDetectionPrefix + cfg.Class + ".>"
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := js.CreateOrUpdateConsumer(cctx, bus.StreamDetections, jetstream.ConsumerConfig{
		Durable:       cfg.Durable,
		Description:   "skysieve ground watch",
		FilterSubject: filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("watch: consumer %s on %s: %w", cfg.Durable, filter, err)
	}
	fmt.Fprintf(status, "watching %s on %s (durable consumer %s)\n", filter, nc.ConnectedUrlRedacted(), cfg.Durable)
	// urlGone: ground removed nats.url, as it does first on a clean stop.
	urlGone := func() bool {
		if urlFile == "" {
			return false
		}
		_, err := os.Stat(urlFile)
		return errors.Is(err, os.ErrNotExist)
	}
	printed := 0
	for ctx.Err() == nil {
		if !nc.IsConnected() && urlGone() {
			fmt.Fprintf(status, "ground stopped (%s removed); watch ends\n", urlFile)
			return nil
		}
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, jetstream.ErrNoMessages) {
				continue
			}
			if errors.Is(err, jetstream.ErrServerShutdown) {
				fmt.Fprintln(status, "NATS server shut down (ground stopped); watch ends")
				return nil
			}
			if urlGone() {
				// A fetch failing while ground stops (no responders, a
				// closed connection) is the stop, not a fault.
				fmt.Fprintf(status, "ground stopped (%s removed); watch ends\n", urlFile)
				return nil
			}
			if !nc.IsConnected() || errors.Is(err, nats.ErrNoResponders) {
				// Reconnecting, or JetStream not answering yet.
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("watch: %w", err)
		}
		for msg := range batch.Messages() {
			var f feed.Feature
			if err := json.Unmarshal(msg.Data(), &f); err != nil {
				fmt.Fprintf(out, "undecodable message on %s: %v\n", msg.Subject(), err)
				_ = msg.Ack()
				continue
			}
			if cfg.BBox == nil || intersects(f.BBox, cfg.BBox) {
				if cfg.JSON {
					fmt.Fprintf(out, "%s\n", msg.Data())
				} else {
					fmt.Fprintln(out, watchLine(&f))
				}
				printed++
			}
			if err := msg.DoubleAck(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("watch: ack: %w", err)
			}
			if cfg.Max > 0 && printed >= cfg.Max {
				return nil
			}
		}
		if err := batch.Error(); errors.Is(err, jetstream.ErrServerShutdown) {
			fmt.Fprintln(status, "NATS server shut down (ground stopped); watch ends")
			return nil
		} else if err != nil && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil && nc.IsConnected() {
			return fmt.Errorf("watch: %w", err)
		}
	}
	return nil
}

func intersects(fb []float64, b *[4]float64) bool {
	if len(fb) != 4 {
		return false
	}
	return fb[0] <= b[2] && fb[2] >= b[0] && fb[1] <= b[3] && fb[3] >= b[1]
}

// watchLine is the text form: publish time, class, confidence, centre,
// id, station and capture-to-publish latency.
func watchLine(f *feed.Feature) string {
	p := f.Properties
	lat, lon := 0.0, 0.0
	if len(f.BBox) == 4 {
		lon, lat = (f.BBox[0]+f.BBox[2])/2, (f.BBox[1]+f.BBox[3])/2
	}
	return fmt.Sprintf("%s  %-8s conf=%.2f  lat=%.4f lon=%.4f  id=%s  sat=%s station=%s  latency=%s",
		p.PublishTime.UTC().Format(time.RFC3339), p.Class, p.Confidence, lat, lon, f.ID, p.Satellite, p.Station,
		p.PublishTime.Sub(p.CaptureTime).Round(time.Second))
}
