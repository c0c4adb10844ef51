// Package sim runs a whole simulated day of Skysieve on one machine and
// compares it with the old way.
//
// Run takes a scenario (package sim/scenario) and:
//
//  1. computes the contact plan with SGP4 (downlink/orbit, downlink/contact)
//     and the satellites' ground tracks;
//  2. builds the world (sim/world): captures along the tracks, ground-truth
//     events and clouds;
//  3. starts the real services in-process on one shared virtual clock
//     (downlink/clock.Virtual): ground (embedded NATS JetStream), one
//     flight service per satellite with real ONNX Runtime triage, one UDP
//     channel relay per satellite (sim/channel) between them, and the
//     responder's JetStream consumer (sim/consumer);
//  4. drives the clock: at each capture it renders the scene with the
//     synthetic scene generator (triage/synth) and hands it to flight;
//     outside passes it jumps from event to event (capture, pass start,
//     sampling tick); inside passes it steps from one pending timer to the
//     next so frames go out at the link's rate; between steps it waits for
//     the services to go quiet (no clock activity and no counter moving for
//     a few milliseconds of wall time);
//  5. runs the baseline (sim/baseline) over the same captures and plan;
//  6. returns a report (sim/report).
//
// Determinism: the world, the clouds, the scenes, the channel's loss
// pattern and the triage results are pure functions of the seed. What real
// sockets and goroutine scheduling decide is not: whether a frame burst is
// fully read before the clock steps, and so on which millisecond a frame
// goes out. Counts (detections, recall, duplicates, losses) are stable from
// run to run; latencies vary by the length of a clock step at most.
//
// A scene is submitted to flight at its capture time and triaged while the
// virtual clock stands still: onboard processing time is not modelled.
package sim
