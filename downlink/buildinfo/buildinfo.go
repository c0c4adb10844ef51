// Package buildinfo says what a Skysieve binary is: its module version,
// the commit it was built from and the Go release, read from the build
// information the Go toolchain embeds, for --version and the
// skysieve_build_info metric.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Info identifies a build.
type Info struct {
	// Version is the main module's version ("(devel)" for a plain build
	// in a work tree).
	Version string
	// Commit is the VCS revision, with "+dirty" when the tree had
	// uncommitted changes; "unknown" when the build recorded none.
	Commit string
	// Go is the Go release that built the binary.
	Go string
}

// Read returns this binary's Info.
func Read() Info {
	i := Info{Version: "unknown", Commit: "unknown", Go: runtime.Version()}
	b, ok := debug.ReadBuildInfo()
	if !ok {
		return i
	}
	return fromBuild(b)
}

func fromBuild(b *debug.BuildInfo) Info {
	i := Info{Version: b.Main.Version, Commit: "unknown", Go: b.GoVersion}
	if i.Version == "" {
		i.Version = "unknown"
	}
	dirty := false
	for _, s := range b.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && i.Commit != "unknown" {
		i.Commit += "+dirty"
	}
	return i
}

// Line is the --version text: "flight version v1.2.0 commit abc123 go1.26",
// then ", ONNX Runtime R" when ort (the linked release) is not empty.
func (i Info) Line(binary, ort string) string {
	s := fmt.Sprintf("%s version %s, commit %s, %s", binary, i.Version, i.Commit, i.Go)
	if ort != "" {
		s += ", ONNX Runtime " + ort
	}
	return s + "\n"
}

// Gauge is skysieve_build_info: always 1, its labels naming the service
// and the build (and the ONNX Runtime release, empty where not linked).
func (i Info) Gauge(service, ort string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "skysieve_build_info",
		Help: "Build of the running service: always 1, the labels say which.",
		ConstLabels: prometheus.Labels{"service": service, "version": i.Version, "commit": i.Commit,
			"goversion": i.Go, "onnxruntime": ort},
	})
	g.Set(1)
	return g
}
