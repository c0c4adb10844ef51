// Package reassembly rebuilds items on the ground from the symbols that
// arrive, in any order, from any number of passes and stations.
//
// A Reassembler holds the incomplete items. Each symbol is checked against
// its CRC-32C and against the layout and digest of earlier symbols of the
// same item, stored (duplicates are counted and dropped), and when a code
// block has k symbols it is decoded with fec.DecodeBlock. When every block
// is decoded the item's digest (packet.ItemDigest) is checked and the item is returned
// once; its reference is remembered (up to Config.RememberComplete) so
// late copies count as duplicates and reports can acknowledge it.
//
// Memory is bounded by Config.MaxBytes of symbol data: when a new symbol
// would exceed it, the oldest incomplete items are evicted (counted in
// Stats.Evicted) until it fits.
//
// Restart: every symbol that Add accepts can be persisted by the caller as
// its packet bytes (packet.AppendSymbol) and replayed with AddPacket, or
// the whole state can be written with Export and read back with Import.
// The Reassembler is safe for concurrent use.
package reassembly
