// Package flight is the onboard Skysieve service: scenes in, detections
// kept durably, and downlinked in contact windows with custody transfer.
//
// A Service is built from one Config (New) and runs until its context ends
// (Run); Ready is closed once it is live, so the simulator and tests run it
// in-process exactly as bin/flight does.
//
// Intake. Scenes arrive in a spool folder (Config.SpoolDir, scanned every
// SpoolPoll; the camera writes under a .tmp or hidden name and renames) or
// through Submit. Each scene is triaged (package triage; a spool backlog
// goes SpoolBacklog scenes at a time through one pipeline,
// triage.TriageScenes, so ONNX Runtime does not wait between scenes) and
// its detections are put in the store (package flight/store) as one item each: the encoded
// record and the evidence chip, sharing the detection id. A spool file is
// removed only after the store has made its detections durable; a crash in
// between re-triages it, and stable detection ids make the re-put a no-op.
// A scene that cannot be read, or that triage refuses, is moved to
// QuarantineDir with a .reason file beside it and a log record; other
// failures are retried MaxSceneAttempts times, then quarantined. When the
// store is above its high watermark it refuses non-urgent items; intake
// then pauses (logged, Stats.IntakePaused, a metric) until it drains.
//
// Radio. Contacts come from a contact plan file, Config.Contacts or
// SetContacts. Outside a contact nothing is sent. During one, the radio
// loop reads the queue from the store, plans the rest of the contact with
// downlink/plan (class first, then value per byte, parity sized to the
// predicted loss) and sends each planned symbol as one authenticated TM
// frame (downlink/link) through the Radio, paced at the contact's rate on
// the injected clock. Detections not yet on the link go in bundles
// (downlink/bundle, packBundles): consecutive in queue order up to
// Config.BundleMaxBytes and a quarter of what the contact has left, the
// critical class in bundles of its own, later detections filling the last
// symbol's padding. Bundles not started are formed again when new
// detections arrive, and the planner never starts one that cannot finish.
// A detection already part-sent on its own goes on as its record and chip,
// two link items with the same id. Every symbol sent is recorded in the
// store (MarkSent) under the pass (for a bundle, under the bundle's id and
// each member's place in it), so a later pass, even after a restart,
// continues with new symbol indices instead of starting over, rebuilding
// an interrupted bundle byte for byte when all its detections are still
// queued.
//
// Custody. Ground reports come up on the same Radio: a complete part is
// marked done in the store, and when both parts of a detection are done
// the item is acknowledged (released from the store). Only a part flight
// has sent at least one symbol of (in this pass, as itself or in a bundle,
// or by custody in an earlier one) can be acknowledged: an ACK for
// anything else cannot be genuine, so it is refused, counted
// (skysieve_flight_acks_refused_total, Stats.AcksRefused) and logged at
// most once a minute, and the part stays queued. Symbols sent just before
// a crash may be missing from custody; their ACK is refused once and the
// part is sent again, which the ground takes as a redelivery. A part the ground
// still needs symbols for gets that many repair symbols, sized again for
// the loss. Each whole report makes the loop re-plan, so repair goes out
// in the same pass; that is why items whose report can come back in the
// pass go with parity sized for PlanFeedbackConfidence (one half: none
// unless the loss is high) and only those near the contact's end for
// PlanConfidence. A report covers the symbols that ended on air before it
// was made (with a small guard); symbols still on their way stay counted
// as in flight, so they are not sent again. If whole reports stop for
// PlanFeedbackDelay, symbols no report covered are counted lost. A part with no report keeps its place in the queue and is sent
// again in a later pass: nothing leaves the store unacknowledged except by
// expiry or eviction, which the store counts. A detection of priority
// class 0 stored mid-pass makes the loop re-plan at the next frame, so it
// goes before everything not yet sent.
//
// Link security. The SDLS sequence number (the AES-GCM IV) must never
// repeat: the service persists a reserved high-water mark in the store
// before using numbers below it and restarts from it. The uplink
// anti-replay window moves only on report frames whose MAC verifies; its
// top is persisted (at the first such report, then at most a minute
// apart, and when the service stops) and restored at start, so a report
// recorded before a restart is rejected after it, except genuine ones of
// the last minute before a crash, and a forged frame (bad MAC) at any
// sequence number blocks nothing.
//
// Telemetry. A housekeeping packet (Stats as JSON, APID 0x102) goes down
// at each contact's start and every HousekeepingEvery during it, or less
// often on a narrow link, so that it takes at most HousekeepingShare of
// the air time. Stats()
// gives the same snapshot in-process, and /metrics serves it as
// skysieve_flight_* Prometheus metrics beside /livez and /readyz when
// MetricsAddr is set.
//
// Shutdown. When Run's context ends the frame in hand is finished, custody
// of everything sent is recorded, and the store is closed.
package flight
