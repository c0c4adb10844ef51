package ground

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
)

// writeCA makes a CA and a server certificate for 127.0.0.1, writing the
// CA's PEM to dir; it returns the server's tls.Config and the CA path.
func writeCA(t *testing.T, dir string) (*tls.Config, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "skysieve test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
		MinVersion: tls.VersionTLS12}, caPath
}

// TestExternalNATSWithTLSAndNKey: the ground reaches an external server
// over TLS (trusting a private CA) and authenticates with an nkey seed
// file; with the wrong seed it cannot, and the detection waits in the
// outbox.
func TestExternalNATSWithTLSAndNKey(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	tlsCfg, caPath := writeCA(t, dir)
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedPath := filepath.Join(dir, "ground.nk")
	if err := os.WriteFile(seedPath, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	stranger, _ := nkeys.CreateUser()
	strangerSeed, _ := stranger.Seed()
	strangerPath := filepath.Join(dir, "stranger.nk")
	if err := os.WriteFile(strangerPath, strangerSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(),
		SyncAlways: true, NoSigs: true, NoLog: true, TLSConfig: tlsCfg, TLS: true, TLSTimeout: 2,
		Nkeys: []*server.NkeyUser{{Nkey: pub}}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	url := "tls://127.0.0.1:" + strconv.Itoa(port)
	fl := newFlight(t, keys, 1)

	// A refused key or an untrusted server is reported by Run at once, as
	// what it is, not as "ready" followed by publish errors.
	refused := []struct {
		name, ca, nkey, want string
	}{
		{"wrong nkey", caPath, strangerPath, "authentication refused"},
		{"missing CA", "", seedPath, "TLS certificate not trusted"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t, filepath.Join(dir, "g-"+strings.ReplaceAll(c.name, " ", "-")), keys, "alpha")
			cfg.NATSURL, cfg.NATSCAFile, cfg.NATSNKeyFile = url, c.ca, c.nkey
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = s.Run(ctx)
			if !errors.Is(err, bus.ErrConnect) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run: %v, want %q", err, c.want)
			}
			if ctx.Err() != nil {
				t.Fatal("Run waited for its context instead of failing the connection")
			}
		})
	}
	t.Run("right nkey", func(t *testing.T) {
		cfg := testConfig(t, filepath.Join(dir, "g"), keys, "alpha")
		cfg.NATSURL, cfg.NATSCAFile, cfg.NATSNKeyFile = url, caPath, seedPath
		g := start(t, cfg)
		sendUDP(t, g.UDPAddr("alpha"), fl.recordFrames(detection(601, record.ClassFire)))
		waitFor(t, "published over TLS", 10*time.Second, func() bool { return g.Stats().Published == 1 })
	})
}
