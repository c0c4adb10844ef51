package procs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxMetricsBytes bounds a child's /metrics page.
const maxMetricsBytes = 4 << 20

// ErrMetrics: a metrics page is not the Prometheus text format.
var ErrMetrics = errors.New("procs: bad metrics page")

// sumMetric adds up every sample of the metric family name (all label
// sets) in a Prometheus text exposition. A sample line that names the
// family but does not parse is an error naming the line; the family's
// absence is not (the sum is 0, found is false).
func sumMetric(page, name string) (sum float64, found bool, err error) {
	if len(page) > maxMetricsBytes {
		return 0, false, fmt.Errorf("%w: %d bytes exceeds %d", ErrMetrics, len(page), maxMetricsBytes)
	}
	for n, line := range strings.Split(page, "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		switch {
		case strings.HasPrefix(rest, "{"):
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				return 0, false, fmt.Errorf("%w: line %d: unclosed label set", ErrMetrics, n+1)
			}
			rest = rest[end+1:]
		case strings.HasPrefix(rest, " "):
		default:
			continue // another family sharing the prefix
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 || len(fields) > 2 {
			return 0, false, fmt.Errorf("%w: line %d: want value [timestamp], got %q", ErrMetrics, n+1, rest)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("%w: line %d: value %q is not a finite number", ErrMetrics, n+1, fields[0])
		}
		sum += v
		found = true
	}
	return sum, found, nil
}
