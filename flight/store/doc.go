// Package store is the flight software's durable priority store: the
// detections waiting in orbit for a ground contact, kept in one bbolt file
// (go.etcd.io/bbolt) so that a reboot, a full disk or a long wait between
// passes never loses an item the store accepted.
//
// # Model
//
// A Store holds Items. An Item is a detection's encoded record and its
// evidence chip, with the metadata the store needs: class, priority class
// (0 most urgent), value, expiry, arrival and a region bounding box.
//
// Put is durable: when it returns nil the item is fsynced. Concurrent Puts
// are handed to one committer goroutine, which puts everything that queued
// up while the previous commit was syncing into the next bbolt transaction
// (group commit), so intake pays one fsync per batch, not per item. Put is
// idempotent on the item id: an id already stored, or released recently
// (see tombstones), is accepted without change, so re-triaging a scene
// after a crash does not duplicate anything.
//
// Next(n, budgetBytes) returns the items to send, in order: priority class,
// then value (highest first), then earliest expiry, then arrival. It walks
// an index kept in that order, so it reads only what it returns (plus a
// bounded number of items that did not fit the budget), however many items
// are stored.
//
// # Custody
//
// Each item moves queued → in flight → acknowledged, or is released:
//
//   - queued: stored, nothing sent;
//   - in flight: MarkSent recorded which symbols went out in which pass;
//     the record is durable, so after a reboot the next pass resumes where
//     the last one stopped. In-flight items keep their place in Next;
//   - acknowledged: Ack (or AckBatch for a whole ground report), when
//     ground confirms the item complete. The payload is deleted at once;
//     only a tombstone remains;
//   - released: deleted for another reason: expired, evicted at the hard
//     limit, released by the operator (Release, ReleaseWhere), superseded,
//     or found corrupt at Open.
//
// Every deletion leaves a tombstone (id, reason, time) and increments a
// persisted counter per Reason (Stats.Deleted). Tombstones make re-puts of
// released ids idempotent; Sweep forgets them after Options.TombstoneTTL or
// beyond Options.MaxTombstones, oldest first.
//
// # Expiry and quotas
//
// An item's expiry is its own, or its arrival plus Options.ExpiryByClass
// for its class. It is checked at Put (ErrExpired), at selection (Next
// never returns an expired item) and by Sweep(now, max), which deletes at
// most max expired items per call by walking an expiry index.
//
// Stored bytes (record + chip of queued and in-flight items) are held under
// two limits. Above HighWaterBytes, Put refuses non-urgent items with
// ErrBackPressure: intake must slow down, and nothing is dropped silently.
// Urgent items (PriorityClass < UrgentClasses) are still admitted; one that
// would pass HardLimitBytes evicts the lowest-ranked items (the end of the
// send order), each counted under ReasonEvicted and logged once the
// transaction commits (item, class, size, and the item it made room for),
// or gets ErrFull if even that would not make room.
//
// # Buckets and keys
//
//	format   "format" → "skysieve-store/1"; identifies the file
//	items    id → header: state, priority class, value, expiry, arrival,
//	         seq, record and chip lengths, region, class
//	chunks   seq(8) | chunk index(4) → up to ChunkBytes of record ‖ chip
//	order    prio(1) | ^value(8) | expiry(8) | arrival(8) | seq(8) →
//	         header | id (a copy of the header, so Next needs no lookup)
//	expiry   expiry(8) | seq(8) → id (items with an expiry only)
//	custody  id | 0x00 | pass → symbols sent in that pass (sorted set)
//	gone     id → reason(1) | time(8): tombstones
//	gone_at  time(8) | id → nil: tombstones by age, for pruning
//	counters reason name → deletions so far (uint64)
//	meta     key → value: the flight software's own state (SetMeta)
//
// Integers are big-endian and transformed so byte order is numeric order
// (the sign bit flipped; value inverted so higher sorts first). seq is a
// per-file counter (bbolt's NextSequence) that makes every key unique and
// makes chunk keys grow, so payload pages fill and empty in order.
// Payloads are cut into chunks of ChunkBytes (default 2000, two to a 4 KiB
// page) instead of one large value: no overflow pages, and freed pages are
// reused one at a time, which keeps the file near its live size under
// churn: measured, 1,000,000 put/acknowledge cycles at 10,000 live items
// of 8 KiB end with the file 1.7× the live data (tombstones included) and
// not growing, so no compaction step is needed. The file runs bbolt's
// hashmap freelist and does not write the freelist on commit (bbolt
// rebuilds it at Open).
//
// # Crash guarantees and recovery
//
// Every change is one bbolt transaction: a crash leaves the file as of
// the last commit, so an item is either wholly stored, with its indexes, or
// absent. A Put that returned nil survives; a Put interrupted by the crash
// may or may not have committed, and repeating it is safe (idempotence).
//
// Open checks an existing file read-only first. bbolt memory-maps its file
// and trusts every page number in it, so a damaged file could crash the
// process inside bbolt; Open therefore first walks the file with ordinary
// reads (filecheck.go) and proves every page bbolt will touch is inside the
// file, referenced once, of the right type, with its elements in bounds and
// its keys in order. A file that fails this, or is not a bbolt database,
// gives ErrCorrupt; a bbolt database without the store's format marker
// gives ErrForeign; neither is written. (The walk reads every reachable
// page: about a second per GiB at boot.) It then checks every
// cross-reference (headers decode, payloads are complete, indexes point at
// the right items, custody and tombstones belong), repairs what it can
// (re-indexing, deleting orphans, removing items whose payload is damaged
// under ReasonCorrupt) and reports items and bytes by state and every
// problem with what was done in a RecoveryReport.
package store
