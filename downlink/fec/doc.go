// Package fec is Skysieve's packet-level erasure code: an item is cut into
// equal symbols, grouped into code blocks of k source symbols each, and every
// block is extended with Reed-Solomon repair symbols over GF(2^8)
// (github.com/klauspost/reedsolomon, Vandermonde-derived systematic matrix).
// Any k distinct symbols of a block rebuild it (the code is MDS).
//
// A Layout is fixed by the item length, the symbol size and the block count.
// Item bytes are laid out block by block: block b holds bytes
// [b*k*size, (b+1)*k*size), zero-padded past the end of the item. Symbol
// indices interleave the blocks: index i is row i/blocks of block
// i%blocks, so indices 0..k*blocks-1 are the source symbols and every run of
// `blocks` consecutive indices above that adds one repair symbol to each
// block. A block holds at most 256 symbols (rows 0..255).
//
// Repair rows do not depend on how many were made: row r of a block is the
// same whether the encoder made 4 or 200 repair symbols, so repair symbols
// can be generated later, on demand (incremental redundancy), and mixed
// freely with earlier ones. Reed-Solomon cannot tell a wrong symbol from a
// right one; callers check each symbol (CRC-32C in its packet header, MAC
// on the frame) before handing it here, and check the item digest after.
//
// The parity matrix for each k is computed once (one k×k inversion) and
// kept; both encoding new repair rows and decoding then use small
// reedsolomon encoders with exactly the rows they need. Decoding with e
// source symbols missing solves an e×e system rather than inverting k×k,
// and nothing caches per-loss-pattern state, so memory stays bounded.
// Encoder is safe for concurrent use; DecodeBlock may run concurrently on
// different blocks.
package fec
