package ground

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/record"
	"github.com/skysieve/skysieve/ground/bus"
	"github.com/skysieve/skysieve/ground/kiss"
)

// TestForgedReplayedCorruptedNeverPublished sends, at one station, frames
// signed with the wrong key, frames with flipped bits, truncated frames and
// replays of good frames. Only the genuine detection is published; each
// bad frame is counted under its reason.
func TestForgedReplayedCorruptedNeverPublished(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	otherKeys := writeKeys(t, t.TempDir())
	g := start(t, testConfig(t, dir+"/g", keys, "alpha"))

	genuine := detection(1, record.ClassFire)
	forgedDet := detection(2, record.ClassFire)
	corruptDet := detection(3, record.ClassFlood)

	fl := newFlight(t, keys, 1)
	attacker := newFlight(t, otherKeys, 1)
	good := fl.recordFrames(genuine)
	forged := attacker.recordFrames(forgedDet)
	var corrupted [][]byte
	for i, f := range fl.recordFrames(corruptDet) {
		c := bytes.Clone(f)
		c[40+i%500] ^= 0x20
		corrupted = append(corrupted, c, c[:len(c)-7])
	}
	sendUDP(t, g.UDPAddr("alpha"), forged)
	sendUDP(t, g.UDPAddr("alpha"), corrupted)
	sendUDP(t, g.UDPAddr("alpha"), good)
	sendUDP(t, g.UDPAddr("alpha"), good) // replay
	total := uint64(len(forged) + len(corrupted) + 2*len(good))
	waitFor(t, "all frames counted", 10*time.Second, func() bool {
		var n uint64
		for _, c := range g.Stats().Frames {
			n += c.Good + c.CRC + c.Auth + c.Replay + c.Malformed
		}
		return n == total && g.Stats().OutboxLen == 0 && g.Stats().Published == 1
	})
	st := g.Stats()
	rej := st.Frames[StationVC{"alpha", -1}]
	if rej.Auth != uint64(len(forged)) || rej.CRC != uint64(len(corrupted)) || rej.Replay != uint64(len(good)) {
		t.Fatalf("rejections %+v; want auth %d, crc %d, replay %d", rej, len(forged), len(corrupted), len(good))
	}
	if got := st.Frames[StationVC{"alpha", 0}].Good; got != uint64(len(good)) {
		t.Fatalf("good frames %d, want %d", got, len(good))
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamDetections); got != 1 {
		t.Fatalf("DETECTIONS holds %d, want only the genuine detection", got)
	}
	if got := streamMsgs(t, clientURL(g), bus.StreamAlerts); got != 1 {
		t.Fatalf("ALERTS holds %d, want 1", got)
	}
}

// TestKISSStations feeds one KISS station whole frames and another the
// ASM + randomised byte stream, cut at arbitrary points and with garbage
// between frames.
func TestKISSStations(t *testing.T) {
	dir := t.TempDir()
	keys := writeKeys(t, dir)
	cfg := testConfig(t, dir+"/g", keys)
	cfg.UDP = nil
	cfg.KISS = []KISSStation{{Station: "modem", Listen: "127.0.0.1:0"}, {Station: "stream", Listen: "127.0.0.1:0", Sync: true}}
	cfg.ReportInterval = 100 * time.Millisecond
	g := start(t, cfg)
	fl := newFlight(t, keys, 1)

	var plain, stream []byte
	plain = append(plain, 0x55, 0xAA) // noise before the first FEND
	for _, f := range fl.recordFrames(detection(10, record.ClassVessel)) {
		plain = kiss.Append(plain, 0, kiss.CmdData, f)
	}
	var synced []byte
	for _, f := range fl.recordFrames(detection(11, record.ClassVessel)) {
		synced = append(synced, frame.ASM[:]...)
		synced = append(synced, randomised(f)...)
		synced = append(synced, 0x00, 0x13, 0x37) // garbage between frames
	}
	for len(synced) > 0 {
		n := min(len(synced), 333)
		stream = kiss.Append(stream, 0, kiss.CmdData, synced[:n])
		synced = synced[n:]
	}
	// Pad so the synchroniser sees the last frame's end.
	stream = kiss.Append(stream, 0, kiss.CmdData, make([]byte, 2048))
	conns := map[string]net.Conn{}
	for st, b := range map[string][]byte{"modem": plain, "stream": stream} {
		c, err := net.Dial("tcp", g.KISSAddr(st).String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[st] = c
	}
	waitFor(t, "both KISS detections published", 10*time.Second, func() bool { return g.Stats().Published == 2 })
	st := g.Stats()
	if st.Frames[StationVC{"modem", 0}].Good == 0 || st.Frames[StationVC{"stream", 0}].Good == 0 {
		t.Fatalf("frames %+v", st.Frames)
	}
	// Reports come back down the modem's TCP connection as KISS frames.
	_ = conns["modem"].SetReadDeadline(time.Now().Add(5 * time.Second))
	dec := kiss.NewDecoder(conns["modem"], 0)
	kf, err := dec.Next()
	if err != nil {
		t.Fatalf("no KISS report from the ground: %v", err)
	}
	rep, err := fl.sender.DecodeReport(kf.Data)
	if err != nil {
		t.Fatalf("KISS report does not verify at flight: %v", err)
	}
	if len(rep.Complete) == 0 {
		t.Fatalf("report acknowledges nothing: %+v", rep)
	}
}

// randomised applies the CCSDS pseudo-randomiser (an involution).
func randomised(f []byte) []byte {
	out := bytes.Clone(f)
	frame.Randomize(out)
	return out
}
