// Package bundle packs the records and evidence chips of several
// detections into one downlink item, and unpacks them on the ground.
//
// On a slow link every item is padded to whole frames and every frame
// spends its headers on one symbol: a 565-byte record and a 900-byte chip
// sent as two items fill two 1024-byte frames a little over half each. A
// bundle of a few dozen detections pays that padding once, so nearly every
// byte on air is detection data. Flight bundles detections that have not
// started on the link yet (one priority class per bundle); a detection
// already part-sent keeps going as its own record and chip items, so it can
// resume where it stopped.
//
// The encoding (all integers big-endian):
//
//	offset size field
//	 0     4    magic "SKB1" (version 1)
//	 4     2    member count n, 1..MaxMembers
//	then n members, each:
//	      1-4   record length r (1..MaxPartBytes), unsigned varint
//	      1-4   chip length c (0..MaxPartBytes), unsigned varint
//	        r   record (JSON, see downlink/record)
//	        c   chip (JPEG)
//
// The varints are those of encoding/binary (seven bits a byte, least
// significant first) in their shortest form: a record of 565 bytes and a
// chip of 900 cost 4 bytes of header. A member carries no id of its own:
// its record names the detection (downlink/record), and Decode reads it
// there, refusing a bundle whose record does not decode.
//
// Nothing may follow the last member. The item digest on the link already
// guards the bytes, so the bundle carries no checksum of its own. A bundle's
// item id is ID of its member ids in order: the same members give the same
// id, so ground's completion memory and flight's custody agree on it.
package bundle
