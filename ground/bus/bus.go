package bus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/skysieve/skysieve/downlink/settings"
)

// Names of the streams and buckets the bus creates.
const (
	StreamDetections = "DETECTIONS"
	StreamAlerts     = "ALERTS"
	BucketChips      = "CHIPS"
	// SubjectDetections is the DETECTIONS stream's subject filter.
	SubjectDetections = "detections.>"
	// SubjectAlerts is the ALERTS stream's subject filter.
	SubjectAlerts = "alerts.>"
	// AlertDuplicateWindow is how long ALERTS remembers a Nats-Msg-Id.
	AlertDuplicateWindow = 48 * time.Hour
)

// Errors returned by the bus.
var (
	// ErrConfig reports an unusable configuration.
	ErrConfig = errors.New("bus: invalid configuration")
	// ErrEmbeddedStart reports that the embedded nats-server did not start.
	ErrEmbeddedStart = errors.New("bus: embedded nats-server did not start")
	// ErrNotReady reports that the streams are not yet created because the
	// server has not been reachable since Open.
	ErrNotReady = errors.New("bus: JetStream not reachable yet")
	// ErrConnect reports a connection the server refused: wrong
	// credentials, an untrusted certificate, a TLS mismatch.
	ErrConnect = errors.New("bus: cannot connect")
	// ErrStreamMissing reports a stream or bucket that is not on the
	// server (deleted behind the service's back).
	ErrStreamMissing = errors.New("bus: stream missing")
)

// Config says which server to use and how to reach it.
type Config struct {
	// URL of an external server or cluster (comma-separated). Empty starts
	// an embedded server.
	URL string
	// Listen is the embedded server's client listener, host:port. Port 0
	// picks a free port. Default "127.0.0.1:0".
	Listen string
	// ListenFallback, when Listen's port is taken, listens on a free port
	// of the same host instead and logs a WARN line naming both; without
	// it a taken port fails Open at once, naming the address.
	ListenFallback bool
	// StoreDir is the embedded server's JetStream store directory.
	StoreDir string
	// TLSCAFile, TLSCertFile and TLSKeyFile configure TLS to an external
	// server: the CA to trust, and the client certificate and key.
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
	// CredsFile is a JWT user credentials file (.creds).
	CredsFile string
	// NKeySeedFile is a file holding a user nkey seed.
	NKeySeedFile string
	// User and Password authenticate a client (Connect, or Open on an
	// external server); credentials in URL work as well.
	User     string
	Password settings.Secret
	// AuthFile is where the embedded server's ground credentials live:
	// made at first start (mode 0600), required by the server, used by
	// the bus's own connection. Default StoreDir/auth.json.
	AuthFile string
	// Readers are users of the embedded server with read-only access
	// (see Reader); none by default.
	Readers []Reader
	// Replicas of the streams on a cluster. Default 1.
	Replicas int
	// Name identifies the client connection in server monitoring.
	Name string
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
}

// Bus is a connection to JetStream with Skysieve's streams in place. Its
// methods are safe for concurrent use.
type Bus struct {
	cfg Config
	log *slog.Logger
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream

	mu      sync.Mutex
	ensured bool
	chips   jetstream.ObjectStore
}

