package ground

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Configuration keys (YAML file, SKYSIEVE_<KEY> with dots as underscores
// in the environment, and the flags named beside them).
const (
	KeyDataDir        = "data_dir"         // --data-dir
	KeyKeyFile        = "key_file"         // --key-file
	KeyUDP            = "udp"              // --udp station=host:port[,uplink=host:port]
	KeyKISS           = "kiss"             // --kiss station=host:port[,sync=true][,max_conns=N][,idle_timeout=D]
	KeyNATSURL        = "nats.url"         // --nats-url
	KeyNATSListen     = "nats.listen"      // --nats-listen
	KeyNATSCA         = "nats.tls.ca"      // --nats-ca
	KeyNATSCert       = "nats.tls.cert"    // --nats-cert
	KeyNATSKey        = "nats.tls.key"     // --nats-key
	KeyNATSCreds      = "nats.creds"       // --nats-creds
	KeyNATSNKey       = "nats.nkey"        // --nats-nkey
	KeyNATSReplicas   = "nats.replicas"    // --nats-replicas
	KeyFrameBytes     = "link.frame_bytes" // --frame-bytes
	KeySpacecraftID   = "link.spacecraft_id"
	KeyDownlinkSPI    = "link.downlink_spi"
	KeyUplinkSPI      = "link.uplink_spi"
	KeyMetricsAddr    = "metrics_addr"    // --metrics-addr
	KeyReportInterval = "report_interval" // --report-interval
	KeyContactIdle    = "contact_idle"    // --contact-idle
	KeyCAPSender      = "cap_sender"
	KeyMaxReassembly  = "max_reassembly_bytes"
	KeyLogLevel       = "log.level" // --log-level
)

// RunFlags defines the `ground run` flags on fs and binds them to v's keys.
func RunFlags(fs *pflag.FlagSet, v *viper.Viper) {
	d := DefaultConfig()
	fs.String("data-dir", d.DataDir, "data directory (reassembly log, outbox, embedded NATS store)")
	fs.String("key-file", "", "link key file (empty: public development keys)")
	fs.StringArray("udp", nil, "UDP station: name=host:port[,uplink=host:port] (repeatable)")
	fs.StringArray("kiss", nil, "KISS-over-TCP station: name=host:port[,sync=true][,max_conns=4][,idle_timeout=30s] (repeatable)")
	fs.String("nats-url", "", "external NATS server or cluster (empty: embedded server)")
	fs.String("nats-listen", d.NATSListen, "embedded NATS client listener")
	fs.String("nats-ca", "", "CA file for TLS to an external NATS server")
	fs.String("nats-cert", "", "client certificate for TLS to NATS")
	fs.String("nats-key", "", "client key for TLS to NATS")
	fs.String("nats-creds", "", "NATS JWT user credentials file")
	fs.String("nats-nkey", "", "NATS user nkey seed file")
	fs.Int("nats-replicas", d.NATSReplicas, "stream replicas on a NATS cluster")
	fs.Int("frame-bytes", d.Link.FrameBytes, "TM frame length on the link")
	fs.String("metrics-addr", d.MetricsAddr, "address for /metrics, /livez, /readyz (empty: off)")
	fs.Duration("report-interval", d.ReportInterval, "ACK/NAK report period during a contact")
	fs.Duration("contact-idle", d.ContactIdle, "a contact ends after this long without frames")
	fs.String("log-level", "info", "log level: debug, info, warn, error")
	for key, flag := range map[string]string{
		KeyDataDir: "data-dir", KeyKeyFile: "key-file", KeyUDP: "udp", KeyKISS: "kiss",
		KeyNATSURL: "nats-url", KeyNATSListen: "nats-listen", KeyNATSCA: "nats-ca", KeyNATSCert: "nats-cert",
		KeyNATSKey: "nats-key", KeyNATSCreds: "nats-creds", KeyNATSNKey: "nats-nkey", KeyNATSReplicas: "nats-replicas",
		KeyFrameBytes: "frame-bytes", KeyMetricsAddr: "metrics-addr", KeyReportInterval: "report-interval",
		KeyContactIdle: "contact-idle", KeyLogLevel: "log-level",
	} {
		_ = v.BindPFlag(key, fs.Lookup(flag))
	}
}

// NewViper returns a viper with every ground key's default, reading
// SKYSIEVE_ environment variables (SKYSIEVE_NATS_URL for nats.url).
func NewViper() *viper.Viper {
	v := viper.New()
	d := DefaultConfig()
	v.SetDefault(KeyDataDir, d.DataDir)
	v.SetDefault(KeyKeyFile, "")
	v.SetDefault(KeyNATSListen, d.NATSListen)
	v.SetDefault(KeyNATSReplicas, d.NATSReplicas)
	v.SetDefault(KeyFrameBytes, d.Link.FrameBytes)
	v.SetDefault(KeySpacecraftID, d.Link.SpacecraftID)
	v.SetDefault(KeyDownlinkSPI, d.Link.DownlinkSPI)
	v.SetDefault(KeyUplinkSPI, d.Link.UplinkSPI)
	v.SetDefault(KeyMetricsAddr, d.MetricsAddr)
	v.SetDefault(KeyReportInterval, d.ReportInterval.String())
	v.SetDefault(KeyContactIdle, d.ContactIdle.String())
	v.SetDefault(KeyCAPSender, d.CAPSender)
	v.SetDefault(KeyMaxReassembly, 0)
	v.SetDefault(KeyLogLevel, "info")
	v.SetEnvPrefix("SKYSIEVE")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	return v
}

// ConfigFromViper builds a Config from v (file, environment, flags), and
// validates it. Errors wrap ErrConfig and name the key and value.
func ConfigFromViper(v *viper.Viper) (Config, error) {
	c := DefaultConfig()
	c.DataDir = v.GetString(KeyDataDir)
	c.KeyFile = v.GetString(KeyKeyFile)
	c.NATSURL = v.GetString(KeyNATSURL)
	c.NATSListen = v.GetString(KeyNATSListen)
	c.NATSCAFile = v.GetString(KeyNATSCA)
	c.NATSCertFile = v.GetString(KeyNATSCert)
	c.NATSKeyFile = v.GetString(KeyNATSKey)
	c.NATSCredsFile = v.GetString(KeyNATSCreds)
	c.NATSNKeyFile = v.GetString(KeyNATSNKey)
	c.MetricsAddr = v.GetString(KeyMetricsAddr)
	c.CAPSender = v.GetString(KeyCAPSender)
	var err error
	ints := []struct {
		key string
		dst *int
	}{{KeyNATSReplicas, &c.NATSReplicas}, {KeyFrameBytes, &c.Link.FrameBytes}}
	for _, f := range ints {
		if *f.dst, err = intKey(v, f.key); err != nil {
			return c, err
		}
	}
	u16 := []struct {
		key string
		dst *uint16
	}{{KeySpacecraftID, &c.Link.SpacecraftID}, {KeyDownlinkSPI, &c.Link.DownlinkSPI}, {KeyUplinkSPI, &c.Link.UplinkSPI}}
	for _, f := range u16 {
		n, err := intKey(v, f.key)
		if err != nil {
			return c, err
		}
		if n < 0 || n > 0xFFFF {
			return c, badKey(f.key, n, "want 0..65535")
		}
		*f.dst = uint16(n)
	}
	mr, err := intKey(v, KeyMaxReassembly)
	if err != nil {
		return c, err
	}
	c.MaxReassemblyBytes = int64(mr)
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{KeyReportInterval, &c.ReportInterval}, {KeyContactIdle, &c.ContactIdle}} {
		s := v.GetString(f.key)
		d, err := time.ParseDuration(s)
		if err != nil {
			return c, badKey(f.key, fmt.Sprintf("%q", s), "want a duration such as 5s or 1m")
		}
		*f.dst = d
	}
	if v.IsSet(KeyUDP) {
		c.UDP = nil
		entries, err := stationEntries(v, KeyUDP)
		if err != nil {
			return c, err
		}
		for i, e := range entries {
			key := fmt.Sprintf("%s[%d]", KeyUDP, i)
			if err := onlyFields(key, e, "station", "listen", "uplink"); err != nil {
				return c, err
			}
			c.UDP = append(c.UDP, UDPStation{Station: e["station"], Listen: e["listen"], Uplink: e["uplink"]})
		}
	}
	if v.IsSet(KeyKISS) {
		entries, err := stationEntries(v, KeyKISS)
		if err != nil {
			return c, err
		}
		for i, e := range entries {
			key := fmt.Sprintf("%s[%d]", KeyKISS, i)
			if err := onlyFields(key, e, "station", "listen", "sync", "max_conns", "idle_timeout"); err != nil {
				return c, err
			}
			st := KISSStation{Station: e["station"], Listen: e["listen"]}
			if v := e["max_conns"]; v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return c, badKey(key+".max_conns", v, "want a positive integer")
				}
				st.MaxConns = n
			}
			if v := e["idle_timeout"]; v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return c, badKey(key+".idle_timeout", v, "want a positive duration such as 30s")
				}
				st.IdleTimeout = d
			}
			switch e["sync"] {
			case "", "false":
			case "true":
				st.Sync = true
			default:
				return c, badKey(key+".sync", e["sync"], "want true or false")
			}
			c.KISS = append(c.KISS, st)
		}
		if !v.IsSet(KeyUDP) && len(c.KISS) > 0 {
			c.UDP = nil
		}
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// LogLevel parses the log.level key.
func LogLevel(v *viper.Viper) (slog.Level, error) {
	var l slog.Level
	s := v.GetString(KeyLogLevel)
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, badKey(KeyLogLevel, fmt.Sprintf("%q", s), "want debug, info, warn or error")
	}
	return l, nil
}

