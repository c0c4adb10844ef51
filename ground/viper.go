package ground

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/skysieve/skysieve/downlink/linkkeys"
	"github.com/skysieve/skysieve/downlink/logsetup"
	"github.com/skysieve/skysieve/downlink/settings"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Configuration keys (YAML file, SKYSIEVE_<KEY> with dots as underscores
// in the environment, and the flags named beside them).
const (
	KeyDataDir        = "data_dir"             // --data-dir
	KeyKeyFile        = "key_file"             // --key-file
	KeyUDP            = "udp"                  // --udp station=host:port[,uplink=host:port]
	KeyKISS           = "kiss"                 // --kiss station=host:port[,mode=client][,sync=true][,max_conns=N][,idle_timeout=D]
	KeyNATSURL        = "nats.url"             // --nats-url
	KeyNATSListen     = "nats.listen"          // --nats-listen
	KeyNATSFallback   = "nats.listen_fallback" // --nats-listen-fallback
	KeyNATSCA         = "nats.tls.ca"          // --nats-ca
	KeyNATSCert       = "nats.tls.cert"        // --nats-cert
	KeyNATSKey        = "nats.tls.key"         // --nats-key
	KeyNATSCreds      = "nats.creds"           // --nats-creds
	KeyNATSNKey       = "nats.nkey"            // --nats-nkey
	KeyNATSReplicas   = "nats.replicas"        // --nats-replicas
	KeyFrameBytes     = "link.frame_bytes"     // --frame-bytes
	KeySpacecraftID   = "link.spacecraft_id"
	KeyDownlinkSPI    = "link.downlink_spi"
	KeyUplinkSPI      = "link.uplink_spi"
	KeyMetricsAddr    = "metrics_addr"    // --metrics-addr
	KeyReportInterval = "report_interval" // --report-interval
	KeyContactIdle    = "contact_idle"    // --contact-idle
	KeyCAPSender      = "cap_sender"
	KeyMaxReassembly  = "max_reassembly_bytes"
	KeyLogLevel       = logsetup.LevelKey  // --log-level
	KeyLogFormat      = logsetup.FormatKey // --log-format text|json

	KeyInsecureDevKeys   = "insecure_dev_keys"   // --insecure-dev-keys
	KeyNATSReaders       = "nats.readers"        // --nats-reader user:password (repeatable)
	KeyOutboxMaxAttempts = "outbox.max_attempts" // --outbox-max-attempts
)

// RunFlags defines the `ground run` flags on fs and binds them to v's keys.
func RunFlags(fs *pflag.FlagSet, v *viper.Viper) {
	d := DefaultConfig()
	fs.String("data-dir", d.DataDir, "data directory (reassembly log, outbox, embedded NATS store)")
	fs.String("key-file", "", "link key file, mode 0600 ('ground keys generate'); required unless --insecure-dev-keys")
	fs.Bool(linkkeys.InsecureFlag, false, "allow the public development link keys (no key file, or testdata/flight/dev.keys)")
	fs.StringArray("nats-reader", nil, "read-only user of the embedded NATS server: user:password (repeatable)")
	fs.Int("outbox-max-attempts", d.OutboxMaxAttempts, "publishes an outbox entry may fail before it goes to the dead letters")
	fs.StringArray("udp", nil, "UDP station: name=host:port[,uplink=host:port] (repeatable; default local="+DefaultUDPListen+", flight's default peer)")
	fs.StringArray("kiss", nil, "KISS-over-TCP station: name=host:port[,mode=client][,sync=true][,max_conns=4][,idle_timeout=30s] (repeatable; mode=client connects to the modem's KISS server at host:port)")
	fs.String("nats-url", "", "external NATS server or cluster (empty: embedded server)")
	fs.String("nats-listen", d.NATSListen, "embedded NATS client listener")
	fs.Bool("nats-listen-fallback", d.NATSListenFallback, "if the --nats-listen port is taken, listen on a free port (logged) instead of failing")
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
	logsetup.AddFlags(fs)
	for key, flag := range map[string]string{
		KeyDataDir: "data-dir", KeyKeyFile: "key-file", KeyUDP: "udp", KeyKISS: "kiss",
		KeyNATSURL: "nats-url", KeyNATSListen: "nats-listen", KeyNATSFallback: "nats-listen-fallback", KeyNATSCA: "nats-ca", KeyNATSCert: "nats-cert",
		KeyNATSKey: "nats-key", KeyNATSCreds: "nats-creds", KeyNATSNKey: "nats-nkey", KeyNATSReplicas: "nats-replicas",
		KeyFrameBytes: "frame-bytes", KeyMetricsAddr: "metrics-addr", KeyReportInterval: "report-interval",
		KeyContactIdle: "contact-idle", KeyLogLevel: logsetup.LevelFlag, KeyLogFormat: logsetup.FormatFlag, KeyInsecureDevKeys: linkkeys.InsecureFlag,
		KeyNATSReaders: "nats-reader", KeyOutboxMaxAttempts: "outbox-max-attempts",
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
	v.SetDefault(KeyNATSFallback, d.NATSListenFallback)
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
	v.SetDefault(KeyLogFormat, "text")
	v.SetDefault(KeyOutboxMaxAttempts, d.OutboxMaxAttempts)
	schema.BindEnv(v, "SKYSIEVE")
	v.AutomaticEnv()
	return v
}

// schema is every key ConfigFromViper understands and how it sets the
// Config (strict: see downlink/settings). A new key is a Key constant, a
// line here, its default in NewViper if it has one, and its check in
// Config.Validate; unknown-key refusal and suggestions follow.
var schema = settings.NewSchema(
	settings.Field[Config]{Key: KeyDataDir, Set: settings.String(func(c *Config) *string { return &c.DataDir })},
	settings.Field[Config]{Key: KeyKeyFile, Set: settings.String(func(c *Config) *string { return &c.KeyFile })},
	settings.Field[Config]{Key: KeyInsecureDevKeys, Set: settings.Bool(func(c *Config) *bool { return &c.InsecureDevKeys })},
	settings.Field[Config]{Key: KeyUDP, Set: setUDP},
	settings.Field[Config]{Key: KeyKISS, Set: setKISS},
	settings.Field[Config]{Key: KeyNATSURL, Set: settings.String(func(c *Config) *string { return &c.NATSURL }), Secret: true},
	settings.Field[Config]{Key: KeyNATSListen, Set: settings.String(func(c *Config) *string { return &c.NATSListen })},
	settings.Field[Config]{Key: KeyNATSFallback, Set: settings.Bool(func(c *Config) *bool { return &c.NATSListenFallback })},
	settings.Field[Config]{Key: KeyNATSCA, Set: settings.String(func(c *Config) *string { return &c.NATSCAFile })},
	settings.Field[Config]{Key: KeyNATSCert, Set: settings.String(func(c *Config) *string { return &c.NATSCertFile })},
	settings.Field[Config]{Key: KeyNATSKey, Set: settings.String(func(c *Config) *string { return &c.NATSKeyFile })},
	settings.Field[Config]{Key: KeyNATSCreds, Set: settings.String(func(c *Config) *string { return &c.NATSCredsFile })},
	settings.Field[Config]{Key: KeyNATSNKey, Set: settings.String(func(c *Config) *string { return &c.NATSNKeyFile })},
	settings.Field[Config]{Key: KeyNATSReplicas, Set: settings.Int(func(c *Config) *int { return &c.NATSReplicas })},
	settings.Field[Config]{Key: KeyNATSReaders, Set: setReaders, Secret: true},
	settings.Field[Config]{Key: KeyFrameBytes, Set: settings.Int(func(c *Config) *int { return &c.Link.FrameBytes })},
	settings.Field[Config]{Key: KeySpacecraftID, Set: settings.Ranged(func(c *Config) *uint16 { return &c.Link.SpacecraftID }, 1023)},
	settings.Field[Config]{Key: KeyDownlinkSPI, Set: settings.Ranged(func(c *Config) *uint16 { return &c.Link.DownlinkSPI }, 65534)},
	settings.Field[Config]{Key: KeyUplinkSPI, Set: settings.Ranged(func(c *Config) *uint16 { return &c.Link.UplinkSPI }, 65534)},
	settings.Field[Config]{Key: KeyMetricsAddr, Set: settings.String(func(c *Config) *string { return &c.MetricsAddr })},
	settings.Field[Config]{Key: KeyReportInterval, Set: settings.Duration(func(c *Config) *time.Duration { return &c.ReportInterval })},
	settings.Field[Config]{Key: KeyContactIdle, Set: settings.Duration(func(c *Config) *time.Duration { return &c.ContactIdle })},
	settings.Field[Config]{Key: KeyCAPSender, Set: settings.String(func(c *Config) *string { return &c.CAPSender })},
	settings.Field[Config]{Key: KeyMaxReassembly, Set: settings.Int64(func(c *Config) *int64 { return &c.MaxReassemblyBytes })},
	settings.Field[Config]{Key: KeyOutboxMaxAttempts, Set: settings.Int(func(c *Config) *int { return &c.OutboxMaxAttempts })},
	settings.Field[Config]{Key: KeyLogLevel, Set: func(_ *Config, v any) error {
		s, err := settings.ToString(v)
		if err != nil {
			return err
		}
		if _, err := logsetup.ParseLevel(s); err != nil {
			return fmt.Errorf("want debug, info, warn or error")
		}
		return nil
	}},
	settings.Field[Config]{Key: KeyLogFormat, Set: func(_ *Config, v any) error {
		s, err := settings.ToString(v)
		if err != nil {
			return err
		}
		if logsetup.CheckFormat(s) != nil {
			return fmt.Errorf("want text or json")
		}
		return nil
	}},
)

// ConfigKeys lists the keys ConfigFromViper understands, sorted.
func ConfigKeys() []string { return schema.Keys() }

// ConfigFromViper builds a Config from v (file, environment, flags), and
// validates it, strictly: an unknown key is refused with the closest
// known key suggested, a value of the wrong type or out of range is
// refused, never fixed. Errors wrap ErrConfig and name the key; secret
// values (nats.url, nats.readers) are not shown.
func ConfigFromViper(v *viper.Viper) (Config, error) {
	c := DefaultConfig()
	if err := schema.Apply(v, &c); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if v.IsSet(KeyKISS) && !v.IsSet(KeyUDP) && len(c.KISS) > 0 {
		c.UDP = nil
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

func setUDP(c *Config, raw any) error {
	entries, err := stationEntries(raw, KeyUDP)
	if err != nil {
		return err
	}
	c.UDP = nil
	for i, e := range entries {
		key := fmt.Sprintf("%s[%d]", KeyUDP, i)
		if err := onlyFields(key, e, "station", "listen", "uplink"); err != nil {
			return err
		}
		c.UDP = append(c.UDP, UDPStation{Station: e["station"], Listen: e["listen"], Uplink: e["uplink"]})
	}
	return nil
}

func setKISS(c *Config, raw any) error {
	entries, err := stationEntries(raw, KeyKISS)
	if err != nil {
		return err
	}
	c.KISS = nil
	for i, e := range entries {
		key := fmt.Sprintf("%s[%d]", KeyKISS, i)
		if err := onlyFields(key, e, "station", "listen", "mode", "sync", "max_conns", "idle_timeout"); err != nil {
			return err
		}
		st := KISSStation{Station: e["station"], Listen: e["listen"], Mode: e["mode"]}
		if v := e["max_conns"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return settings.Invalid(key+".max_conns", v, "want a positive integer")
			}
			st.MaxConns = n
		}
		if v := e["idle_timeout"]; v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return settings.Invalid(key+".idle_timeout", v, "want a positive duration such as 30s")
			}
			st.IdleTimeout = d
		}
		switch e["sync"] {
		case "", "false":
		case "true":
			st.Sync = true
		default:
			return settings.Invalid(key+".sync", e["sync"], "want true or false")
		}
		c.KISS = append(c.KISS, st)
	}
	return nil
}

// setReaders reads nats.readers: YAML maps {user, password}, or
// "user:password" strings from flags and the environment (space-separated
// there). Passwords never appear in errors.
func setReaders(c *Config, raw any) error {
	items, ok := listItems(raw)
	if !ok {
		return settings.Invalid(KeyNATSReaders, settings.Redacted, "want a list of {user, password}")
	}
	c.NATSReaders = nil
	for i, it := range items {
		key := fmt.Sprintf("%s[%d]", KeyNATSReaders, i)
		var r NATSReader
		switch x := it.(type) {
		case string:
			u, p, ok := strings.Cut(x, ":")
			if !ok {
				return settings.Invalid(key, settings.Redacted, "want user:password")
			}
			r = NATSReader{User: u, Password: settings.Secret(p)}
		case map[string]any:
			for k, val := range x {
				s, err := settings.ToString(val)
				switch {
				case err != nil:
					return settings.Invalid(key+"."+k, settings.Redacted, err.Error())
				case k == "user":
					r.User = s
				case k == "password":
					r.Password = settings.Secret(s)
				default:
					return settings.UnknownKey(key+"."+k, []string{key + ".user", key + ".password"})
				}
			}
		default:
			return settings.Invalid(key, settings.Redacted, "want {user, password}")
		}
		c.NATSReaders = append(c.NATSReaders, r)
	}
	return nil
}

// Logger is the logger log.level and log.format ask for, on w.
func Logger(v *viper.Viper, w io.Writer) (*slog.Logger, error) {
	if _, err := LogLevel(v); err != nil {
		return nil, err
	}
	log, err := logsetup.New(w, v.GetString(KeyLogLevel), v.GetString(KeyLogFormat))
	if err != nil {
		return nil, settings.Invalid(KeyLogFormat, fmt.Sprintf("%q", v.GetString(KeyLogFormat)), "want text or json")
	}
	return log, nil
}

// LogLevel parses the log.level key.
func LogLevel(v *viper.Viper) (slog.Level, error) {
	var l slog.Level
	s := v.GetString(KeyLogLevel)
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, settings.Invalid(KeyLogLevel, fmt.Sprintf("%q", s), "want debug, info, warn or error")
	}
	return l, nil
}

