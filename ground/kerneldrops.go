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

var descSocketDrops = prometheus.NewDesc("skysieve_ground_udp_socket_drops_total",
	"Datagrams the kernel dropped at a UDP station's own socket (receive buffer full), from /proc/net/udp and /proc/net/udp6.",
	[]string{"station"}, nil)

// socketDropsCollector reports each UDP station socket's drops, found by
// the socket's inode in /proc/net/udp{,6} at scrape time.
type socketDropsCollector struct {
	tables []string
	inodes map[uint64]string // socket inode → station
}

func newSocketDropsCollector(udp []*udpReceiver) *socketDropsCollector {
	c := &socketDropsCollector{tables: []string{"/proc/net/udp", "/proc/net/udp6"}, inodes: map[uint64]string{}}
	for _, r := range udp {
		if ino, ok := socketInode(r.conn); ok {
			c.inodes[ino] = r.station
		}
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *socketDropsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descSocketDrops }

// Collect implements prometheus.Collector.
func (c *socketDropsCollector) Collect(ch chan<- prometheus.Metric) {
	if len(c.inodes) == 0 {
		return
	}
	drops := map[uint64]uint64{}
	for _, path := range c.tables {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for ino, n := range parseProcNetUDPDrops(b) {
			drops[ino] = n
		}
	}
	for ino, station := range c.inodes {
		if n, ok := drops[ino]; ok {
			ch <- prometheus.MustNewConstMetric(descSocketDrops, prometheus.CounterValue, float64(n), station)
		}
	}
}

// parseProcNetUDPDrops maps socket inode to its drops column in a
// /proc/net/udp table; malformed lines are skipped.
func parseProcNetUDPDrops(b []byte) map[uint64]uint64 {
	out := map[uint64]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 13 {
			continue
		}
		ino, err1 := strconv.ParseUint(f[9], 10, 64)
		n, err2 := strconv.ParseUint(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out[ino] = n
	}
	return out
}
