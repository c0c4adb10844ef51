package ground

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/skysieve/skysieve/ground/bus"
)

// ErrConfig is wrapped by every configuration error; the message names the
// bad key and value.
var ErrConfig = errors.New("ground: invalid configuration")

// UDPStation is a ground station whose modem sends one TM frame per UDP
// datagram.
type UDPStation struct {
	// Station names the station in counters, logs and published records.
	Station string
	// Listen is the local address, e.g. "127.0.0.1:7400" (port 0: any).
	Listen string
	// Uplink is where reports for this station go. Empty: back to the
	// address the station's latest frame that passed MAC verification
	// came from (never that of a datagram failing CRC or MAC, or a replay).
	Uplink string
}

// KISSStation is a ground station whose SDR modem sends KISS frames over
// TCP. In server mode (the default) the ground listens and the modem
// connects; in client mode the ground connects to the modem's KISS server
// (gr-satellites --kiss_server, Direwolf) and reconnects, with backoff,
// whenever the connection drops.
// Each KISS data frame holds one TM frame, or, with Sync set, a chunk of
// the ASM + randomised byte stream (package downlink/frame).
type KISSStation struct {
	Station string
	// Listen is the address to listen on, or in client mode the modem's
	// address to connect to.
	Listen string
	// Mode is KISSServer ("" too) or KISSClient.
	Mode string
	// Sync says the KISS payload is a synchronised byte stream (attached
	// sync markers and CCSDS randomiser) rather than whole frames.
	Sync bool

	// MaxConns caps the station's open connections; one more is closed
	// at once (0: DefaultKISSMaxConns). A modem needs one, and a few
	// allow for reconnects.
	MaxConns int
	// IdleTimeout is how long a connection may take to complete a KISS
	// frame once its first byte has arrived; past it the connection is
	// closed, so a trickle (say 1 byte/s) cannot hold a slot forever. A
	// connection sending nothing is kept: a modem is silent between
	// passes (0: DefaultKISSIdleTimeout).
	IdleTimeout time.Duration
}

// KISS station modes.
const (
	KISSServer = "server"
	KISSClient = "client"
)

// NATSReader is a read-only user of the embedded NATS server.
type NATSReader struct {
	User     string
	Password settings.Secret
}

// KISS connection limits by default.
const (
	DefaultKISSMaxConns    = 4
	DefaultKISSIdleTimeout = 30 * time.Second
)

