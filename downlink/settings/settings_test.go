package settings

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

type testConfig struct {
	URL      string
	Replicas int
	Every    time.Duration
	Share    float64
	On       bool
	SCID     uint16
	Token    string
}

var testSchema = NewSchema(
	Field[testConfig]{Key: "nats.url", Set: String(func(c *testConfig) *string { return &c.URL })},
	Field[testConfig]{Key: "nats.replicas", Set: Int(func(c *testConfig) *int { return &c.Replicas })},
	Field[testConfig]{Key: "report_every", Set: Duration(func(c *testConfig) *time.Duration { return &c.Every })},
	Field[testConfig]{Key: "share", Set: Float(func(c *testConfig) *float64 { return &c.Share })},
	Field[testConfig]{Key: "on", Set: Bool(func(c *testConfig) *bool { return &c.On })},
	Field[testConfig]{Key: "link.spacecraft_id", Set: Ranged(func(c *testConfig) *uint16 { return &c.SCID }, 1023)},
	Field[testConfig]{Key: "token", Set: String(func(c *testConfig) *string { return &c.Token }), Secret: true},
)

func TestApply(t *testing.T) {
	cases := []struct {
		key  string
		val  any
		want string
		kind error
	}{
		{"nats.urll", "x", "unknown key nats.urll; did you mean nats.url?", ErrUnknownKey},
		{"nats.replica", 1, "unknown key nats.replica; did you mean nats.replicas?", ErrUnknownKey},
		{"colour", "red", "unknown key colour", ErrUnknownKey},
		{"nats.replicas", 1.5, "nats.replicas = 1.5: want an integer", ErrValue},
		{"nats.replicas", "3x", "nats.replicas = 3x: want an integer", ErrValue},
		{"report_every", 90, "report_every = 90: want a duration", ErrValue},
		{"share", "half", "share = half: want a number", ErrValue},
		{"on", "yes", "on = yes: want true or false", ErrValue},
		{"link.spacecraft_id", 70000, "link.spacecraft_id = 70000: must be in 0..1023", ErrValue},
		{"token", 42, "token = [redacted]: want a string", ErrValue},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.key, "=", c.val), func(t *testing.T) {
			v := viper.New()
			v.Set(c.key, c.val)
			var cfg testConfig
			err := testSchema.Apply(v, &cfg)
			if !errors.Is(err, c.kind) || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q (%v)", err, c.want, c.kind)
			}
		})
	}
	v := viper.New()
	for k, val := range map[string]any{"nats.url": "nats://h:4222", "nats.replicas": "3", "report_every": "5s",
		"share": 1, "on": "true", "link.spacecraft_id": 42.0, "token": "s3cret"} {
		v.Set(k, val)
	}
	var cfg testConfig
	if err := testSchema.Apply(v, &cfg); err != nil {
		t.Fatal(err)
	}
	want := testConfig{URL: "nats://h:4222", Replicas: 3, Every: 5 * time.Second, Share: 1, On: true, SCID: 42, Token: "s3cret"}
	if cfg != want {
		t.Fatalf("config %+v, want %+v", cfg, want)
	}
}

func TestClosest(t *testing.T) {
	known := []string{"nats.url", "nats.listen", "report_interval", "contact_idle"}
	for key, want := range map[string]string{
		"nats.urll": "nats.url", "nats.lsten": "nats.listen", "report_intervall": "report_interval",
		"idle": "", "zzzzzzzzzzzz": "",
	} {
		if got := Closest(key, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestRedaction(t *testing.T) {
	for in, want := range map[string]string{
		"nats://ground:hunter2@10.0.0.1:4222":       "nats://ground:[redacted]@10.0.0.1:4222",
		"nats://tok3n@h:4222":                       "nats://[redacted]@h:4222",
		"nats://h:4222":                             "nats://h:4222",
		"nats://a:pw1@h1:4222,nats://b:pw2@h2:4222": "nats://a:[redacted]@h1:4222,nats://b:[redacted]@h2:4222",
		"tls://u:p%40ss@h:1":                        "tls://u:[redacted]@h:1",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := StripUserinfo("nats://a:pw@h1:4222, nats://h2:4222"); got != "nats://h1:4222,nats://h2:4222" {
		t.Errorf("StripUserinfo = %q", got)
	}
	s := Secret("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "password", s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "password", s)
	out := buf.String() + fmt.Sprintf("%v %s %+v %#v", s, s, struct{ P Secret }{s}, s)
	if strings.Contains(out, "hunter2") || s.Reveal() != "hunter2" {
		t.Fatalf("secret shown: %s", out)
	}
}