// Open starts the embedded server (when cfg.URL is empty) and connects. For
// an external server that is unreachable, Open still succeeds: the
// connection keeps retrying and Ensure creates the streams once it is up.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Name == "" {
		cfg.Name = "skysieve-ground"
	}
	b := &Bus{cfg: cfg, log: cfg.Logger}
	url := cfg.URL
	if url == "" {
		if cfg.StoreDir == "" {
			return nil, fmt.Errorf("%w: embedded server needs a store dir", ErrConfig)
		}
		if cfg.AuthFile == "" {
			cfg.AuthFile = filepath.Join(cfg.StoreDir, "auth.json")
		}
		creds, err := LoadOrCreateCredentials(cfg.AuthFile)
		if err != nil {
			return nil, err
		}
		cfg.User, cfg.Password = creds.User, creds.Password
		b.cfg = cfg
		listen, err := claimListen(cfg.Listen, cfg.ListenFallback)
		if err != nil {
			return nil, err
		}
		wanted := cfg.Listen
		cfg.Listen = listen
		srv, err := startEmbedded(cfg, creds)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		url = srv.ClientURL()
		if listen != wanted {
			b.log.Warn("embedded NATS: listen address in use, fell back to a free port", "wanted", wanted, "url", url)
		} else {
			b.log.Info("embedded NATS listening", "url", url)
		}
	}
	opts, err := clientOptions(cfg, b.log)
	if err != nil {
		b.shutdownServer()
		return nil, err
	}
	nc, err := dial(url, opts)
	if err != nil {
		b.shutdownServer()
		return nil, err
	}
	b.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.js = js
	if nc.IsConnected() {
		if err := b.Ensure(ctx); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// dial makes one connection attempt, so that a wrong password, a refused
// certificate or a missing CA is reported at once, as what it is. Only a
// server that cannot be reached yet is waited for: the connection then
// keeps retrying in the background (outbox items wait).
func dial(url string, opts []nats.Option) (*nats.Conn, error) {
	once := append(slices.Clone(opts), nats.RetryOnFailedConnect(false))
	nc, err := nats.Connect(url, once...)
	if err == nil {
		return nc, nil
	}
	if !errors.Is(err, nats.ErrNoServers) {
		return nil, fmt.Errorf("%w: connect %s: %s: %w", ErrConnect, settings.RedactURL(url), connectFailure(err), err)
	}
	nc, err = nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: connect %s: %w", ErrConnect, settings.RedactURL(url), err)
	}
	return nc, nil
}

// connectFailure names the kind of a failed connection attempt.
func connectFailure(err error) string {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		return "authentication refused by the server"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "TLS certificate not trusted"
	case errors.Is(err, nats.ErrSecureConnRequired), errors.Is(err, nats.ErrSecureConnWanted):
		return "TLS configuration does not match the server's"
	}
	return "connection refused by the server or by its TLS settings"
}

// claimListen checks that listen (host:port) can be bound, so a taken
// port is reported as such, not as a server that never became ready.
// With fallback a taken port gives way to host:0 (a free port).
func claimListen(listen string, fallback bool) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("%w: nats listen %q: %v", ErrConfig, listen, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%w: nats listen %q: port must be 0..65535", ErrConfig, listen)
	}
	if port == "0" {
		return listen, nil
	}
	l, err := net.Listen("tcp", listen)
	if err == nil {
		return listen, l.Close()
	}
	if !fallback || !errors.Is(err, syscall.EADDRINUSE) {
		return "", fmt.Errorf("%w: nats listen %s: %v", ErrEmbeddedStart, listen, err)
	}
	return net.JoinHostPort(host, "0"), nil
}

func startEmbedded(cfg Config, creds Credentials) (*server.Server, error) {
	if cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: embedded server needs a store dir", ErrConfig)
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: nats listen %q: %v", ErrConfig, cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: nats listen %q: port must be 0..65535", ErrConfig, cfg.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("bus: store dir: %w", err)
	}
	users, err := serverUsers(creds, cfg.Readers)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		// Every client authenticates: ground's user publishes, readers
		// read, nobody else gets in.
		Users:      users,
		ServerName: "skysieve-ground",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Clean(cfg.StoreDir),
		// Fsync every write before the publish is acknowledged.
		SyncAlways: true,
		// The server must not install signal handlers that could stop the
		// ground process.
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 4 << 20,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEmbeddedStart, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("%w: not ready for connections on %s after 10s", ErrEmbeddedStart, cfg.Listen)
	}
	return srv, nil
}

