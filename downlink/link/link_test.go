package link

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/downlink/reassembly"
	"github.com/skysieve/skysieve/downlink/report"
	"github.com/skysieve/skysieve/downlink/sdls"
)

const testKeyFile = "../../testdata/link/test.key"

func testKeys(t testing.TB) *sdls.Keys {
	t.Helper()
	k, err := sdls.LoadKeyFile(testKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pair(t testing.TB, cfg Config) (*Sender, *Receiver) {
	t.Helper()
	keys := testKeys(t)
	s, err := NewSender(cfg, keys, 1000)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceiver(cfg, keys, reassembly.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

func randomItem(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestRoundTripWithLoss(t *testing.T) {
	for _, mode := range []uint16{1, 3} { // enc, auth
		for _, size := range []int{1, 100, 1954, 1955, 50_000, 400_000} {
			cfg := DefaultConfig()
			cfg.DownlinkSPI = mode
			s, r := pair(t, cfg)
			rng := rand.New(rand.NewPCG(uint64(size), uint64(mode)))
			data := randomItem(rng, size)
			id := ItemID{1, 2, 3}
			enc, err := s.Item(KindChip, id, data, 2)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			var buf []byte
			for i := 0; i < enc.MaxSymbols() && got == nil; i++ {
				buf, err = enc.AppendFrame(buf[:0], i)
				if err != nil {
					t.Fatal(err)
				}
				if len(buf) != cfg.FrameBytes {
					t.Fatalf("frame of %d bytes", len(buf))
				}
				if rng.IntN(10) < 2 { // 20% loss
					continue
				}
				res, err := r.Receive(buf, "a")
				if err != nil {
					t.Fatalf("size %d symbol %d: %v", size, i, err)
				}
				if res.VC != 2 {
					t.Fatalf("VC %d, want 2", res.VC)
				}
				for _, it := range res.Completed {
					if it.Ref != enc.Ref() {
						t.Fatalf("completed %v", it.Ref)
					}
					got = it.Data
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("mode %d size %d: item not rebuilt", mode, size)
			}
		}
	}
}

func TestRejections(t *testing.T) {
	cfg := DefaultConfig()
	s, r := pair(t, cfg)
	enc, err := s.Item(KindRecord, ItemID{9}, []byte("hello"), 0)
	if err != nil {
		t.Fatal(err)
	}
	good, err := enc.AppendFrame(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	unseen, err := enc.AppendFrame(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(unseen)
		b[i] ^= 0x10
		return b
	}
	reCRC := func(b []byte) []byte { frame.PutFECF(b); return b }
	if _, err := r.Receive(good, "a"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		f      []byte
		want   error
		reason Reason
	}{
		{"bit flip", flip(100), frame.ErrCRC, ReasonCRC},
		{"short", good[:100], frame.ErrCRC, ReasonCRC},
		{"forged payload", reCRC(flip(100)), sdls.ErrAuth, ReasonAuth},
		{"forged header", reCRC(flip(3)), sdls.ErrAuth, ReasonAuth},
		{"replay", good, sdls.ErrReplay, ReasonReplay},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := r.Counters()[CounterKey{"a", -1, c.reason}]
			if _, err := r.Receive(c.f, "a"); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if after := r.Counters()[CounterKey{"a", -1, c.reason}]; after != before+1 {
				t.Fatalf("counter %s = %d, want %d", c.reason, after, before+1)
			}
		})
	}
	// The same frame at another station is a duplicate, not a replay.
	res, err := r.Receive(good, "b")
	if err != nil || len(res.Symbols) != 1 || res.Symbols[0].Outcome != reassembly.AlreadyComplete {
		t.Fatalf("second station: %+v, %v", res, err)
	}
}

func TestReportRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	keys := testKeys(t)
	s, err := NewSender(cfg, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := NewReportEncoder(cfg, keys, 7)
	if err != nil {
		t.Fatal(err)
	}
	rep := reportWithEntries(100)
	frames, err := u.EncodeReport(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 2 {
		t.Fatalf("%d frames, want a split", len(frames))
	}
	var complete, need int
	for _, f := range frames {
		if len(f) > frame.MaxTCFrameBytes {
			t.Fatalf("TC frame of %d bytes", len(f))
		}
		part, err := s.DecodeReport(f)
		if err != nil {
			t.Fatal(err)
		}
		if part.Seq != 3 || !part.Time.Equal(rep.Time) || part.Parts != len(frames) {
			t.Fatalf("part header %+v", part)
		}
		for _, n := range part.Need {
			if n != rep.Need[need] {
				t.Fatalf("need %d = %+v, want %+v", need, n, rep.Need[need])
			}
			need++
		}
		complete += len(part.Complete)
	}
	if complete != 100 || need != 100 {
		t.Fatalf("got %d complete %d need", complete, need)
	}
	if _, err := s.DecodeReport(frames[0]); !errors.Is(err, sdls.ErrReplay) {
		t.Fatalf("replayed report: %v", err)
	}
	more, err := u.EncodeReport(report.Report{Seq: 4})
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(more[0])
	bad[20] ^= 1
	frame.PutFECF(bad)
	if _, err := s.DecodeReport(bad); !errors.Is(err, sdls.ErrAuth) {
		t.Fatalf("forged report: %v", err)
	}
}

func reportWithEntries(n int) report.Report {
	rep := report.Report{Seq: 3, Time: time.UnixMilli(1_790_000_000_123).UTC()}
	for i := 0; i < n; i++ {
		rep.Complete = append(rep.Complete, ItemRef{Kind: KindRecord, ID: ItemID{byte(i)}})
		rep.Need = append(rep.Need, report.NeedRef{Ref: ItemRef{Kind: KindChip, ID: ItemID{byte(i), 1}}, Symbols: i})
	}
	return rep
}
