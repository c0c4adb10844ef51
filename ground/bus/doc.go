// Package bus is the ground service's connection to NATS JetStream: it runs
// an embedded nats-server (the default) or connects to an external server or
// cluster, creates the streams and buckets Skysieve publishes to when they
// are absent, and publishes each detection exactly once.
//
// The model is small. A Bus owns one client connection and, when no URL is
// configured, the embedded server it started. Open creates:
//
//   - stream DETECTIONS on detections.> (file storage, no age limit), where
//     each detection lives on its own subject detections.<class>.<id>;
//   - stream ALERTS on alerts.> for CAP 1.2 alerts, with a 48 h duplicate
//     window so a retried alert is stored once, deny-delete and
//     deny-purge;
//   - Object Store bucket CHIPS for evidence chips, keyed by detection id.
//
// Exactly once. PublishOnce sends with the header
// Nats-Expected-Last-Subject-Sequence: 0, so the server stores the message
// only if its subject holds nothing yet. A second delivery of the same
// detection, minutes or days later, from any station or pass, is refused
// with "wrong last sequence", which PublishOnce reports as AlreadyPublished.
// Nats-Msg-Id is set as well, so a retry inside JetStream's duplicate
// window is acknowledged as a duplicate instead. Both outcomes are success:
// the message is in the stream once.
//
// Durability. The embedded server runs with sync_interval: always
// (Options.SyncAlways): every stored message is fsynced before the publish
// is acknowledged. That is a server-wide option; a client cannot set it on a
// stream. What a client does set on DETECTIONS is file storage, the default
// (synchronous) persist mode, the replica count (R3 on a cluster makes an
// acknowledged message survive the loss of one node), deny-delete and
// deny-purge. When the ground service connects to an external server, that
// server's operator must configure sync_interval: always (or rely on
// replication) for the same guarantee; the bus cannot check it.
//
// Auth. The embedded server lets in only the users it is given: ground's
// (LoadOrCreateCredentials: a random password made at first start, kept
// with mode 0600) with every permission, and Readers, who may create
// consumers, read detections.>, alerts.> and the chips, and nothing else.
// DETECTIONS and ALERTS deny message delete and purge for everyone;
// deleting a stream needs ground's user. CheckStreams asks whether the
// streams exist (for /readyz). Open and Connect make one connection attempt
// first, so a refused login, an untrusted certificate or a missing CA
// comes back at once as ErrConnect, named as such; only an unreachable
// server is waited for. URLs are logged through settings.RedactURL.
//
// Outages. The client reconnects forever. While disconnected, publishes fail
// at once (no client-side buffering), so the caller keeps the item in its
// own durable outbox and tries again later.
package bus
