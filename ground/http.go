package ground

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/skysieve/skysieve/ground/bus"
)

// handler serves /metrics, /livez and /readyz. Ready means Run has
// started everything and, when the bus is connected, that its streams
// and chip bucket exist on the server (connected with a stream deleted
// fails every publish: 503). The bus may still be down (the outbox holds
// items), which /readyz reports in its body.
func (s *Service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.ready:
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		state := "connected, streams present"
		if !s.bus.Connected() {
			state = "disconnected (items wait in the outbox)"
		} else {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			err := s.bus.CheckStreams(ctx)
			cancel()
			if err != nil {
				http.Error(w, fmt.Sprintf("not ready\nbus: connected, %v\noutbox: %d", err, s.ob.Len()), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintf(w, "ready\nbus: %s\noutbox: %d\n", state, s.ob.Len())
	})
	return mux
}

// observe refreshes gauges that are read from elsewhere: bus connection,
// outbox length, and the pending count of every durable consumer of the
// detections stream (consumer lag, e.g. of "ground watch").
func (s *Service) observe(ctx context.Context) error {
	for {
		connected := 0.0
		if s.bus.Connected() {
			connected = 1
			s.observeConsumers(ctx)
		}
		s.m.busConnected.Set(connected)
		s.m.outbox.Set(float64(s.ob.Len()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

func (s *Service) observeConsumers(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := s.bus.JetStream().Stream(ctx, bus.StreamDetections)
	if err != nil {
		return
	}
	lister := st.ListConsumers(ctx)
	for info := range lister.Info() {
		if info.Config.Durable == "" {
			continue
		}
		s.m.consumerPending.WithLabelValues(info.Name).Set(float64(info.NumPending))
	}
	_ = lister.Err()
}
