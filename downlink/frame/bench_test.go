package frame

import (
	"bytes"
	"testing"
)

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

func BenchmarkSynchronizer(b *testing.B) {
	var stream bytes.Buffer
	w := NewSyncWriter(&stream)
	f := make([]byte, 2048)
	for i := 0; i < 64; i++ {
		w.WriteFrame(f)
	}
	b.SetBytes(int64(stream.Len()))
	for b.Loop() {
		s, err := NewSynchronizer(bytes.NewReader(stream.Bytes()), len(f))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
	}
}
