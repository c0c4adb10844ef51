// Package packet encodes and decodes CCSDS Space Packets (CCSDS 133.0-B)
// as Skysieve uses them: one packet carries one erasure-coded symbol of one
// item.
//
// A packet is a 6-byte primary header, a 42-byte secondary header and the
// symbol's bytes. The primary header holds the version (0), the type
// (0 = telemetry), the secondary-header flag (1), an 11-bit APID naming the
// item kind (detection record, evidence chip, housekeeping, bundle; 0x7FF
// is the idle APID), the sequence flags (0b11, unsegmented), a 14-bit sequence
// count and the data length minus one.
//
// The secondary header says where the symbol belongs (all integers are
// big-endian):
//
//	offset size field
//	 0     16   item id
//	16      4   symbol index (0..k*blocks-1 source, above that repair)
//	20      2   k: source symbols per code block
//	22      2   code blocks in the item
//	24      2   symbol size in bytes
//	26      4   item length in bytes
//	30      8   item digest (ItemDigest: half an AES-GMAC tag under a public key)
//	38      4   CRC-32C (Castagnoli) of the symbol bytes
//
// An item is identified by (Kind, ID): a detection record and its evidence
// chip share the ID and differ in Kind. ParseDetectionID and FormatID turn a
// 32-hex-character detection id into the 16-byte ID and back.
//
// Decoders take bytes from the radio: they check every length and field
// before use and return errors wrapping ErrMalformed; they never panic and
// never allocate more than their input.
package packet
