// Package flight is the onboard Skysieve service: scenes in, detections
// kept durably, and downlinked in contact windows with custody transfer.
//
// A Service is built from one Config (New) and runs until its context ends
// (Run); Ready is closed once it is live, so the simulator and tests run it
// in-process exactly as bin/flight does.
//
// Intake. Scenes arrive in a spool folder (Config.SpoolDir, scanned every
// SpoolPoll) or through Submit. The recommended hand-off writes a scene
// under a hidden, .tmp or .part name (which intake ignores) and renames it
// into place: a file seen renamed in (inotify) is taken at once; any other
// file only once its size and mtime have been stable for SpoolSettle on
// the service clock, so a scene written in place under its final name is
// never read half-written (and a read that fails while the file changes
// is not held against it). Each scene is read to a memory budget
// (SpoolMaxSceneBytes, scene.WithMaxBytes: planes and reader buffers,
// computed from the header) and against the model's band contract
// (scene.WithRequiredBands); a scene over the budget, such as a
// decompression bomb, is quarantined before it is decoded. Scenes are
// triaged (package triage; a spool backlog goes in groups of up to
// SpoolBacklog scenes, and of SpoolMaxSceneBytes together, through one
// pipeline, triage.TriageScenes, so ONNX Runtime does not wait between
// scenes) and their detections are put in the store (package
// flight/store) as one item each: the encoded record and the evidence
// chip, sharing the detection id. A spool file is removed only after the
// store has made its detections durable; a crash in between re-triages
// it, and stable detection ids make the re-put a no-op.
//
// The intake journal (DataDir/intake.journal, written and synced before a
// group is read) names the scenes in hand and the failed attempts against
// each. At start, a scene that was in hand alone is charged an attempt,
// the scenes of a group in hand become suspects that go alone from then
// on, and a scene with MaxSceneAttempts attempts (errors or crashes, such
// as the kernel's OOM killer) is quarantined instead of crashing flight
// forever. A scene that cannot be read, or that triage refuses, is moved
// to QuarantineDir with a .reason file beside it and a log record; other
// failures are retried MaxSceneAttempts times, then quarantined.
// Quarantine never deletes: across filesystems (EXDEV) it copies, syncs,
// then removes the original, and if it cannot move the scene at all the
// scene stays in the spool, skipped until it changes or flight restarts.
//
// A store that cannot write (a full disk, an I/O error) never costs a
// scene: intake pauses, logs it once, counts it
// (Stats.StoreFailing, StoreErrors, metrics), leaves the
// scenes in the spool and tries again after a back-off of SpoolPoll
// doubling up to a minute. When the store is above its high watermark it
// refuses non-urgent items; a scene with refused detections is deferred
// (it stays in the spool, Stats.ScenesDeferred) and intake pauses (logged,
// Stats.IntakePaused, a metric): no deferred scene is triaged again until
// the store drops below SpoolResumeBytes (the low watermark), so a full
// store costs no CPU. Scenes never triaged are still triaged, once each,
// since their urgent detections (fires) are admitted above the high
// watermark, evicting lower-ranked items at the hard limit; the store
// logs every eviction with its reason. The spool is served in priority
// order: scenes never triaged first, then deferred scenes by the most
// urgent class refused.
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
