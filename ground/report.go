package ground

import (
	"context"
	"sort"
	"time"

	"github.com/skysieve/skysieve/downlink/link"
	"github.com/skysieve/skysieve/downlink/report"
)

// Reports acknowledge completed items for this long after completion and
// at most this many of them (the newest), so a flight that missed a report
// hears the ACK again on a later pass.
const (
	ackRetention  = 24 * time.Hour
	maxAckEntries = 4096
)

// noteContact records a good frame from station and returns the pass id
// ("station/contact start").
func (s *Service) noteContact(station string) string {
	now := s.clk.Now()
	s.contactMu.Lock()
	defer s.contactMu.Unlock()
	c := s.contacts[station]
	if c == nil {
		c = &contact{}
		s.contacts[station] = c
	}
	if !c.active || now.Sub(c.lastGood) > s.cfg.ContactIdle {
		c.active = true
		c.start = now
		s.log.Info("contact started", "station", station)
	}
	c.lastGood = now
	c.reportDue = true
	return station + "/" + c.start.UTC().Format(time.RFC3339)
}

func (s *Service) rememberCompleted(ref link.ItemRef, at time.Time) {
	s.completedMu.Lock()
	s.completed = append(s.completed, completedRef{ref: ref, at: at})
	if len(s.completed) > 2*maxAckEntries {
		s.completed = append(s.completed[:0], s.completed[len(s.completed)-maxAckEntries:]...)
	}
	s.completedMu.Unlock()
}

func sortCompleted(c []completedRef) {
	sort.SliceStable(c, func(i, j int) bool { return c[i].at.Before(c[j].at) })
}

// buildReport makes the current ACK/NAK report: recent completions and
// every incomplete item with the symbols it still needs.
func (s *Service) buildReport(now time.Time) report.Report {
	// The uplink security sequence only grows, across restarts too.
	rep := report.Report{Seq: uint32(s.up.Seq()), Time: now}
	s.completedMu.Lock()
	for i := len(s.completed) - 1; i >= 0 && len(rep.Complete) < maxAckEntries; i-- {
		c := s.completed[i]
		if now.Sub(c.at) > ackRetention {
			break
		}
		rep.Complete = append(rep.Complete, c.ref)
	}
	s.completedMu.Unlock()
	rep.Need = s.rx.Reassembler().Needs()
	return rep
}

// sendReport encodes the report and sends its frames to station.
func (s *Service) sendReport(station string, final bool) {
	l := s.links[station]
	if l == nil {
		return
	}
	send, dest := l.get()
	if send == nil {
		s.log.Warn("no uplink address for station yet; report not sent", "station", station)
		return
	}
	rep := s.buildReport(s.clk.Now())
	frames, err := s.up.EncodeReport(rep)
	if err != nil {
		s.log.Error("report encoding failed", "station", station, "err", err)
		return
	}
	if err := s.reserveUplinkSeq(); err != nil {
		s.log.Error("uplink sequence reservation failed; report not sent", "err", err)
		return
	}
	for _, f := range frames {
		if err := send(f); err != nil {
			s.log.Warn("report send failed", "station", station, "to", dest, "err", err)
			return
		}
		s.st.reports.Add(1)
		s.m.reports.WithLabelValues(station).Inc()
	}
	s.log.Debug("report sent", "station", station, "to", dest, "complete", len(rep.Complete),
		"incomplete", len(rep.Need), "frames", len(frames), "final", final)
}

// reportLoop sends a report every ReportInterval (on the service clock) to
// each station in contact, and a final one when a contact ends.
func (s *Service) reportLoop(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.clk.After(s.cfg.ReportInterval):
		}
		now := s.clk.Now()
		type due struct {
			station string
			final   bool
		}
		var todo []due
		s.contactMu.Lock()
		for station, c := range s.contacts {
			if !c.active {
				continue
			}
			ended := now.Sub(c.lastGood) > s.cfg.ContactIdle
			if ended {
				c.active = false
				s.log.Info("contact ended", "station", station, "duration", c.lastGood.Sub(c.start).Round(time.Second))
			}
			if c.reportDue || ended {
				todo = append(todo, due{station, ended})
				c.reportDue = false
			}
		}
		s.contactMu.Unlock()
		sort.Slice(todo, func(i, j int) bool { return todo[i].station < todo[j].station })
		for _, d := range todo {
			s.sendReport(d.station, d.final)
		}
	}
}
