// Package report turns a finished run into what people read: the figures
// (Metrics, for Skysieve and for the baseline side by side), a terminal
// summary, a live progress line while the run goes, the JSON file that
// `bin/sim run --json` writes, and a self-contained HTML page with inline
// SVG plots (queue and storage over time, passes on a timeline, the
// critical-latency CDF of both, and a map of events and detections).
//
// Report is plain data; the runner fills it. Percentile, CDF and the
// renderers are pure functions of it.
package report
