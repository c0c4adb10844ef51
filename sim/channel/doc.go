// Package channel is the radio between flight and ground: a lossy link
// model and an event queue on the simulation's timeline.
//
// Model is the pure part: for each downlink frame it decides, from a seeded
// random source and the link state at that instant, whether the frame is
// lost (a Gilbert–Elliott two-state burst channel combined with the link
// model's expected loss and an extra loss that fades in toward the
// horizon), which bits flip (a bit error rate interpolated on a log scale
// from BERHorizon at the station's mask to BERZenith overhead), and whether
// it is duplicated or held back (reordered). Frame CRCs on the ground catch
// the flipped bits; the relay does not parse frames.
//
// Relay is the queue: flight's frames come in through Downlink; during a
// pass of its satellite the relay paces them at the pass's data rate (a
// frame occupies the radio for its bits ÷ rate; a backlog beyond
// MaxBacklog is dropped, as a modem's buffer would), applies the Model, and
// schedules them for the pass's station after the propagation delay.
// Ground's reports come in through Uplink and are scheduled for flight
// during that station's pass, with their own loss. Outside passes nothing
// passes either way. The relay has no goroutine, socket or clock of its
// own: the caller says when each datagram comes in, and takes each one out
// (Due) when its clock reaches it. Given the same calls in the same order,
// it makes the same deliveries.
package channel
