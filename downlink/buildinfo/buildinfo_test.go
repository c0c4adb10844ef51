package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestFromBuild(t *testing.T) {
	cases := []struct {
		name     string
		b        debug.BuildInfo
		version  string
		commit   string
		hasDirty bool
	}{
		{"clean", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}}, "v1.2.0", "abc123", false},
		{"dirty", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}, "(devel)", "abc123+dirty", true},
		{"no vcs", debug.BuildInfo{GoVersion: "go1.26.0"}, "unknown", "unknown", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := fromBuild(&c.b)
			if i.Version != c.version || i.Commit != c.commit || i.Go != "go1.26.0" {
				t.Fatalf("got %+v", i)
			}
		})
	}
}

func TestLineAndGauge(t *testing.T) {
	i := Info{Version: "v1.2.0", Commit: "abc123", Go: "go1.26.0"}
	if got := i.Line("flight", "1.24.3"); got != "flight version v1.2.0, commit abc123, go1.26.0, ONNX Runtime 1.24.3\n" {
		t.Fatalf("line %q", got)
	}
	if got := i.Line("ground", ""); strings.Contains(got, "ONNX") {
		t.Fatalf("line %q names ONNX Runtime", got)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(i.Gauge("ground", ""))
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "skysieve_build_info" || len(mfs[0].Metric) != 1 {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
	m := mfs[0].Metric[0]
	labels := map[string]string{}
	for _, l := range m.Label {
		labels[l.GetName()] = l.GetValue()
	}
	if m.GetGauge().GetValue() != 1 || labels["service"] != "ground" || labels["version"] != "v1.2.0" ||
		labels["commit"] != "abc123" || labels["goversion"] != "go1.26.0" {
		t.Fatalf("gauge %v, labels %v", m.GetGauge().GetValue(), labels)
	}
}
