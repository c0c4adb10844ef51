package orbit

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sgp4RefDir finds ../shared/testdata/sgp4 relative to the module root.
func sgp4RefDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the test directory")
		}
		dir = parent
	}
	ref := filepath.Join(dir, "..", "shared", "testdata", "sgp4")
	if _, err := os.Stat(filepath.Join(ref, "tcppver.out")); err != nil {
		t.Skipf("SGP4 reference vectors absent (%s): place SGP4-VER.TLE and tcppver.out there to run the Vallado verification", ref)
	}
	return ref
}

// verCase is one verification element set with its propagation schedule.
type verCase struct {
	tle                        TLE
	startMin, stopMin, stepMin float64
}

func loadVerCases(t *testing.T, dir string) []verCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "SGP4-VER.TLE"))
	if err != nil {
		t.Fatal(err)
	}
	tles, err := ParseTLEsWith(strings.NewReader(string(b)), TLEOptions{Source: "SGP4-VER.TLE", IgnoreChecksum: true})
	if err != nil {
		t.Fatal(err)
	}
	var line2s []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "2 ") {
			line2s = append(line2s, l)
		}
	}
	if len(line2s) != len(tles) {
		t.Fatalf("%d line-2s for %d element sets", len(line2s), len(tles))
	}
	cases := make([]verCase, len(tles))
	for i, l := range line2s {
		f := strings.Fields(l[69:])
		if len(f) != 3 {
			t.Fatalf("case %d: want start stop step after column 69, got %q", tles[i].SatNum, l[69:])
		}
		var v [3]float64
		for j := range f {
			if v[j], err = strconv.ParseFloat(f[j], 64); err != nil {
				t.Fatal(err)
			}
		}
		cases[i] = verCase{tle: tles[i], startMin: v[0], stopMin: v[1], stepMin: v[2]}
	}
	return cases
}

type refRow struct {
	tsince float64
	r, v   Vec3
}

type refBlock struct {
	satNum int
	rows   []refRow
}

func loadVerOutput(t *testing.T, dir string) []refBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "tcppver.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []refBlock
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) == 2 && fs[1] == "xx" {
			n, err := strconv.Atoi(fs[0])
			if err != nil {
				t.Fatalf("bad block header %q", sc.Text())
			}
			blocks = append(blocks, refBlock{satNum: n})
			continue
		}
		if len(blocks) == 0 || len(fs) < 7 {
			t.Fatalf("unexpected line %q", sc.Text())
		}
		var x [7]float64
		for i := range x {
			if x[i], err = strconv.ParseFloat(fs[i], 64); err != nil {
				t.Fatalf("bad number in %q", sc.Text())
			}
		}
		b := &blocks[len(blocks)-1]
		b.rows = append(b.rows, refRow{tsince: x[0], r: Vec3{x[1], x[2], x[3]}, v: Vec3{x[4], x[5], x[6]}})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// driverTimes reproduces the reference driver's schedule: epoch, then
// start..stop by step, with stop itself as the last time.
func driverTimes(c verCase) []float64 {
	ts := []float64{0}
	tsince := c.startMin
	if math.Abs(tsince) > 1e-8 {
		tsince -= c.stepMin
	}
	for tsince < c.stopMin {
		tsince += c.stepMin
		if tsince > c.stopMin {
			tsince = c.stopMin
		}
		ts = append(ts, tsince)
	}
	return ts
}

// TestVallado propagates every verification case at every time step of the
// reference driver and compares with the C++ reference output: position
// within 1 m, velocity within 1 mm/s, and an error exactly where the
// reference stops.
func TestVallado(t *testing.T) {
	dir := sgp4RefDir(t)
	cases := loadVerCases(t, dir)
	blocks := loadVerOutput(t, dir)
	if len(cases) != len(blocks) {
		t.Fatalf("%d cases, %d output blocks", len(cases), len(blocks))
	}
	const posTolKm, velTolKmPerS = 1e-3, 1e-6
	var compared int
	var worstPosKm, worstVelKmPerS float64
	for i, c := range cases {
		blk := blocks[i]
		if blk.satNum != c.tle.SatNum {
			t.Fatalf("case %d: output block is for %d, element set for %d", i, blk.satNum, c.tle.SatNum)
		}
		t.Run(strconv.Itoa(c.tle.SatNum)+"_"+strconv.Itoa(i), func(t *testing.T) {
			p, initErr := NewPropagator(c.tle)
			times := driverTimes(c)
			var firstErr error
			var errAt float64
			ok := 0
			for _, ts := range times {
				var sv StateVector
				var err error
				if initErr != nil {
					err = initErr
				} else {
					sv, err = p.PropagateMinutes(ts)
				}
				if err != nil {
					firstErr, errAt = err, ts
					break
				}
				if ok >= len(blk.rows) {
					t.Fatalf("t=%.4f: propagated, but the reference failed here", ts)
				}
				row := blk.rows[ok]
				if math.Abs(row.tsince-ts) > 1e-6 {
					t.Fatalf("schedule mismatch: reference row %d at %.8f, driver time %.8f", ok, row.tsince, ts)
				}
				dp := sv.PositionKm.Sub(row.r).Norm()
				dv := sv.VelocityKmPerS.Sub(row.v).Norm()
				worstPosKm = math.Max(worstPosKm, dp)
				worstVelKmPerS = math.Max(worstVelKmPerS, dv)
				if dp > posTolKm || dv > velTolKmPerS {
					t.Errorf("t=%.4f: position off by %.6f m, velocity by %.6f mm/s\n got r=%v v=%v\nwant r=%v v=%v",
						ts, dp*1e3, dv*1e6, sv.PositionKm, sv.VelocityKmPerS, row.r, row.v)
				}
				ok++
				compared++
			}
			switch {
			case firstErr == nil && ok != len(blk.rows):
				t.Errorf("reference has %d rows, we produced %d", len(blk.rows), ok)
			case firstErr != nil && ok == 0 && len(blk.rows) == 1:
				// The reference prints a stale vector for a set that fails at
				// epoch (case 33334); failing at epoch is the match.
				t.Logf("fails at epoch as the reference does: %v", firstErr)
			case firstErr != nil && ok != len(blk.rows):
				t.Errorf("failed at t=%.4f after %d rows, reference has %d rows: %v", errAt, ok, len(blk.rows), firstErr)
			case firstErr != nil:
				var pe *PropagationError
				if !errors.As(firstErr, &pe) {
					t.Errorf("error is not a *PropagationError: %v", firstErr)
				}
				t.Logf("stops at t=%.4f like the reference: %v", errAt, firstErr)
			}
		})
	}
	t.Logf("compared %d states; worst position %.3g m, worst velocity %.3g mm/s", compared, worstPosKm*1e3, worstVelKmPerS*1e6)
}
