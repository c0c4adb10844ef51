package orbit

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

const issLine1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
const issLine2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"

func TestParseTLEFields(t *testing.T) {
	tles, err := ParseTLEs(strings.NewReader("ISS (ZARYA)\n" + issLine1 + "\n" + issLine2 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tles) != 1 {
		t.Fatalf("got %d sets", len(tles))
	}
	got := tles[0]
	wantEpoch := time.Date(2008, 9, 20, 12, 25, 40, 104192000, time.UTC)
	if d := got.Epoch.Sub(wantEpoch); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("epoch %v, want %v", got.Epoch, wantEpoch)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"MeanMotionDot", got.MeanMotionDot, -0.00002182},
		{"MeanMotionDDot", got.MeanMotionDDot, 0},
		{"BStar", got.BStar, -0.11606e-4},
		{"Inclination", got.InclinationDeg, 51.6416},
		{"RAAN", got.RAANDeg, 247.4627},
		{"Eccentricity", got.Eccentricity, 0.0006703},
		{"ArgPerigee", got.ArgPerigeeDeg, 130.5360},
		{"MeanAnomaly", got.MeanAnomalyDeg, 325.0288},
		{"MeanMotion", got.MeanMotionRevPerDay, 15.72125391},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-15 || diff < -1e-15 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.Name != "ISS (ZARYA)" || got.SatNum != 25544 || got.IntlDesignator != "98067A" ||
		got.Classification != 'U' || got.ElementSetNo != 292 || got.RevNumber != 56353 {
		t.Errorf("identity fields wrong: %+v", got)
	}
}

func TestParseTLEForms(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		names []string
	}{
		{"two-line", issLine1 + "\n" + issLine2 + "\n", []string{""}},
		{"three-line", "ISS\n" + issLine1 + "\n" + issLine2, []string{"ISS"}},
		{"3le zero prefix", "0 ISS (ZARYA)\r\n" + issLine1 + "\r\n" + issLine2 + "\r\n", []string{"ISS (ZARYA)"}},
		{"comments and blanks", "# list\n\nA\n" + issLine1 + "\n" + issLine2 + "\n\n" + issLine1 + "\n" + issLine2 + "\n", []string{"A", ""}},
		{"trailing spaces", issLine1 + "   \n" + issLine2 + "\t\n", []string{""}},
		{"byte-order mark", "\ufeff" + issLine1 + "\n" + issLine2 + "\n", []string{""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tles, err := ParseTLEs(strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if len(tles) != len(c.names) {
				t.Fatalf("got %d sets, want %d", len(tles), len(c.names))
			}
			for i, n := range c.names {
				if tles[i].Name != n {
					t.Errorf("set %d name %q, want %q", i, tles[i].Name, n)
				}
			}
		})
	}
}

// replaceCol puts s at 1-based column col of line and fixes the checksum.
func replaceCol(line string, col int, s string) string {
	b := []byte(line)
	copy(b[col-1:], s)
	sum := 0
	for _, c := range b[:68] {
		switch {
		case c >= '0' && c <= '9':
			sum += int(c - '0')
		case c == '-':
			sum++
		}
	}
	b[68] = byte('0' + sum%10)
	return string(b)
}

func TestParseTLEErrors(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		wantErr  error
		wantLine int
		wantCol  int
		field    string
	}{
		{"bad checksum", issLine1[:68] + "8\n" + issLine2, ErrChecksum, 1, 69, "checksum"},
		{"missing checksum", issLine1[:68] + "\n" + issLine2, ErrChecksum, 1, 69, "checksum"},
		{"short line", issLine1[:40] + "\n" + issLine2, ErrFormat, 1, 41, ""},
		{"bad inclination", issLine1 + "\n" + replaceCol(issLine2, 9, " 51.x416"), ErrFormat, 2, 9, "inclination"},
		{"inclination range", issLine1 + "\n" + replaceCol(issLine2, 9, "251.6416"), ErrFormat, 2, 9, "inclination"},
		{"bad eccentricity", issLine1 + "\n" + replaceCol(issLine2, 27, "00-6703"), ErrFormat, 2, 29, "eccentricity"},
		{"bad bstar", issLine1[:0] + replaceCol(issLine1, 54, "-1160x-4") + "\n" + issLine2, ErrFormat, 1, 54, "bstar"},
		{"bad epoch day", replaceCol(issLine1, 21, "400.51782528") + "\n" + issLine2, ErrFormat, 1, 21, "epoch day"},
		{"satnum mismatch", issLine1 + "\n" + replaceCol(issLine2, 3, "25545"), ErrFormat, 2, 3, "satellite number"},
		{"zero mean motion", issLine1 + "\n" + replaceCol(issLine2, 53, " 0.00000000"), ErrFormat, 2, 53, "mean motion"},
		{"line 2 first", issLine2 + "\n" + issLine1, ErrFormat, 1, 1, "line number"},
		{"line 1 twice", issLine1 + "\n" + issLine1, ErrFormat, 2, 1, "line number"},
		{"dangling line 1", "\n\n" + issLine1 + "\n", ErrFormat, 3, 0, ""},
		{"dangling title", "ISS\n", ErrFormat, 1, 0, "title"},
		{"two titles", "A\nB\n" + issLine1 + "\n" + issLine2, ErrFormat, 1, 0, "title"},
		{"empty", "\n# nothing\n", ErrFormat, 2, 0, ""},
		{"classification", replaceCol(issLine1, 8, "X") + "\n" + issLine2, ErrFormat, 1, 8, "classification"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTLEs(strings.NewReader(c.text))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Line != c.wantLine || pe.Column != c.wantCol || pe.Field != c.field {
				t.Errorf("located at line %d column %d field %q, want %d/%d/%q (%v)",
					pe.Line, pe.Column, pe.Field, c.wantLine, c.wantCol, c.field, err)
			}
		})
	}
}

