package ground

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestParseKernelUDPCounters(t *testing.T) {
	snmp := "Ip: Forwarding DefaultTTL\nIp: 1 64\n" +
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
		"Udp: 16517 36 7 16643 5 0\n" +
		"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\nUdpLite: 0 0 99 0 99 0\n"
	got, err := parseSNMPUDP([]byte(snmp))
	if err != nil || got["InErrors"] != 7 || got["RcvbufErrors"] != 5 || got["InDatagrams"] != 16517 {
		t.Fatalf("snmp: %v, %v", got, err)
	}
	got, err = parseSNMP6UDP([]byte("Ip6InReceives 3\nUdp6InErrors    \t 11\nUdp6RcvbufErrors 4\nUdpLite6InErrors 99\n"))
	if err != nil || got["InErrors"] != 11 || got["RcvbufErrors"] != 4 || len(got) != 2 {
		t.Fatalf("snmp6: %v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"no udp":       "Ip: Forwarding\nIp: 1\n",
		"short values": "Udp: InDatagrams InErrors\nUdp: 1\n",
		"not a number": "Udp: InDatagrams InErrors\nUdp: 1 x\n",
	} {
		if _, err := parseSNMPUDP([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := parseSNMP6UDP([]byte("Udp6InErrors -1\n")); err == nil {
		t.Error("snmp6 negative: no error")
	}
}

// TestKernelUDPDropsMetric overflows a real socket's receive buffer on
// loopback and reads the ground's /metrics: the kernel's receive-buffer
// and receive-error counters grew by at least the datagrams lost (the
// counters are host-wide, so other traffic can only add to them).
func TestKernelUDPDropsMetric(t *testing.T) {
	if _, err := os.Stat("/proc/net/snmp"); err != nil {
		t.Skip("no /proc/net/snmp on this system")
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir+"/g", writeKeys(t, dir), "alpha")
	cfg.MetricsAddr = "127.0.0.1:0"
	g := start(t, cfg)
	scrape := &child{metrics: g.MetricsAddr().String()}
	series := func(counter string) float64 {
		return scrape.counter(t, "skysieve_ground_kernel_udp_drops_total", `ip="4"`, `counter="`+counter+`"`)
	}
	rcvbuf0, inErr0 := series("rcvbuf_errors"), series("in_errors")
	if rcvbuf0 < 0 || inErr0 < 0 {
		t.Fatal("metrics endpoint unreachable")
	}

	sink := loopbackUDP(t)
	dropped := overflow(t, sink)
	rcvbuf, inErr := series("rcvbuf_errors"), series("in_errors")
	t.Logf("%v datagrams dropped; rcvbuf_errors +%v, in_errors +%v", dropped, rcvbuf-rcvbuf0, inErr-inErr0)
	if rcvbuf-rcvbuf0 < dropped || inErr-inErr0 < dropped {
		t.Fatalf("after %v drops: rcvbuf_errors +%v, in_errors +%v", dropped, rcvbuf-rcvbuf0, inErr-inErr0)
	}
}

// overflow fills sink's receive buffer (set to 4 KB) with 2,000 datagrams
// of 1 KB, reads what the kernel kept, and returns how many it dropped.
func overflow(t *testing.T, sink *net.UDPConn) float64 {
	t.Helper()
	if err := sink.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	src, err := net.DialUDP("udp", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const sent = 2000
	payload := make([]byte, 1000)
	for range sent {
		if _, err := src.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	received := 0
	buf := make([]byte, 2048)
	for {
		_ = sink.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, _, err := sink.ReadFromUDP(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			break
		}
		received++
	}
	if received == sent {
		t.Fatalf("a 4 KB receive buffer held all %d datagrams", sent)
	}
	return float64(sent - received)
}

// TestSocketDropsMetric: the drops of a station's own socket, found by its
// inode in /proc/net/udp, are exactly the datagrams it lost.
func TestSocketDropsMetric(t *testing.T) {
	if _, err := os.Stat("/proc/net/udp"); err != nil {
		t.Skip("no /proc/net/udp on this system")
	}
	sink := loopbackUDP(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(newSocketDropsCollector([]*udpReceiver{{station: "alpha", conn: sink}}))
	value := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if mf.GetName() == "skysieve_ground_udp_socket_drops_total" && m.GetLabel()[0].GetValue() == "alpha" {
					return m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	if got := value(); got != 0 {
		t.Fatalf("fresh socket: drops %v, want 0", got)
	}
	dropped := overflow(t, sink)
	if got := value(); got != dropped {
		t.Fatalf("socket drops %v, want %v", got, dropped)
	}
	got := parseProcNetUDPDrops([]byte("  sl  local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode ref pointer drops\n" +
		" 1: 0100007F:8C6D 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 92254 2 00000000bae66737 17\n" +
		" 2: short line\n"))
	if len(got) != 1 || got[92254] != 17 {
		t.Fatalf("parse: %v", got)
	}
}
