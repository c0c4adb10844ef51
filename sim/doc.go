// Package sim runs a whole simulated day of Skysieve on one machine and
// compares it with the old way.
//
// Run takes a scenario (package sim/scenario) and:
//
//  1. computes the contact plan with SGP4 (downlink/orbit, downlink/contact)
//     and the satellites' ground tracks (LoadGeometry);
//  2. builds the world (sim/world): captures along the tracks, ground-truth
//     events and clouds;
//  3. starts the real services in-process on one shared virtual clock
//     (downlink/clock.Virtual): ground (embedded NATS JetStream), one
//     flight service per satellite whose triage is the real ONNX Runtime
//     engine given each scene's reference water layer, one UDP channel
//     relay per satellite between them (sim/channel), and the responder's
//     JetStream consumer (sim/consumer);
//  4. drives the clock (see below); at each capture it renders the scene
//     with the synthetic scene generator (triage/synth, a few scenes ahead
//     on another goroutine), notes its ground truth (Summarize), and hands
//     it to flight;
//  5. runs the baseline (sim/baseline) over the same captures and passes;
//  6. returns the report (sim/report): figures for both, and plot data.
//
// Driving the clock. Between steps the driver waits for the services to
// settle: no goroutine but the driver running, runnable or in a system
// call (the Go runtime's goroutine-state metrics), no new clock timer, and
// no counter moving (relay, ground, consumer) for Options.Quiet of wall
// time. Then it picks the next time: the next capture, queue sample or
// pass boundary. Outside passes, and in passes with nothing to move,
// pending timers are jumped over: they fire late, at the jump, which is
// what lets a day run in a minute or two. In a busy pass the clock goes
// from timer to timer, but in steps of at least Options.MinStep (1 s):
// timers due within a step fire together in deadline order, and flight
// sends bursts of that much airtime. Latencies are therefore exact to
// about a step.
//
// Determinism: the world, clouds, scenes, and the channel's loss pattern
// are pure functions of the seed, and so is triage. What the sockets and
// the goroutine scheduler do between steps is not: a report may reach
// flight a step earlier or later, which changes repair decisions and so
// the exact frames sent. Counts of detections, recall, duplicates and
// losses are stable from run to run; latencies vary by a step or so.
//
// A scene is submitted to flight at its capture time and triaged while the
// virtual clock stands still: onboard processing time is not modelled.
//
// The processes mode (real bin/flight and bin/ground as child processes on
// the wall clock) is package sim/procs.
package sim