func TestAlpha5(t *testing.T) {
	l1 := replaceCol(issLine1, 3, "T0001")
	l2 := replaceCol(issLine2, 3, "T0001")
	tles, err := ParseTLEs(strings.NewReader(l1 + "\n" + l2))
	if err != nil {
		t.Fatal(err)
	}
	// T is the 18th letter; skipping I and O gives 10+17 = 27.
	if tles[0].SatNum != 270001 {
		t.Errorf("Alpha-5 T0001 decoded as %d, want 270001", tles[0].SatNum)
	}
}

// TestOMMMatchesTLE reads the same element sets as TLE, OMM JSON and OMM
// KVN and checks they propagate to the same place.
func TestOMMMatchesTLE(t *testing.T) {
	read := func(name string, parse func(*os.File) ([]TLE, error)) []TLE {
		f, err := os.Open("../../testdata/tle/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tles, err := parse(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return tles
	}
	ref := read("eo-sats.tle", func(f *os.File) ([]TLE, error) { return ParseTLEs(f) })
	for _, name := range []string{"eo-sats.json", "eo-sats.kvn"} {
		got := read(name, func(f *os.File) ([]TLE, error) { return ParseElements(f) })
		if len(got) != len(ref) {
			t.Fatalf("%s: %d sets, want %d", name, len(got), len(ref))
		}
		for i := range ref {
			a, b := ref[i], got[i]
			if a.Name != b.Name || a.SatNum != b.SatNum || !a.Epoch.Equal(b.Epoch) {
				t.Errorf("%s set %d: identity %q/%d/%v, want %q/%d/%v", name, i, b.Name, b.SatNum, b.Epoch, a.Name, a.SatNum, a.Epoch)
			}
			pa, _ := NewPropagator(a)
			pb, err := NewPropagator(b)
			if err != nil {
				t.Fatal(err)
			}
			at := a.Epoch.Add(36 * time.Hour)
			sa, _ := pa.Propagate(at)
			sb, _ := pb.Propagate(at)
			if d := sa.PositionKm.Sub(sb.PositionKm).Norm(); d > 1e-6 {
				t.Errorf("%s %s: %g km apart after 36 h", name, a.Name, d)
			}
		}
	}
}

func TestOMMErrors(t *testing.T) {
	good := `{"OBJECT_NAME":"X","EPOCH":"2026-11-20T12:00:00.000000","MEAN_MOTION":14.3,"ECCENTRICITY":0.001,"INCLINATION":98,"RA_OF_ASC_NODE":30,"ARG_OF_PERICENTER":90,"MEAN_ANOMALY":10,"NORAD_CAT_ID":1,"BSTAR":0.0001}`
	if _, err := ParseOMMJSON(strings.NewReader(good)); err != nil {
		t.Fatalf("single object: %v", err)
	}
	cases := []struct{ name, text, want string }{
		{"missing key", strings.Replace(good, `"BSTAR":0.0001`, `"X":1`, 1), "BSTAR missing"},
		{"bad epoch", strings.Replace(good, "2026-11-20T12", "2026-13-20T12", 1), "EPOCH"},
		{"eccentricity", strings.Replace(good, "0.001", "1.5", 1), "ECCENTRICITY"},
		{"not a number", strings.Replace(good, "14.3", `"fast"`, 1), "not a number"},
		{"empty array", `[]`, "no records"},
		{"garbage", `[{`, "OMM JSON"},
	}
	for _, c := range cases {
		t.Run("json "+c.name, func(t *testing.T) {
			_, err := ParseOMMJSON(strings.NewReader(c.text))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrFormat mentioning %q", err, c.want)
			}
		})
	}
	kvn := "CCSDS_OMM_VERS = 2.0\nOBJECT_NAME = X\nEPOCH = 2026-11-20T12:00:00\nMEAN_MOTION = 14.3 [rev/day]\nECCENTRICITY = 0.001\nINCLINATION = 98\nRA_OF_ASC_NODE = 30\nARG_OF_PERICENTER = 90\nMEAN_ANOMALY = 10\nNORAD_CAT_ID = 1\nBSTAR = 0.0001\n"
	if _, err := ParseOMMKVN(strings.NewReader(kvn)); err != nil {
		t.Fatalf("kvn: %v", err)
	}
	withMeta := strings.Replace(kvn, "OBJECT_NAME", "META_START\nOBJECT_NAME", 1)
	withMeta = strings.Replace(withMeta, "EPOCH", "META_STOP\nEPOCH", 1)
	if _, err := ParseOMMKVN(strings.NewReader(withMeta)); err != nil {
		t.Fatalf("kvn with META_START/META_STOP: %v", err)
	}
	kcases := []struct {
		name, text string
		line       int
	}{
		{"bad number", strings.Replace(kvn, "0.001", "0.0.1", 1), 5},
		{"no equals", strings.Replace(kvn, "INCLINATION = 98", "INCLINATION 98", 1), 6},
		{"before header", "OBJECT_NAME = X\n" + kvn, 1},
		{"missing key", strings.Replace(kvn, "BSTAR = 0.0001\n", "", 1), 1},
		{"fractional int", kvn + "REV_AT_EPOCH = 1.5\n", 12},
	}
	for _, c := range kcases {
		t.Run("kvn "+c.name, func(t *testing.T) {
			_, err := ParseOMMKVN(strings.NewReader(c.text))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != c.line {
				t.Fatalf("error %v, want a *ParseError at line %d", err, c.line)
			}
		})
	}
}
