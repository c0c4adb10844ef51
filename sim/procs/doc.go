// Package procs is the simulator's processes mode (bin/sim run
// --processes): it runs the real bin/flight and bin/ground binaries as
// child processes on the wall clock, acts as the radio between them, and
// checks what reached the responders.
//
// Run takes one Options and does, in order:
//
//  0. Keys. Both children share a fresh link key file, Options.Dir/link.keys
//     (linkkeys.Generate, mode 0600, kept if the folder already has one):
//     they never run on the public development keys. The responder reads
//     the bus as a read-only user of ground's embedded server
//     (nats.readers in ground.yaml, a random password per run).
//
//  1. Ground. It starts `ground run` with its own data dir and YAML config:
//     one UDP station on a fixed loopback port, the embedded NATS server on
//     a fixed loopback port (so a consumer reconnects to the same address
//     after a restart), short report and contact-idle timers, and short
//     frames (Options.FrameBytes, 512 bytes, on both ends: a detection then
//     spans several symbols, so a kill finds items half sent and half
//     reassembled). Readiness is asked of /readyz, never slept for.
//
//  2. Intake. It writes the scenes (Options.Scenes, or DefaultScenes: synthetic
//     scenes with fires and vessels from triage/synth) into flight's spool
//     with scene.WriteFile (a hidden temporary name, then an atomic rename)
//     and starts `flight run` with no contacts, its own data dir and YAML
//     config (ONNX Runtime library and model passed on). Once the spool is
//     empty every detection is durable in flight's store; Run reads the
//     queued bytes from flight's metrics and stops it with SIGTERM.
//
//  3. Contacts. It writes a contact plan file (downlink/contact.WritePlan)
//     of Options.Contacts windows of ContactDuration, the first a moment
//     from now, the others ContactGap apart: flight runs on wall time, so
//     the windows are real seconds. Unless Options.RateBitsPerSec is set,
//     the rate is chosen so the queue needs QueueContacts windows' worth of
//     airtime: the queue cannot drain in the first window, so the kills
//     land while items are in flight. Flight restarts with the plan.
//
//  4. Channel. A sim/channel Relay on 127.0.0.1, driven by the real clock,
//     carries frames from flight to the ground station and reports back,
//     during contacts only, with the Gilbert–Elliott loss, bit errors,
//     duplication and reordering of Options.Channel and the expected loss
//     of the plan.
//
//  5. Responder. A JetStream ordered consumer (sim/consumer), logged in as
//     the read-only user, reads detections.> from the first message and
//     stamps each arrival.
//
//  6. Faults. At each Kill's moment (an offset into a contact) the target
//     process gets SIGKILL and is started again on the same data dir and
//     config; Run waits for it to be ready and records the downtime.
//
//  7. Settle. After the last window Run waits until the ground's outbox is
//     empty and the DETECTIONS stream stops growing, stops flight with
//     SIGTERM, counts the stream's messages per subject (the bus's own
//     tally, independent of the consumer), stops ground, and reads flight's
//     store file read-only for every detection id it ever held: the live
//     items and the tombstones of released ones.
//
// The Result compares the two sides: detections flight stored, detections
// published (distinct subjects detections.<class>.<id>), duplicates
// (messages beyond one per subject, and ids the consumer saw twice), lost
// (stored but never published once the last window is over), and
// unexpected (published but never stored: a ground that invents items).
// It also reports timings: wall time, start and restart times, triage
// time, and the latency from a scene's spooling to each detection's
// arrival at the responder.
//
// Children write their logs to flight.log and ground.log in Options.Dir
// (appended across restarts). Run kills every child it started before it
// returns, whatever the outcome.
package procs
