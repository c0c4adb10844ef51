// Package report is the ACK/NAK report ground sends up to flight: which
// items are complete (flight may release them) and, for each incomplete
// item, how many more symbols it needs (flight sends that many new repair
// symbols next pass).
//
// A report may be too big for one TC frame; Split cuts it into parts that
// each stand alone (flight can act on any part it receives). The binary
// form, all integers big-endian:
//
//	offset size field
//	 0      1   format version (1)
//	 1      1   flags (0)
//	 2      4   report sequence number (ground's counter)
//	 6      8   report time, Unix milliseconds
//	14      1   part index (0-based)
//	15      1   part count
//	16      2   C: complete items
//	18      2   N: incomplete items
//	20   18*C   complete: APID (2), item id (16)
//	  .  22*N   need: APID (2), item id (16), symbols still needed (4)
//
// Parse checks every count against the bytes present, so a report from
// the radio cannot make it allocate more than its input warrants.
package report
