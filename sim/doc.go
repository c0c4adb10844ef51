// Package sim runs a whole simulated day of Skysieve on one machine and
// compares it with the old way.
//
// Run takes a scenario (package sim/scenario) and:
//
//  1. computes the contact plan with SGP4 (downlink/orbit, downlink/contact)
//     and the satellites' ground tracks (LoadGeometry);
//  2. builds the world (sim/world): captures along the tracks, ground-truth
//     events and clouds;
//  3. starts the real services in-process on one shared simulated clock
//     (the timeline): ground (embedded NATS JetStream), one flight service
//     per satellite whose triage is the real ONNX Runtime engine given
//     each scene's reference water layer, one lossy channel per satellite
//     between them (sim/channel.Link, reached through flight's Radio and
//     ground's Deliver and SetUplink, with no socket), and the
//     responder's JetStream consumer (sim/consumer);
//  4. drives the clock (see below); at each capture it renders the scene
//     with the synthetic scene generator (triage/synth, a few scenes ahead
//     on another goroutine), notes its ground truth (Summarize), and hands
//     it to flight;
//  5. runs the baseline (sim/baseline) over the same captures and passes;
//  6. returns the report (sim/report): figures for both, and plot data.
//
// A discrete-event simulation. The driver moves the clock from step to
// step; at each step it runs what is due, one event at a time: each
// capture (triaged and stored by flight), each station's frames that the
// channel delivers (handed to ground's receive path in one batch), each
// report delivered to flight, then each sleeper due on the clock, earliest
// first (ties in the order they went to sleep). After each event it waits
// for the services to settle: nothing owed (a report flight has not read,
// an item ground has not published, a detection the consumer has not
// received), no goroutine but the driver running, runnable or in a system
// call (the Go runtime's goroutine-state metrics), no one going to sleep
// and no counter moving, for Options.Quiet of wall time. However long that
// takes, the clock stands still; so the services see the same events in
// the same order at the same simulated times whatever the machine's speed
// or load, and the same scenario and seed give the same report, byte for
// byte apart from report.Wall (TestRunReproducible checks it under load).
// The world, clouds, scenes, triage and the channel's loss pattern are
// pure functions of the seed.
//
// Then it picks the next step: the next capture, queue sample or pass
// boundary. Outside passes, and in passes with nothing to move, pending
// sleepers are jumped over: they wake late, at the jump, which is what
// lets a day run in a minute or two. In a busy pass the clock goes from
// event to event, but in steps of at least Options.MinStep (1 s): what is
// due within a step runs at the step, and flight sends bursts of that much
// airtime. Latencies are therefore exact to about a step.
//
// A scene is submitted to flight at its capture time and triaged while the
// virtual clock stands still: onboard processing time is not modelled.
//
// The processes mode (real bin/flight and bin/ground as child processes,
// over real UDP on the wall clock, so not reproducible) is package
// sim/procs.
package sim