func clientOptions(cfg Config, log *slog.Logger) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(200 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		// Fail publishes at once while disconnected; the outbox holds them.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("nats error", "err", err)
		}),
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password.Reveal()))
	}
	if cfg.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCAFile))
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, fmt.Errorf("%w: TLS cert file %q and key file %q must be given together", ErrConfig, cfg.TLSCertFile, cfg.TLSKeyFile)
	}
	if cfg.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCertFile, cfg.TLSKeyFile))
	}
	if cfg.CredsFile != "" && cfg.NKeySeedFile != "" {
		return nil, fmt.Errorf("%w: give a creds file or an nkey seed file, not both", ErrConfig)
	}
	if cfg.CredsFile != "" {
		if _, err := os.Stat(cfg.CredsFile); err != nil {
			return nil, fmt.Errorf("%w: creds file: %v", ErrConfig, err)
		}
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed file %q: %v", ErrConfig, cfg.NKeySeedFile, err)
		}
		opts = append(opts, o)
	}
	return opts, nil
}

// Connect dials cfg.URL as a plain client (no embedded server, no stream
// creation), for tools such as the watch command.
func Connect(cfg Config) (*nats.Conn, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: a NATS URL is required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts, err := clientOptions(cfg, cfg.Logger)
	if err != nil {
		return nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false))
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: connect %s: %s: %w", ErrConnect, settings.RedactURL(cfg.URL), connectFailure(err), err)
	}
	return nc, nil
}

// Ensure creates the streams and the chip bucket if they are absent. It is
// called by Open when the server is reachable and by the publish methods
// until it has succeeded once.
func (b *Bus) Ensure(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ensured {
		return nil
	}
	if !b.nc.IsConnected() {
		return ErrNotReady
	}
	det := jetstream.StreamConfig{
		Name:        StreamDetections,
		Description: "Skysieve detections, one subject per detection, published once",
		Subjects:    []string{SubjectDetections},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    b.cfg.Replicas,
		DenyDelete:  true,
		DenyPurge:   true,
		// Create-only-if-absent relies on the subject's last message
		// staying in the stream: never age detections out.
		MaxAge:      0,
		PersistMode: jetstream.DefaultPersistMode,
		AllowDirect: true,
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, det); err != nil {
		return fmt.Errorf("bus: stream %s: %w", StreamDetections, err)
	}
	alerts := jetstream.StreamConfig{
		Name:        StreamAlerts,
		Description: "Skysieve CAP 1.2 alerts",
		Subjects:    []string{SubjectAlerts},
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
		Duplicates:  AlertDuplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
		PersistMode: jetstream.DefaultPersistMode,
	}
	if _, err := b.js.CreateOrUpdateStream(ctx, alerts); err != nil {
		return fmt.Errorf("bus: stream %s: %w", StreamAlerts, err)
	}
	obj, err := b.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      BucketChips,
		Description: "Skysieve evidence chips by detection id",
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("bus: object store %s: %w", BucketChips, err)
	}
	b.chips = obj
	b.ensured = true
	return nil
}

// CheckStreams asks the server whether the streams and the chip bucket
// exist: connected is not enough, since a stream deleted behind the
// service's back fails every publish. A missing one gives an error
// wrapping ErrStreamMissing, and the next publish creates it again.
func (b *Bus) CheckStreams(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return ErrNotReady
	}
	for _, name := range []string{StreamDetections, StreamAlerts, "OBJ_" + BucketChips} {
		if _, err := b.js.Stream(ctx, name); err != nil {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				b.mu.Lock()
				b.ensured = false
				b.mu.Unlock()
				return fmt.Errorf("%w: %s", ErrStreamMissing, name)
			}
			return fmt.Errorf("bus: stream %s: %w", name, err)
		}
	}
	return nil
}

// Credentials are the user the bus connects as ("" for none, or when the
// external URL carries them).
func (b *Bus) Credentials() Credentials {
	return Credentials{User: b.cfg.User, Password: b.cfg.Password}
}

// URL is the client URL of the server in use: the embedded server's
// listener, or the configured external URL (which may carry credentials:
// log it through settings.RedactURL).
func (b *Bus) URL() string {
	if b.srv != nil {
		return b.srv.ClientURL()
	}
	return b.cfg.URL
}

// Conn is the client connection (for consumers such as the watch tool).
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream is the JetStream context of the connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Connected reports whether the client is connected now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.nc != nil {
		b.nc.Close()
	}
	b.shutdownServer()
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}
