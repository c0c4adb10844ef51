package frame

import "testing"

func BenchmarkCRC16(b *testing.B) {
	buf := make([]byte, 2046)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		CRC16(buf)
	}
}
