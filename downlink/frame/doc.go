// Package frame encodes and decodes the transfer frames of the Skysieve
// space link, and wraps them for byte-stream links.
//
// TM Transfer Frames (CCSDS 132.0-B) carry the downlink. Each frame has a
// fixed length, a 6-byte primary header and a 2-byte frame error control
// field (FECF, CRC-16-CCITT: polynomial 0x1021, initial value 0xFFFF, no
// reflection, no final XOR) over everything before it. The primary header:
//
//	bits  field
//	 2    transfer frame version (00)
//	10    spacecraft id
//	 3    virtual channel id (Skysieve: one per priority class)
//	 1    operational control field flag (0: no OCF)
//	 8    master channel frame count
//	 8    virtual channel frame count
//	 1    secondary header flag (0)
//	 1    synchronisation flag (0: packets)
//	 1    packet order flag (0)
//	 2    segment length id (11)
//	11    first header pointer: offset of the first packet in the data
//	      field; 0x7FF no packet starts here; 0x7FE only idle data
//
// TC Transfer Frames (CCSDS 232.0-B) carry the uplink (ACK/NAK reports). The
// 5-byte primary header: version (2 bits, 00), bypass flag, control command
// flag, 2 spare bits, spacecraft id (10), virtual channel id (6), frame
// length minus one (10), frame sequence number (8); the FECF ends the frame.
// A TC frame is at most 1024 bytes.
//
// For byte-stream links (KISS over TCP, a serial modem) SyncWriter puts the
// attached sync marker 0x1ACFFC1D before each frame and XORs the frame with
// the CCSDS pseudo-random sequence (CCSDS 131.0-B, h(x) = x^8+x^7+x^5+x^3+1,
// all-ones seed, period 255: FF 48 0E C0 ...). Synchronizer undoes both on
// receive: it hunts for the marker, delivers fixed-length frames while each
// is followed by the next marker, and hunts again after garbage.
//
// Decoders check every length before use and return errors wrapping
// ErrMalformed or ErrCRC; none panics on any input.
package frame
