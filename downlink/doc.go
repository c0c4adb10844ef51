// Package downlink holds what both ends of the Skysieve space link share.
// This file is its map; the code lives in the subpackages.
//
// The protocol stack, from the item down to the bytes on air:
//
//	item (detection record, evidence chip, bundle, housekeeping), (kind, 16-byte id)
//	  │ fec: cut into equal symbols, blocks of k ≤ 128, Reed-Solomon repair
//	  ▼
//	symbol ─▶ packet: one CCSDS Space Packet (133.0-B) per symbol
//	  ▼
//	packet ─▶ frame: one packet per fixed-length TM Transfer Frame (132.0-B),
//	  │        protected by sdls (AES-256-GCM, SPI, sequence number, MAC)
//	  ▼
//	frame  ─▶ radio (UDP datagram), or frame.SyncWriter for byte streams:
//	           ASM 1ACFFC1D + CCSDS pseudo-randomised frame
//
// One TM frame with the default 2048-byte length (all big-endian):
//
//	 0  ┌ TM primary header (6): version 00, SCID 10b, VCID 3b, OCF 0,
//	    │   MC count 8b, VC count 8b, flags 0000 + seg-len 11, FHP 11b = 0
//	 6  ├ security header (10): SPI (2), sequence number (8)      ─┐ AAD
//	16  ├ Space Packet primary header (6): 000 0 1 APID 11b,     ─┐│
//	    │   seq flags 11, seq count 14b, data length − 1          ││
//	22  ├ secondary header (42, table below)                      ││ encrypted
//	64  ├ symbol data (1966 bytes at the default frame length)   ─┘│ (mode enc)
//	2030├ MAC (16): GCM tag over AAD and data                       │
//	2046└ FECF (2): CRC-16-CCITT over bytes 0..2045
//
// The secondary header (downlink/packet):
//
//	offset size field
//	 0     16   item id (a detection's 32-hex id, decoded)
//	16      4   symbol index: i < k·blocks source, above that repair
//	20      2   k, source symbols per block
//	22      2   blocks
//	24      2   symbol size in bytes
//	26      4   item length in bytes
//	30      8   item digest: half an AES-GMAC tag under a public key (packet.ItemDigest)
//	38      4   CRC-32C of the symbol data
//
// The APID is the item kind: 0x100 detection record, 0x101 evidence chip
// (same id as its record), 0x102 housekeeping, 0x103 bundle (the records
// and chips of several detections in one item, downlink/bundle), 0x7FF
// idle. Flight bundles detections that have not yet started on the link,
// so a slow link pays frame padding once per bundle rather than twice per
// detection; ground publishes each member once and acknowledges the
// bundle and every member part. Each priority
// class has its own virtual channel; idle frames (FHP 0x7FE) go on VC 7.
// A lost or corrupt frame therefore costs exactly one symbol, and any k
// symbols of a block rebuild it. With 2048-byte frames an item spends
// 1966 of every 2048 bytes on its own data (0.960 before padding).
//
// Security (downlink/sdls): the GCM nonce is a direction byte, three zero
// bytes and the 64-bit sequence number, which never repeats (flight and
// ground restart their counters from a persisted high-water mark). The
// receiver keeps an anti-replay window of 960 per station and counts
// rejections by reason (crc, auth, replay, malformed, duplicate); ground can
// persist each station's highest sequence number so replays stay refused
// across its restarts.
//
// The uplink (downlink/report) carries ACK/NAK reports in TC Transfer
// Frames (232.0-B, at most 1024 bytes): 5-byte TC header, the same security
// header, the report, MAC, FECF. A big report is split into self-contained
// parts.
//
// Ground reassembly (downlink/reassembly) accepts symbols in any order from
// any station, drops duplicates, decodes each block at k, checks the item
// digest and bounds memory by evicting the oldest incomplete item.
//
// Start at downlink/link: NewSender and ItemEncoder.AppendFrame on flight,
// NewReceiver and Receiver.Receive on ground, NewReportEncoder and
// Sender.DecodeReport for the uplink.
package downlink
