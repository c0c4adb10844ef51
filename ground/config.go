package ground

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
)

// ErrConfig is wrapped by every configuration error; the message names the
// bad key and value.
var ErrConfig = errors.New("ground: invalid configuration")

// UDPStation is a ground station whose modem sends one TM frame per UDP
// datagram.
type UDPStation struct {
	// Station names the station in counters, logs and published records.
	Station string
	// Listen is the local address, e.g. "127.0.0.1:7700" (port 0: any).
	Listen string
	// Uplink is where reports for this station go. Empty: back to the
	// address the station's latest frame came from.
	Uplink string
}

// KISSStation is a ground station whose SDR modem serves KISS frames over
// TCP (as gr-satellites does). The ground listens; the modem connects.
// Each KISS data frame holds one TM frame, or, with Sync set, a chunk of
// the ASM + randomised byte stream (package downlink/frame).
type KISSStation struct {
	Station string
	Listen  string
	// Sync says the KISS payload is a synchronised byte stream (attached
	// sync markers and CCSDS randomiser) rather than whole frames.
	Sync bool
}

// NATSConfig selects the bus.
type NATSConfig struct {
	// URL of an external server or cluster; empty runs the embedded server.
	URL string
	// Listen is the embedded server's client listener (port 0 = random).
	Listen string
	// TLS to an external server.
	TLSCAFile, TLSCertFile, TLSKeyFile string
	// CredsFile is a JWT .creds file; NKeySeedFile a user nkey seed file.
	CredsFile, NKeySeedFile string
	// Replicas of the streams on a cluster.
	Replicas int
}

// Config is everything a ground service needs. Zero fields take the
// DefaultConfig values in New.
type Config struct {
	// DataDir holds ground.db (reassembly log, outbox, published set) and,
	// for the embedded server, nats/ (the JetStream store).
	DataDir string
	UDP     []UDPStation
	KISS    []KISSStation
	NATS    NATSConfig
	// KeyFile is the link key file (see downlink/sdls).
	KeyFile string
	// FrameBytes is the fixed TM frame length on the link.
	FrameBytes int
	// MetricsAddr serves /metrics, /livez and /readyz; empty disables.
	MetricsAddr string
	// ReportInterval is how often ACK/NAK reports go to a station in
	// contact.
	ReportInterval time.Duration
	// ContactIdle ends a contact after this long without a good frame
	// from the station; a final report is sent then.
	ContactIdle time.Duration
	// CAPSender is the CAP <sender> of alerts.
	CAPSender string
	// Clock gives publish timestamps and report timers. Default clock.Real.
	Clock clock.Clock
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// NATSURL is a convenience alias of NATS.URL for callers that only set the
// URL.
func (c *Config) NATSURL() string { return c.NATS.URL }

// DefaultConfig runs out of the box: data in ./ground-data, one UDP station
// "local" on 127.0.0.1:7700, embedded NATS on a random loopback port,
// metrics on 127.0.0.1:9465, reports every 5 s.
func DefaultConfig() Config {
	return Config{
		DataDir:        "ground-data",
		UDP:            []UDPStation{{Station: "local", Listen: "127.0.0.1:7700"}},
		NATS:           NATSConfig{Listen: "127.0.0.1:0", Replicas: 1},
		FrameBytes:     1024,
		MetricsAddr:    "127.0.0.1:9465",
		ReportInterval: 5 * time.Second,
		ContactIdle:    30 * time.Second,
		CAPSender:      "ground@skysieve.invalid",
	}
}

func badKey(key string, value any, why string) error {
	return fmt.Errorf("%w: %s = %v: %s", ErrConfig, key, value, why)
}

func checkAddr(key, addr string, allowEmpty bool) error {
	if addr == "" {
		if allowEmpty {
			return nil
		}
		return badKey(key, `""`, "address required")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return badKey(key, addr, "want host:port")
	}
	return nil
}

// Validate checks c, naming the first bad key and value.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return badKey("data_dir", `""`, "a data directory is required")
	}
	if len(c.UDP)+len(c.KISS) == 0 {
		return badKey("udp", "[]", "at least one UDP or KISS station is required")
	}
	seen := map[string]bool{}
	station := func(key, name string) error {
		if name == "" || strings.ContainsAny(name, " .*>/\t") {
			return badKey(key, fmt.Sprintf("%q", name), "station id must be non-empty without spaces, dots, slashes, * or >")
		}
		if seen[name] {
			return badKey(key, name, "station id used twice")
		}
		seen[name] = true
		return nil
	}
	for i, s := range c.UDP {
		if err := station(fmt.Sprintf("udp[%d].station", i), s.Station); err != nil {
			return err
		}
		if err := checkAddr(fmt.Sprintf("udp[%d].listen", i), s.Listen, false); err != nil {
			return err
		}
		if err := checkAddr(fmt.Sprintf("udp[%d].uplink", i), s.Uplink, true); err != nil {
			return err
		}
	}
	for i, s := range c.KISS {
		if err := station(fmt.Sprintf("kiss[%d].station", i), s.Station); err != nil {
			return err
		}
		if err := checkAddr(fmt.Sprintf("kiss[%d].listen", i), s.Listen, false); err != nil {
			return err
		}
	}
	if c.NATS.URL == "" {
		if err := checkAddr("nats.listen", c.NATS.Listen, false); err != nil {
			return err
		}
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		return badKey("nats.replicas", c.NATS.Replicas, "want 1..5")
	}
	if c.FrameBytes < 64 || c.FrameBytes > 65535 {
		return badKey("frame_bytes", c.FrameBytes, "want 64..65535")
	}
	if err := checkAddr("metrics_addr", c.MetricsAddr, true); err != nil {
		return err
	}
	if c.ReportInterval <= 0 {
		return badKey("report_interval", c.ReportInterval, "must be positive")
	}
	if c.ContactIdle <= 0 {
		return badKey("contact_idle", c.ContactIdle, "must be positive")
	}
	if c.CAPSender == "" || strings.ContainsAny(c.CAPSender, " ,<&") {
		return badKey("cap_sender", fmt.Sprintf("%q", c.CAPSender), "CAP sender must be non-empty without spaces, commas, < or &")
	}
	return nil
}