// Config is everything a ground service needs. Zero fields take the
// DefaultConfig values in New.
type Config struct {
	// DataDir holds ground.db (reassembly log, outbox, published set) and,
	// for the embedded server, nats/ (the JetStream store).
	DataDir string
	UDP     []UDPStation
	KISS    []KISSStation
	// NATSURL is an external NATS server or cluster (comma-separated
	// URLs); empty runs the embedded server.
	NATSURL string
	// NATSListen is the embedded server's client listener on loopback
	// (port 0 = random; Service.NATSURL tells the bound URL).
	NATSListen string
	// NATSListenFallback: when NATSListen's port is taken, listen on a
	// free port instead, with a WARN line (the default, so a second
	// ground or a local nats-server on 4222 does not stop ground).
	NATSListenFallback bool
	// NATSCAFile, NATSCertFile and NATSKeyFile configure TLS to an
	// external server (CA to trust; client certificate and key).
	NATSCAFile, NATSCertFile, NATSKeyFile string
	// NATSCredsFile is a JWT user .creds file; NATSNKeyFile a file
	// holding a user nkey seed. At most one of them.
	NATSCredsFile, NATSNKeyFile string
	// NATSReplicas of the streams on a cluster (1..5).
	NATSReplicas int
	// NATSReaders are users of the embedded server with read-only access
	// to detections.>, alerts.> and the chips (consumers, no publish, no
	// delete); none by default. Ground's own user, with its password made
	// at first start in DataDir, is the only one that may publish.
	NATSReaders []NATSReader
	// KeyFile is the link key file (see downlink/sdls), mode 0600 or
	// stricter. Without one, or with the public development keys in it,
	// New refuses to start unless InsecureDevKeys is set
	// (--insecure-dev-keys); see downlink/linkkeys.
	KeyFile         string
	InsecureDevKeys bool
	// OutboxMaxAttempts is how often an outbox entry may be refused by the
	// bus for a reason of its own before it goes to the dead letters
	// (package outbox). Outages are not counted.
	OutboxMaxAttempts int
	// Link is what both ends of the space link agree on (frame length,
	// spacecraft id, SPIs, virtual channels).
	Link link.Config
	// MaxReassemblyBytes caps symbol bytes held for incomplete items
	// (0: the reassembler's default).
	MaxReassemblyBytes int64
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

// DefaultUDPListen is the default station's address: flight's default
// radio peer, so both services connect out of the box on one machine.
const DefaultUDPListen = "127.0.0.1:7400"

// DefaultNATSListen is the embedded NATS server's default listener: the
// port a nats CLI user expects.
const DefaultNATSListen = "127.0.0.1:4222"

// DefaultConfig runs out of the box once a key file is named (or
// InsecureDevKeys set): data in ./ground-data, one UDP station "local" on
// DefaultUDPListen (reports go back to the frames' sender), embedded NATS
// on DefaultNATSListen (a free port if that is taken), metrics on 127.0.0.1:9465, reports every
// 5 s, the default link.
func DefaultConfig() Config {
	return Config{
		DataDir:            "ground-data",
		UDP:                []UDPStation{{Station: "local", Listen: DefaultUDPListen}},
		NATSListen:         DefaultNATSListen,
		NATSListenFallback: true,
		NATSReplicas:       1,
		Link:               link.DefaultConfig(),
		MetricsAddr:        "127.0.0.1:9465",
		ReportInterval:     5 * time.Second,
		ContactIdle:        30 * time.Second,
		CAPSender:          "ground@skysieve.invalid",

		OutboxMaxAttempts: 10,
	}
}

func badKey(key string, value any, why string) error {
	return fmt.Errorf("%w: %w", ErrConfig, settings.Invalid(key, value, why))
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
		switch s.Mode {
		case "", KISSServer:
		case KISSClient:
			if _, port, _ := net.SplitHostPort(s.Listen); port == "0" {
				return badKey(fmt.Sprintf("kiss[%d].listen", i), s.Listen, "client mode connects to the modem: want its port, not 0")
			}
		default:
			return badKey(fmt.Sprintf("kiss[%d].mode", i), s.Mode, "want server or client")
		}
		if s.MaxConns < 0 {
			return badKey(fmt.Sprintf("kiss[%d].max_conns", i), s.MaxConns, "must be positive (0: the default)")
		}
		if s.IdleTimeout < 0 {
			return badKey(fmt.Sprintf("kiss[%d].idle_timeout", i), s.IdleTimeout, "must be positive (0: the default)")
		}
	}
	if c.NATSURL == "" {
		if err := checkAddr("nats.listen", c.NATSListen, false); err != nil {
			return err
		}
	}
	users := map[string]bool{bus.GroundUser: true}
	for i, r := range c.NATSReaders {
		key := fmt.Sprintf("nats.readers[%d]", i)
		if r.User == "" || strings.ContainsAny(r.User, " \t:") || users[r.User] {
			return badKey(key+".user", fmt.Sprintf("%q", r.User), "want a unique user name without spaces or colons, other than "+bus.GroundUser)
		}
		users[r.User] = true
		if len(r.Password.Reveal()) < 12 {
			return badKey(key+".password", settings.Redacted, "want at least 12 characters")
		}
	}
	if len(c.NATSReaders) > 0 && c.NATSURL != "" {
		return badKey("nats.readers", len(c.NATSReaders), "readers are users of the embedded server; an external server has its own")
	}
	if c.NATSReplicas < 1 || c.NATSReplicas > 5 {
		return badKey("nats.replicas", c.NATSReplicas, "want 1..5")
	}
	if (c.NATSCertFile == "") != (c.NATSKeyFile == "") {
		return badKey("nats.tls.cert", fmt.Sprintf("%q", c.NATSCertFile), "nats.tls.cert and nats.tls.key go together")
	}
	if c.NATSCredsFile != "" && c.NATSNKeyFile != "" {
		return badKey("nats.nkey", c.NATSNKeyFile, "give nats.creds or nats.nkey, not both")
	}
	if err := c.Link.Validate(); err != nil {
		return fmt.Errorf("%w: link: %v", ErrConfig, err)
	}
	if c.MaxReassemblyBytes < 0 {
		return badKey("max_reassembly_bytes", c.MaxReassemblyBytes, "must not be negative (0: the reassembler's default)")
	}
	if c.OutboxMaxAttempts < 1 {
		return badKey("outbox.max_attempts", c.OutboxMaxAttempts, "must be at least 1")
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
