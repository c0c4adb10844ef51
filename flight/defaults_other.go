//go:build !arm64

package flight

// defaultMetricsAddr serves /metrics, /livez and /readyz on loopback for
// ground-side runs (development, the simulator, flat-sat on a laptop).
const defaultMetricsAddr = "127.0.0.1:9464"
