package outbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

type modelEntry struct {
	ref      string
	priority float64
	seq      int
}

// TestOutboxMatchesModel runs random enqueue, done and reopen
// operations against a real bbolt file and a plain in-memory model: the
// queue order (priority, then arrival), the dedup of queued and published
// refs, and survival across reopen must agree at every step.
func TestOutboxMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			path := filepath.Join(t.TempDir(), "ground.db")
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			ob, err := Open(db)
			if err != nil {
				t.Fatal(err)
			}
			var queue []modelEntry
			published := map[string]bool{}
			queued := map[string]bool{}
			seq := 0
			for step := 0; step < 400; step++ {
				switch op := rng.IntN(10); {
				case op < 5:
					id := fmt.Sprintf("%032x", rng.IntN(60))
					kind := []string{"record", "chip"}[rng.IntN(2)]
					// Few distinct priorities, so ties exercise arrival order.
					p := float64(rng.IntN(5)) / 4
					e := &Entry{Kind: kind, ID: id, Priority: p, Payload: []byte(id), DownlinkTime: time.Unix(int64(step), 0)}
					added, err := ob.Enqueue(e)
					if err != nil {
						t.Fatal(err)
					}
					ref := e.Ref()
					want := !published[ref] && !queued[ref]
					if added != want {
						t.Fatalf("step %d: enqueue %s added=%v, model says %v", step, ref, added, want)
					}
					if added {
						seq++
						queued[ref] = true
						queue = append(queue, modelEntry{ref, p, seq})
					}
				case op < 8:
					es, err := ob.Peek(1)
					if err != nil {
						t.Fatal(err)
					}
					sort.SliceStable(queue, func(i, j int) bool {
						if queue[i].priority != queue[j].priority {
							return queue[i].priority > queue[j].priority
						}
						return queue[i].seq < queue[j].seq
					})
					if len(queue) == 0 {
						if len(es) != 0 {
							t.Fatalf("step %d: peek %v from empty model", step, es[0].Ref())
						}
						continue
					}
					if len(es) != 1 || es[0].Ref() != queue[0].ref {
						t.Fatalf("step %d: peek gives %v, model head %s", step, es, queue[0].ref)
					}
					if err := ob.Done(time.Unix(int64(step), 0), es[0]); err != nil {
						t.Fatal(err)
					}
					if err := ob.Done(time.Unix(int64(step), 0), es[0]); !errors.Is(err, ErrNotQueued) {
						t.Fatalf("step %d: second Done gave %v, want ErrNotQueued", step, err)
					}
					published[queue[0].ref] = true
					delete(queued, queue[0].ref)
					queue = queue[1:]
				default:
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					if db, err = bolt.Open(path, 0o600, nil); err != nil {
						t.Fatal(err)
					}
					if ob, err = Open(db); err != nil {
						t.Fatal(err)
					}
				}
				if ob.Len() != len(queue) {
					t.Fatalf("step %d: len %d, model %d", step, ob.Len(), len(queue))
				}
			}
		})
	}
}

func TestQueueKeyOrder(t *testing.T) {
	cases := []struct {
		hiP, loP float64
	}{{1, 0.999}, {0.5, 0.4999}, {0.01, 0}, {1, -3}}
	for _, c := range cases {
		if string(queueKey(c.hiP, 9)) >= string(queueKey(c.loP, 1)) {
			t.Errorf("priority %v does not sort before %v", c.hiP, c.loP)
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := &Entry{Kind: "chip", ID: "00ff", Priority: 0.25, Payload: []byte{0, 1, 0xC0, 0xFF}, Station: "s",
		Pass: "s/p", DownlinkTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	v, err := encodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEntry(v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != e.Kind || got.ID != e.ID || got.Priority != e.Priority || string(got.Payload) != string(e.Payload) ||
		got.Station != e.Station || got.Pass != e.Pass || !got.DownlinkTime.Equal(e.DownlinkTime) {
		t.Fatalf("round trip %+v, want %+v", got, e)
	}
	for _, bad := range [][]byte{nil, {0, 0}, {0, 0, 0, 9, '{'}, {0, 0, 0, 1, 'x'}} {
		if _, err := decodeEntry(bad); err == nil {
			t.Errorf("decodeEntry(%v) accepted", bad)
		}
	}
}
