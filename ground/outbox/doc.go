// Package outbox is the ground service's durable queue of completed items
// waiting to be published, kept in bbolt beside the reassembly state.
//
// An item enters the outbox in the same bbolt transaction that retires its
// symbols from the reassembly log, so at every instant a received item is in
// exactly one of three places: still being reassembled, waiting here, or in
// the published set. Entries come out highest priority first, then in
// arrival order. When the bus is down they simply wait; nothing is dropped.
//
// The published set remembers every (kind, id) already published, so a
// detection downlinked again on a later pass or through another station is
// recognised locally and not queued twice. (JetStream's create-only publish
// is the second line of defence; see package bus.)
//
// Dead letters. An entry that cannot be published is moved, whole, to the
// dead letters instead of blocking the queue: at once when its stored
// bytes do not decode (DeadLetterCorrupt) or its record does not validate
// (DeadLetterNow), after MaxAttempts failures of its own when the bus
// refuses it (Fail; failures count across restarts). An outage is not the
// entry's failure and is not counted. Entries behind it go on; a restart
// does not stop at it.
//
// Buckets: "outbox" (key: inverted priority ‖ sequence → entry: JSON header
// and raw payload),
// "outbox.byref" (kind/id → queue key), "outbox.published"
// (kind/id → publish time), "outbox.attempts" (queue key → failed
// attempts) and "outbox.dead" (queue key → DeadLetter as JSON).
package outbox
