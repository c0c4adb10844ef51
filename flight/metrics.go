package flight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/skysieve/skysieve/downlink/buildinfo"
	"github.com/skysieve/skysieve/triage"
)

// metrics exposes the Stats as Prometheus metrics (skysieve_flight_...),
// read at scrape time from one snapshot, so the figures agree with each
// other and with housekeeping telemetry.
type metrics struct {
	s   *Service
	reg *prometheus.Registry
}

func newMetrics(s *Service) *metrics {
	m := &metrics{s: s, reg: prometheus.NewRegistry()}
	m.reg.MustRegister(m, buildinfo.Read().Gauge("flight", triage.ORTVersion), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("skysieve_flight_"+name, help, labels, nil)
}

var (
	descQueueItems  = desc("queue_items", "Detections stored and not yet acknowledged, by class and custody state.", "class", "state")
	descQueueBytes  = desc("queue_bytes", "Record and chip bytes of stored detections, by class and custody state.", "class", "state")
	descStored      = desc("store_stored_bytes", "Bytes counted against the store quotas.")
	descHighWater   = desc("store_high_water_bytes", "Store back-pressure threshold.")
	descHardLimit   = desc("store_hard_limit_bytes", "Store hard limit.")
	descFile        = desc("store_file_bytes", "Size of the store file.")
	descDeleted     = desc("store_deleted_total", "Store deletions by reason over the file's life.", "reason")
	descScenes      = desc("scenes_total", "Scenes by outcome: taken from the spool, triaged, quarantined, deferred by back-pressure.", "outcome")
	descDetections  = desc("detections_stored_total", "Detections the store accepted, by kind: new, or a duplicate of one held.", "kind")
	descPaused      = desc("intake_paused", "1 while intake is paused by store back-pressure.")
	descStoreFail   = desc("intake_store_failing", "1 while intake is paused because the store cannot write.")
	descStoreErrs   = desc("intake_store_errors_total", "Store write failures met by intake (scenes stay in the spool).")
	descInContact   = desc("in_contact", "1 during a contact.")
	descPasses      = desc("passes_total", "Contacts started.")
	descFrames      = desc("frames_sent_total", "TM frames sent.")
	descBytesSent   = desc("sent_bytes_total", "TM frame bytes sent.")
	descSymbols     = desc("symbols_sent_total", "Erasure-coded symbols sent, by kind (source or repair).", "kind")
	descReports     = desc("reports_total", "Uplink reports by outcome.", "outcome")
	descAcked       = desc("acknowledged_total", "Detections whose custody passed to the ground.")
	descAckRefused  = desc("acks_refused_total", "ACKs refused because no symbol of the acknowledged part was sent.")
	descHousekeeper = desc("housekeeping_sent_total", "Housekeeping packets sent.")
	descRadioErrors = desc("radio_errors_total", "Frames the radio failed to send.")
	descTriageSecs  = desc("triage_seconds_total", "Time spent triaging scenes.")
)

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueItems, descQueueBytes, descStored, descHighWater, descHardLimit, descFile,
		descDeleted, descScenes, descDetections, descPaused, descStoreFail, descStoreErrs, descInContact, descPasses, descFrames, descBytesSent,
		descSymbols, descReports, descAcked, descAckRefused, descHousekeeper, descRadioErrors, descTriageSecs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector from one Stats snapshot.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	st := m.s.Stats()
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	c := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for class, cs := range st.ByClass {
		g(descQueueItems, float64(cs.Queued), class, "queued")
		g(descQueueItems, float64(cs.InFlight), class, "in_flight")
		g(descQueueBytes, float64(cs.QueuedBytes), class, "queued")
		g(descQueueBytes, float64(cs.InFlightBytes), class, "in_flight")
	}
	g(descStored, float64(st.StoredBytes))
	g(descHighWater, float64(st.HighWaterBytes))
	g(descHardLimit, float64(st.HardLimitBytes))
	g(descFile, float64(st.FileBytes))
	for reason, n := range st.Deleted {
		c(descDeleted, n, reason)
	}
	c(descScenes, st.ScenesIn, "spooled")
	c(descScenes, st.ScenesTriaged, "triaged")
	c(descScenes, st.ScenesQuarantined, "quarantined")
	c(descScenes, st.ScenesDeferred, "deferred")
	c(descDetections, st.DetectionsStored-st.Duplicates, "new")
	c(descDetections, st.Duplicates, "duplicate")
	g(descPaused, b(st.IntakePaused))
	g(descStoreFail, b(st.StoreFailing))
	c(descStoreErrs, st.StoreErrors)
	g(descInContact, b(st.InContact))
	c(descPasses, st.Passes)
	c(descFrames, st.FramesSent)
	c(descBytesSent, st.BytesSent)
	c(descSymbols, st.SymbolsSent-st.RepairSymbols, "source")
	c(descSymbols, st.RepairSymbols, "repair")
	c(descReports, st.Reports, "accepted")
	c(descReports, st.ReportsRejected, "rejected")
	c(descAcked, st.Acked)
	c(descAckRefused, st.AcksRefused)
	c(descHousekeeper, st.Housekeeping)
	c(descRadioErrors, st.RadioErrors)
	ch <- prometheus.MustNewConstMetric(descTriageSecs, prometheus.CounterValue, st.TriageSeconds)
}

// listen binds addr and returns the server for /metrics, /livez, /readyz.
func (m *metrics) listen(addr string) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: metrics_addr = %s: %w", ErrConfig, addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-m.s.ready:
			_, _ = w.Write([]byte("ok\n"))
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.s.mu.Lock()
	m.s.metricsAddr = ln.Addr().String()
	m.s.mu.Unlock()
	return &httpServer{srv: srv, ln: ln}, nil
}

type httpServer struct {
	srv *http.Server
	ln  net.Listener
}

// serveUntil serves until ctx ends, then shuts the server down.
func serveUntil(ctx context.Context, h *httpServer) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(sctx)
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
