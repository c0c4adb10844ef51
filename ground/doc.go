// Package ground is the Skysieve ground service. It receives TM frames from
// any number of ground stations, verifies and reassembles them into items
// with the protocol's receiver (downlink/link), and publishes each
// detection exactly once to NATS JetStream for responders.
//
// The pipeline, in order:
//
//  1. Receivers. Each station is a UDP socket (one frame per datagram) or a
//     TCP listener speaking KISS (as SDR modems emit it), tagged with the
//     station id. All frames go to one processing loop. A KISS station takes
//     at most MaxConns connections (default 4; one more is closed at once)
//     and closes a connection that begins a KISS frame and does not finish
//     it within IdleTimeout (default 30 s), so a trickle cannot hold a slot;
//     a silent connection is kept, as a modem is silent between passes.
//  2. Verification and reassembly. The link receiver checks each frame's
//     CRC, MAC and anti-replay window, and hands good symbols to the
//     reassembler. Counters by station and virtual channel record good
//     frames and each kind of rejection; a jump in a virtual channel's frame
//     count is a gap event. Frames of the wrong length (the ends disagree on
//     the frame length), failing the MAC, and replays also give a WARN line,
//     one per station and kind per minute with the count held back. The
//     anti-replay window moves only on frames whose MAC verifies, so a forged
//     frame far ahead in sequence blocks nothing. Accepted symbols and the
//     windows are written to a bbolt log in the data dir before they count,
//     so a ground killed mid-pass restarts with everything it had received
//     and rejects frames recorded before the restart as replays.
//  3. Outbox. A completed item moves from the symbol log to the durable
//     outbox (package outbox) in one transaction. Items already published
//     (another station, a later pass) are recognised and dropped there.
//  4. Publishing. A publisher drains the outbox highest priority first:
//     chips to the CHIPS Object Store bucket, CAP 1.2 alerts for severe
//     classes to alerts.cap.<class>, and the GeoJSON Feature (package feed)
//     to detections.<class>.<id> with create-only-if-absent (package bus).
//     While the bus is down, entries wait; nothing is lost.
//  5. Reports. While a station is in contact (frames arriving), the service
//     sends it authenticated ACK/NAK reports every ReportInterval and when
//     the contact ends, for the flight to release or repair items. Reports go
//     to the station's configured uplink address or else to the source of its
//     latest frame that passed MAC verification (on KISS, the connection that
//     delivered it): garbage, forged frames and new connections never
//     redirect them. An item is acknowledged only once the transaction that
//     stores it has committed (bbolt OnCommit), since flight releases what
//     the ground acknowledges.
//
// Time for publish timestamps and report timers comes from Config.Clock, so
// the simulator can run the service on a virtual clock. Metrics
// (skysieve_ground_...) and /livez, /readyz are served on MetricsAddr;
// skysieve_ground_kernel_udp_drops_total shows the host's UDP receive drops
// (/proc/net/snmp) and skysieve_ground_udp_socket_drops_total each UDP
// station socket's own (/proc/net/udp): frames lost there reach no frame
// counter.
//
// Using it in-process (the simulator, tests):
//
//	cfg := ground.DefaultConfig()
//	cfg.DataDir, cfg.MetricsAddr = dir, ""
//	cfg.KeyFile = keyFile              // mode 0600 (linkkeys.Generate); required
//	                                   // unless cfg.InsecureDevKeys
//	cfg.UDP = []ground.UDPStation{{Station: "svalbard", Listen: "127.0.0.1:0"}}
//	cfg.Clock = vclock
//	svc, err := ground.New(cfg)       // binds the sockets: svc.UDPAddr("svalbard")
//	go svc.Run(ctx)                    // until ctx ends
//	<-svc.Ready()                      // svc.NATSURL(), svc.NATSCredentials() reach the bus
//	svc.Stats()                        // counters, outbox length, publish latency
//
// Exactly once. A detection is published once however often it arrives:
// the reassembler ignores symbols of items it completed, the outbox's
// published set drops items completed again (another station, a later pass,
// after a restart), and the bus's create-only publish (expected last
// subject sequence 0 on detections.<class>.<id>) refuses any copy that gets
// past both, with no time limit. What is retired from the outbox is removed
// in small batches; a crash before that only republishes, and the bus
// refuses the copy.
//
// NATS. By default an embedded nats-server runs in the process: JetStream
// on, its store in DataDir/nats, fsync on every write (sync_interval:
// always), client listener on 127.0.0.1:4222 (NATSListen; a free port, with a WARN
// line, when that is taken and NATSListenFallback is set; its URL is also written
// to DataDir/nats.url for `ground watch`), signal handling off. It requires
// authentication: ground's own user (password made at first start, kept in
// DataDir/nats-auth.json with mode 0600; `ground watch` reads it) may do
// anything, the NATSReaders may only read, and nobody else gets in. With
// NATSURL the service uses an external server or cluster instead, with TLS
// (NATSCAFile, NATSCertFile, NATSKeyFile) and credentials (NATSCredsFile or
// NATSNKeyFile, or a user and password in NATSURL, which is never logged
// or written unredacted). A refused login or certificate fails Run at
// once. Sync-on-write cannot be set from a client: the external
// server's operator sets `jetstream { sync_interval: always }` or relies on
// R3 replication (NATSReplicas); see package bus.
//
// Limits. The NAK counts in a report come from the reassembler in memory
// and may include symbols of a batch not yet committed: after a crash,
// flight learns the true count from the next report (a repair delayed, no
// item lost). The published set grows by one small key per item.
package ground
