// Package sdls is Skysieve's link security, in the spirit of CCSDS SDLS
// (355.0-B): each transfer frame is authenticated, and in the default mode
// encrypted, with AES-256-GCM.
//
// A security association (SA) is a security parameter index (SPI), a mode
// and a 256-bit key. Mode "enc" is authenticated encryption: the frame's
// data field is encrypted and the frame header, security header and data
// are authenticated. Mode "auth" is authentication only (GMAC): everything
// travels in the clear and is authenticated. Both use a 16-byte MAC.
//
// Every protected frame carries, after its primary header, a 10-byte
// security header and ends its data field with a 16-byte security trailer:
//
//	| frame primary header | SPI (2) | sequence number (8) | data field ... | MAC (16) | FECF (2) |
//	 \______________________ authenticated (AAD) ______/ \_ encrypted _/
//
// The GCM nonce is 12 bytes: one direction byte (0 downlink TM, 1 uplink
// TC), three zero bytes, and the 64-bit sequence number. The sender never
// repeats a sequence number (it restarts from a persisted high-water mark),
// so a nonce is never reused under a key, even when both directions share
// one. The receiver keeps an anti-replay window per sender stream: a
// sequence number at or below the highest seen minus the window, or seen
// before within it, is rejected with ErrReplay; a frame whose MAC fails is
// rejected with ErrAuth. The window moves only after the MAC verifies, so
// forged frames cannot push it.
//
// Keys come from a key file, one SA per line (blank lines and lines
// starting with # are ignored):
//
//	# spi  mode  key (64 hex characters, AES-256)
//	1      enc   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
//	2      auth  1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
//
// SPIs are 1..65534 and unique in the file. LoadKeyFile reports a missing,
// unreadable or malformed file with its path, line and what is wrong.
package sdls
