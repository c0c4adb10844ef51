// Package channel is the radio between flight and ground, as a UDP relay on
// 127.0.0.1 driven by the simulation clock.
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
// Relay is the shell: flight sends frames to FlightAddr; during a pass of
// its satellite the relay paces them at the pass's data rate (a frame
// occupies the radio for its bits ÷ rate; a backlog beyond MaxBacklog is
// dropped, as a modem's buffer would), applies the Model, and delivers
// them after the propagation delay from a per-station socket to the
// ground's receiver for that station. Ground's replies (uplink reports) on
// that socket go back to flight during the pass, with their own loss.
// Outside passes nothing passes either way. All times are the clock's, so
// a virtual clock runs a pass in moments; what a real socket does between
// clock steps (scheduling of the goroutines that read them) is the only
// source of nondeterminism.
package channel