// stationEntries reads a station list: YAML maps, or strings of the form
// "name=host:port[,field=value...]" from flags and the environment
// (space-separated there).
func stationEntries(raw any, key string) ([]map[string]string, error) {
	var out []map[string]string
	items, ok := listItems(raw)
	if !ok {
		return nil, settings.Invalid(key, fmt.Sprintf("%v", raw), "want a list of stations")
	}
	for i, it := range items {
		switch x := it.(type) {
		case string:
			m := map[string]string{}
			for j, part := range strings.Split(x, ",") {
				k, val, ok := strings.Cut(part, "=")
				if !ok {
					return nil, settings.Invalid(fmt.Sprintf("%s[%d]", key, i), fmt.Sprintf("%q", x), "want name=host:port[,field=value]")
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
			return nil, settings.Invalid(fmt.Sprintf("%s[%d]", key, i), fmt.Sprintf("%v", it), "want a station map or name=host:port")
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
			return settings.Invalid(key+"."+k, val, "unknown field; want one of "+strings.Join(allowed, ", "))
		}
	}
	return nil
}

// listItems reads a list key: a YAML list, or strings from flags, or one
// space-separated string from the environment. ok is false for anything
// else.
func listItems(raw any) (items []any, ok bool) {
	switch x := raw.(type) {
	case []any:
		return x, true
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	case string:
		for _, s := range strings.Fields(x) {
			items = append(items, s)
		}
	default:
		return nil, false
	}
	return items, true
}
