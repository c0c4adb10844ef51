package flight

import (
	"fmt"
	"slices"
	"time"

	"github.com/skysieve/skysieve/downlink/contact"
	"github.com/skysieve/skysieve/downlink/plan"
)

// planContact converts a contact's sampled link profile into the
// planner's segments: between two samples, the lower rate and the higher
// loss (the conservative step function the contact package also uses for
// its capacity).
func planContact(c *contact.Contact) plan.Contact {
	pc := plan.Contact{Start: c.AOS, End: c.LOS}
	for i := 0; i+1 < len(c.Samples); i++ {
		a, b := c.Samples[i], c.Samples[i+1]
		start := c.AOS.Add(time.Duration(a.OffsetSec * float64(time.Second)))
		end := c.AOS.Add(time.Duration(b.OffsetSec * float64(time.Second)))
		if end.After(c.LOS) {
			end = c.LOS
		}
		if !end.After(start) || start.Before(pc.Start) {
			continue
		}
		if n := len(pc.Segments); n > 0 && start.Before(pc.Segments[n-1].End) {
			start = pc.Segments[n-1].End
		}
		pc.Segments = append(pc.Segments, plan.Segment{
			Start: start, End: end,
			RateBitsPerSec: min(a.RateBitsPerSec, b.RateBitsPerSec),
			Loss:           min(max(a.Loss, b.Loss), plan.MaxLoss),
		})
	}
	return pc
}

// setupContacts loads the contact plan file (if any) and adds the
// in-process contacts from the configuration.
func (s *Service) setupContacts() error {
	var all []contact.Contact
	if s.cfg.ContactPlanFile != "" {
		cs, err := contact.LoadPlan(s.cfg.ContactPlanFile)
		if err != nil {
			return fmt.Errorf("%w: contact_plan = %s: %w", ErrConfig, s.cfg.ContactPlanFile, err)
		}
		all = append(all, cs...)
	}
	all = append(all, s.cfg.Contacts...)
	s.SetContacts(all)
	return nil
}

// SetContacts replaces the contact plan (an uplinked plan, or the
// simulator's). A contact under way keeps running to its planned end.
func (s *Service) SetContacts(cs []contact.Contact) {
	out := make([]plan.Contact, 0, len(cs))
	names := make(map[time.Time]contactName, len(cs))
	for i := range cs {
		pc := planContact(&cs[i])
		if err := pc.Validate(); err != nil || len(pc.Segments) == 0 {
			s.log.Warn("contact ignored", "station", cs[i].Station, "aos", cs[i].AOS, "err", err)
			continue
		}
		out = append(out, pc)
		names[pc.End] = contactName{satellite: cs[i].Satellite, station: cs[i].Station}
	}
	slices.SortFunc(out, func(a, b plan.Contact) int { return a.Start.Compare(b.Start) })
	s.mu.Lock()
	s.contacts = out
	s.contactNames = names
	s.mu.Unlock()
	s.wakeRadio()
}

// contactName is who a contact is between, for the logs.
type contactName struct{ satellite, station string }

// nameOf names contact c from the plan ("" for an unnamed one).
func (s *Service) nameOf(c plan.Contact) contactName {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contactNames[c.End]
}

func (s *Service) contactList() []plan.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contacts
}

// nextContact is the first contact not over at now, trimmed to start no
// earlier than now. One radio serves one contact at a time: overlapping
// contacts run one after the other.
func (s *Service) nextContact(now time.Time) (plan.Contact, bool) {
	for _, c := range s.contactList() {
		if c.End.After(now) {
			return c.From(now), true
		}
	}
	return plan.Contact{}, false
}
