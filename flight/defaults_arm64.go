//go:build arm64

package flight

// defaultMetricsAddr is empty in the arm64 (on-orbit) build: nothing on
// board scrapes Prometheus, an open listener is attack surface on a
// spacecraft bus, and housekeeping telemetry already carries the same
// figures to the ground. Set metrics_addr to turn it on (e.g. on a
// flat-sat).
const defaultMetricsAddr = ""
