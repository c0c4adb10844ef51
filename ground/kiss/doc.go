// Package kiss decodes and encodes KISS framing (the "keep it simple,
// stupid" TNC protocol of Chepponis and Karn, 1987), the byte stream that
// SDR modems such as gr-satellites emit over TCP.
//
// A frame is bracketed by FEND (0xC0). Its first byte is a type byte: the
// high nibble is the port, the low nibble the command (0 = data). Inside a
// frame FEND is sent as FESC TFEND (0xDB 0xDC) and FESC as FESC TFESC
// (0xDB 0xDD). Consecutive FENDs are empty frames and are skipped.
//
// Decoder reads frames from an io.Reader. A damaged frame (a bad escape, or
// longer than the configured limit) is reported as an error wrapping
// ErrBadEscape or ErrTooLong; the decoder has then dropped that frame and
// the next call continues with the next one, so a noisy stream never stops
// the receiver. Memory is bounded by the limit, whatever the input.
package kiss