func intKey(v *viper.Viper, key string) (int, error) {
	raw := v.Get(key)
	switch x := raw.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case uint16:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case string:
		var n int
		if _, err := fmt.Sscan(x, &n); err == nil && fmt.Sprint(n) == strings.TrimSpace(x) {
			return n, nil
		}
	}
	return 0, badKey(key, fmt.Sprintf("%v", raw), "want an integer")
}

// stationEntries reads a station list: YAML maps, or strings of the form
// "name=host:port[,field=value...]" from flags and the environment
// (space-separated there).
func stationEntries(v *viper.Viper, key string) ([]map[string]string, error) {
	var out []map[string]string
	var items []any
	switch x := v.Get(key).(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	case string:
		for _, s := range strings.Fields(x) {
			items = append(items, s)
		}
	default:
		return nil, badKey(key, fmt.Sprintf("%v", x), "want a list of stations")
	}
	for i, it := range items {
		switch x := it.(type) {
		case string:
			m := map[string]string{}
			for j, part := range strings.Split(x, ",") {
				k, val, ok := strings.Cut(part, "=")
				if !ok {
					return nil, badKey(fmt.Sprintf("%s[%d]", key, i), fmt.Sprintf("%q", x), "want name=host:port[,field=value]")
				}
				if j == 0 {
					m["station"], m["listen"] = k, val
					continue
				}
				m[k] = val
			}
			out = append(out, m)
		case map[string]any:
			m := map[string]string{}
			for k, val := range x {
				m[strings.ToLower(k)] = fmt.Sprint(val)
			}
			out = append(out, m)
		default:
			return nil, badKey(fmt.Sprintf("%s[%d]", key, i), fmt.Sprintf("%v", it), "want a station map or name=host:port")
		}
	}
	return out, nil
}

func onlyFields(key string, m map[string]string, allowed ...string) error {
	for k, val := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return badKey(key+"."+k, val, "unknown field; want one of "+strings.Join(allowed, ", "))
		}
	}
	return nil
}
