package ground

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Kernel UDP counters exported as skysieve_ground_kernel_udp_drops_total:
// datagrams the kernel dropped before a receiver read them, mostly because
// a socket's receive buffer was full (a station's burst outran the
// processing loop). They are the host's (network namespace's) totals, not
// this process's alone, and frames lost there never show in the frame
// counters.
var kernelUDPCounters = []struct{ snmp, label string }{
	{"InErrors", "in_errors"},
	{"RcvbufErrors", "rcvbuf_errors"},
}

var descKernelUDPDrops = prometheus.NewDesc("skysieve_ground_kernel_udp_drops_total",
	"UDP datagrams the kernel dropped on receive, host-wide, from /proc/net/snmp and /proc/net/snmp6: "+
		"in_errors (all receive errors) and rcvbuf_errors (receive buffer full), by IP version.",
	[]string{"ip", "counter"}, nil)

// kernelUDPCollector reads the counters at scrape time. A missing file
// (not Linux, or no IPv6) exports nothing for it.
type kernelUDPCollector struct {
	snmp, snmp6 string
}

func newKernelUDPCollector() *kernelUDPCollector {
	return &kernelUDPCollector{snmp: "/proc/net/snmp", snmp6: "/proc/net/snmp6"}
}

// Describe implements prometheus.Collector.
func (c *kernelUDPCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descKernelUDPDrops }

// Collect implements prometheus.Collector.
func (c *kernelUDPCollector) Collect(ch chan<- prometheus.Metric) {
	for _, src := range []struct {
		ip, path string
		parse    func([]byte) (map[string]uint64, error)
	}{{"4", c.snmp, parseSNMPUDP}, {"6", c.snmp6, parseSNMP6UDP}} {
		b, err := os.ReadFile(src.path)
		if err != nil {
			continue
		}
		vals, err := src.parse(b)
		if err != nil {
			continue
		}
		for _, k := range kernelUDPCounters {
			if v, ok := vals[k.snmp]; ok {
				ch <- prometheus.MustNewConstMetric(descKernelUDPDrops, prometheus.CounterValue, float64(v), src.ip, k.label)
			}
		}
	}
}

// parseSNMPUDP reads the "Udp:" header and value lines of /proc/net/snmp.
func parseSNMPUDP(b []byte) (map[string]uint64, error) {
	var header []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if header == nil {
			header = f[1:]
			continue
		}
		if len(f)-1 != len(header) {
			return nil, fmt.Errorf("ground: /proc/net/snmp: Udp has %d names and %d values", len(header), len(f)-1)
		}
		out := make(map[string]uint64, len(header))
		for i, name := range header {
			v, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ground: /proc/net/snmp: Udp %s = %q: %v", name, f[i+1], err)
			}
			out[name] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("ground: /proc/net/snmp: no Udp values")
}

// parseSNMP6UDP reads the "Udp6<Name> <value>" lines of /proc/net/snmp6.
func parseSNMP6UDP(b []byte) (map[string]uint64, error) {
	out := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || !strings.HasPrefix(f[0], "Udp6") {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ground: /proc/net/snmp6: %s = %q: %v", f[0], f[1], err)
		}
		out[strings.TrimPrefix(f[0], "Udp6")] = v
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ground: /proc/net/snmp6: no Udp6 values")
	}
	return out, nil
}
