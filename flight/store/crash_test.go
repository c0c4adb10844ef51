package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
)

// The crash test runs the test binary itself as a child writer process
// (TestCrashChild), SIGKILLs it at a random moment, reopens the store and
// checks that every Put and Ack the child saw return nil is in the file,
// that nothing is duplicated or torn, and that recovery finds nothing to
// repair.

const crashEnv = "SKYSIEVE_STORE_CRASH_CHILD"

// crashPayload derives an item's content from its id, so the parent can
// verify any item without having seen it.
func crashItem(id string) Item {
	sum := sha256.Sum256([]byte(id))
	chip := bytes.Repeat(sum[:], 1+int(sum[0])%300)
	return Item{ID: id, Class: "fire", PriorityClass: int(sum[1] % 3), Value: float64(sum[2]),
		Record: []byte(id), Chip: chip, Region: [4]float64{1, 2, 3, 4}}
}

// TestCrashChild is the writer; it does nothing unless run by
// TestCrashKillWriter. It writes "put <id>" or "ack <id>" to stdout after
// each call that returned nil.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("child process of TestCrashKillWriter")
	}
	parts := strings.Split(spec, ",")
	path := parts[0]
	round, _ := strconv.Atoi(parts[1])
	s, _, err := Open(path, testOpts(clock.Real{}))
	if err != nil {
		fmt.Printf("open-error %v\n", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	report := func(what, id string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, "%s %s\n", what, id)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			for i := 0; ; i++ {
				// Every other round re-puts the previous round's ids
				// first: re-triage after a crash.
				r := round
				if round%2 == 1 && i < 50 {
					r = round - 1
				}
				id := fmt.Sprintf("r%03d-w%d-%05d", r, w, i)
				if err := s.Put(context.Background(), crashItem(id)); err != nil {
					fmt.Printf("put-error %s %v\n", id, err)
					os.Exit(4)
				}
				report("put", id)
				if r != round {
					continue
				}
				switch rng.IntN(4) {
				case 0:
					if err := s.Ack(id); err != nil {
						fmt.Printf("ack-error %s %v\n", id, err)
						os.Exit(5)
					}
					report("ack", id)
				case 1:
					if err := s.MarkSent(id, "p", []int{1, 2}); err != nil {
						fmt.Printf("mark-error %s %v\n", id, err)
						os.Exit(6)
					}
					report("sent", id)
				}
			}
		}()
	}
	wg.Wait()
}

func TestCrashKillWriter(t *testing.T) {
	kills := 10
	switch {
	case os.Getenv("SKYSIEVE_SOAK") == "1":
		kills = 60
	case testing.Short():
		kills = 3
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(7, 7))
	puts := map[string]bool{}
	acks := map[string]bool{}
	sent := map[string]bool{}
	for round := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", crashEnv, path, round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			if errors.Is(err, syscall.ENOEXEC) {
				// qemu-user without binfmt_misc cannot start a foreign
				// binary; the native run of this test covers it.
				t.Skipf("cannot re-execute the test binary here: %v", err)
			}
			t.Fatal(err)
		}
		// Kill only once the child is writing, after a random time.
		sc := bufio.NewScanner(out)
		lines := 0
		delay := time.Duration(rng.IntN(300)) * time.Millisecond
		var deadline time.Time
		killed := false
		for sc.Scan() {
			line := sc.Text()
			what, id, _ := strings.Cut(line, " ")
			switch what {
			case "put":
				puts[id] = true
			case "ack":
				acks[id] = true
			case "sent":
				sent[id] = true
			default:
				t.Fatalf("round %d: child: %s\n%s", round, line, stderr.String())
			}
			lines++
			if lines == 1 {
				deadline = time.Now().Add(delay)
			}
			if !killed && time.Now().After(deadline) {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child ended by itself: %v\n%s", round, err, stderr.String())
		}
		verifyCrash(t, round, path, puts, acks, sent)
	}
	t.Logf("%d kills, %d puts, %d acks acknowledged by the child", kills, len(puts), len(acks))
}

func verifyCrash(t *testing.T, round int, path string, puts, acks, sent map[string]bool) {
	t.Helper()
	s, rep, err := Open(path, testOpts(clock.Real{}))
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer s.Close()
	if len(rep.Problems) != 0 {
		t.Fatalf("round %d: recovery found problems: %v", round, rep.Problems)
	}
	es, err := s.Next(1<<30, 0)
	if err != nil {
		t.Fatalf("round %d: Next: %v", round, err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		id := e.Item.ID
		if seen[id] {
			t.Fatalf("round %d: %s returned twice", round, id)
		}
		seen[id] = true
		want := crashItem(id)
		if !bytes.Equal(e.Item.Chip, want.Chip) || !bytes.Equal(e.Item.Record, want.Record) {
			t.Fatalf("round %d: %s payload torn", round, id)
		}
		if acks[id] {
			t.Fatalf("round %d: %s was acknowledged but is queued again", round, id)
		}
		if sent[id] && e.State != StateInFlight {
			t.Fatalf("round %d: %s was marked sent but is %s", round, id, e.State)
		}
	}
	if int64(len(es)) != rep.Queued+rep.InFlight {
		t.Fatalf("round %d: Next has %d items, report %d", round, len(es), rep.Queued+rep.InFlight)
	}
	for id := range puts {
		if seen[id] {
			continue
		}
		c, err := s.Custody(id)
		if err != nil {
			t.Fatalf("round %d: acknowledged Put of %s lost: %v", round, id, err)
		}
		if c.State != StateAcknowledged {
			t.Fatalf("round %d: %s is %s, not stored", round, id, c.State)
		}
	}
}
