package ground

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestConfigFromViper(t *testing.T) {
	dir := t.TempDir()
	yaml := filepath.Join(dir, "ground.yaml")
	if err := os.WriteFile(yaml, []byte(`
data_dir: /var/lib/ground
report_interval: 2s
nats:
  url: nats://10.0.0.1:4222
  creds: /etc/ground.creds
udp:
  - station: svalbard
    listen: 0.0.0.0:7700
    uplink: 10.1.1.1:7701
kiss:
  - {station: troll, listen: "0.0.0.0:8001", sync: true}
link:
  frame_bytes: 1024
`), 0o600); err != nil {
		t.Fatal(err)
	}
	v := NewViper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	RunFlags(fs, v)
	if err := fs.Parse([]string{"--contact-idle", "45s"}); err != nil {
		t.Fatal(err)
	}
	v.SetConfigFile(yaml)
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SKYSIEVE_CAP_SENDER", "ops@example.org")
	c, err := ConfigFromViper(v)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/ground" || c.ReportInterval != 2*time.Second || c.ContactIdle != 45*time.Second ||
		c.NATSURL != "nats://10.0.0.1:4222" || c.NATSCredsFile != "/etc/ground.creds" || c.Link.FrameBytes != 1024 ||
		c.CAPSender != "ops@example.org" {
		t.Fatalf("config %+v", c)
	}
	if len(c.UDP) != 1 || c.UDP[0] != (UDPStation{"svalbard", "0.0.0.0:7700", "10.1.1.1:7701"}) {
		t.Fatalf("udp %+v", c.UDP)
	}
	if len(c.KISS) != 1 || c.KISS[0] != (KISSStation{Station: "troll", Listen: "0.0.0.0:8001", Sync: true}) {
		t.Fatalf("kiss %+v", c.KISS)
	}
}

func TestConfigFromViperDefaultsAndErrors(t *testing.T) {
	v := NewViper()
	c, err := ConfigFromViper(v)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if len(c.UDP) != 1 || c.UDP[0].Station != "local" {
		t.Fatalf("default stations %+v", c.UDP)
	}
	cases := []struct {
		env, value, wantKey, wantValue string
	}{
		{"SKYSIEVE_REPORT_INTERVAL", "soon", "report_interval", "soon"},
		{"SKYSIEVE_LINK_FRAME_BYTES", "big", "link.frame_bytes", "big"},
		{"SKYSIEVE_NATS_REPLICAS", "7", "nats.replicas", "7"},
		{"SKYSIEVE_UDP", "alpha=127.0.0.1:1 nocolon", "udp[1]", "nocolon"},
		{"SKYSIEVE_UDP", "alpha=127.0.0.1:1,color=red", "udp[0].color", "red"},
		{"SKYSIEVE_METRICS_ADDR", "localhost", "metrics_addr", "localhost"},
	}
	for _, tc := range cases {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			_, err := ConfigFromViper(NewViper())
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.wantKey) || !strings.Contains(err.Error(), tc.wantValue) {
				t.Fatalf("error %v: want ErrConfig naming %s and the value", err, tc.wantKey)
			}
		})
	}
	t.Run("udp from env", func(t *testing.T) {
		t.Setenv("SKYSIEVE_UDP", "a=127.0.0.1:1 b=127.0.0.1:2,uplink=127.0.0.1:3")
		c, err := ConfigFromViper(NewViper())
		if err != nil {
			t.Fatal(err)
		}
		if len(c.UDP) != 2 || c.UDP[1].Uplink != "127.0.0.1:3" {
			t.Fatalf("udp %+v", c.UDP)
		}
	})
}

// TestExampleConfig loads testdata/ground/ground.yaml, the documented
// example, as the binary would.
func TestExampleConfig(t *testing.T) {
	v := NewViper()
	v.SetConfigFile("../testdata/ground/ground.yaml")
	if err := v.ReadInConfig(); err != nil {
		t.Fatal(err)
	}
	c, err := ConfigFromViper(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.UDP) != 2 || len(c.KISS) != 1 || !c.KISS[0].Sync || c.Link.SpacecraftID != 42 {
		t.Fatalf("example config read as %+v", c)
	}
	if _, err := LogLevel(v); err != nil {
		t.Fatal(err)
	}
}

func TestStationFlags(t *testing.T) {
	v := NewViper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	RunFlags(fs, v)
	if err := fs.Parse([]string{"--udp", "a=127.0.0.1:1,uplink=127.0.0.1:2", "--udp", "b=127.0.0.1:3",
		"--kiss", "k=127.0.0.1:4,sync=true"}); err != nil {
		t.Fatal(err)
	}
	c, err := ConfigFromViper(v)
	if err != nil {
		t.Fatal(err)
	}
	want := []UDPStation{{"a", "127.0.0.1:1", "127.0.0.1:2"}, {"b", "127.0.0.1:3", ""}}
	if len(c.UDP) != 2 || c.UDP[0] != want[0] || c.UDP[1] != want[1] {
		t.Fatalf("udp %+v, want %+v", c.UDP, want)
	}
	if len(c.KISS) != 1 || c.KISS[0] != (KISSStation{Station: "k", Listen: "127.0.0.1:4", Sync: true}) {
		t.Fatalf("kiss %+v", c.KISS)
	}
}
