package ground

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/skysieve/skysieve/downlink/buildinfo"
)

// Frame results, the "result" label of skysieve_ground_frames_total.
const (
	ResultGood      = "good"
	ResultCRC       = "crc"
	ResultAuth      = "auth"
	ResultReplay    = "replay"
	ResultDuplicate = "duplicate"
	ResultMalformed = "malformed"
)

type metrics struct {
	reg              *prometheus.Registry
	frames           *prometheus.CounterVec
	gaps             *prometheus.CounterVec
	framesMissed     *prometheus.CounterVec
	items            *prometheus.CounterVec
	redelivered      *prometheus.CounterVec
	published        *prometheus.CounterVec
	publishErrors    prometheus.Counter
	invalid          prometheus.Counter
	deadLetters      prometheus.Counter
	outbox           prometheus.Gauge
	captureToPublish prometheus.Histogram
	symbolToAck      prometheus.Histogram
	consumerPending  *prometheus.GaugeVec
	reports          *prometheus.CounterVec
	busConnected     prometheus.Gauge
	kissErrors       *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.frames = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_frames_total",
		Help: "TM frames received, by station, virtual channel and result (good, crc, auth, replay, duplicate, malformed).",
	}, []string{"station", "vc", "result"})
	m.gaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_frame_gaps_total",
		Help: "Jumps in the virtual channel frame count (gap events), by station and virtual channel.",
	}, []string{"station", "vc"})
	m.framesMissed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_frames_missed_total",
		Help: "Frames missing according to virtual channel frame count jumps.",
	}, []string{"station", "vc"})
	m.items = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_items_completed_total",
		Help: "Items reassembled and verified, by kind.",
	}, []string{"kind"})
	m.redelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_items_redelivered_total",
		Help: "Items completed again after they were already queued or published (another station or pass); not published again.",
	}, []string{"kind"})
	m.published = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_published_total",
		Help: "Publish outcomes by what (detection, alert, chip) and outcome (published, duplicate, already_published).",
	}, []string{"what", "outcome"})
	m.publishErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "skysieve_ground_publish_errors_total",
		Help: "Publish attempts that failed (bus unreachable or refused); the item stays in the outbox.",
	})
	m.invalid = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "skysieve_ground_invalid_records_total",
		Help: "Reassembled detection records that failed validation and were not published.",
	})
	m.deadLetters = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "skysieve_ground_outbox_dead_letters_total",
		Help: "Outbox entries moved to the dead letters: undecodable, invalid, or refused by the bus outbox.max_attempts times.",
	})
	m.outbox = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "skysieve_ground_outbox_entries",
		Help: "Completed items waiting in the durable outbox.",
	})
	m.captureToPublish = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "skysieve_ground_capture_to_publish_seconds",
		Help:    "Time from a detection's capture to its publication on the bus.",
		Buckets: prometheus.ExponentialBuckets(10, 2, 14),
	})
	m.symbolToAck = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "skysieve_ground_last_symbol_to_ack_seconds",
		Help:    "Wall time from an item's last symbol to the JetStream acknowledgement of its detection.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	})
	m.consumerPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "skysieve_ground_consumer_pending",
		Help: "Messages not yet delivered to each durable consumer of DETECTIONS (consumer lag), e.g. the watch consumer.",
	}, []string{"consumer"})
	m.reports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_reports_sent_total",
		Help: "ACK/NAK uplink reports sent, by station.",
	}, []string{"station"})
	m.busConnected = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "skysieve_ground_bus_connected",
		Help: "1 while connected to NATS.",
	})
	m.kissErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_kiss_errors_total",
		Help: "Damaged KISS frames (bad escape, too long), by station.",
	}, []string{"station"})
	m.reg.MustRegister(m.frames, m.gaps, m.framesMissed, m.items, m.redelivered, m.published,
		m.publishErrors, m.invalid, m.deadLetters, m.outbox, m.captureToPublish, m.symbolToAck, m.consumerPending,
		m.reports, m.busConnected, m.kissErrors, buildinfo.Read().Gauge("ground", ""),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
