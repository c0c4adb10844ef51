package orbit

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// TLE is one set of mean elements in the SGP4 theory, whether it came from
// a two-line element set or from a CCSDS OMM. Angles are in degrees, mean
// motion in revolutions per day.
type TLE struct {
	// Name is the satellite name from the title line or OBJECT_NAME; may be
	// empty for bare two-line sets.
	Name string
	// SatNum is the NORAD catalogue number (Alpha-5 letters decoded).
	SatNum         int
	Classification byte
	// IntlDesignator is the COSPAR id as written ("98067A" in a TLE,
	// "1998-067A" in an OMM).
	IntlDesignator string
	Epoch          time.Time
	// MeanMotionDot is the first derivative of mean motion divided by two,
	// rev/day², and MeanMotionDDot the second divided by six, rev/day³, as
	// a TLE carries them. SGP4 does not use them.
	MeanMotionDot  float64
	MeanMotionDDot float64
	// BStar is the drag term in inverse Earth radii.
	BStar               float64
	EphemerisType       int
	ElementSetNo        int
	InclinationDeg      float64
	RAANDeg             float64
	Eccentricity        float64
	ArgPerigeeDeg       float64
	MeanAnomalyDeg      float64
	MeanMotionRevPerDay float64
	RevNumber           int
}

// label names the element set in messages.
func (t TLE) label() string {
	if t.Name != "" {
		return fmt.Sprintf("%s (%d)", t.Name, t.SatNum)
	}
	return fmt.Sprintf("NORAD %d", t.SatNum)
}

// DisplayName is Name, or "NORAD <number>" when the set has no name.
func (t TLE) DisplayName() string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("NORAD %d", t.SatNum)
}

// TLEOptions adjust ParseTLEsWith.
type TLEOptions struct {
	// Source names the input in errors (a file name, say).
	Source string
	// IgnoreChecksum accepts lines whose checksum digit is wrong or
	// missing (hand-edited sets such as the SGP4 verification cases).
	IgnoreChecksum bool
}

// maxLineBytes bounds one input line; element-set lines are 69 columns.
const maxLineBytes = 1024

// ParseTLEs reads one or more two-line element sets, each optionally
// preceded by a title line (with or without the "0 " prefix of the 3LE
// form). Blank lines and lines starting with '#' are skipped. Checksums are
// verified. Columns past 69 are ignored. Errors are *ParseError values
// naming the line and column.
func ParseTLEs(r io.Reader) ([]TLE, error) {
	return ParseTLEsWith(r, TLEOptions{})
}

// ParseTLEsWith is ParseTLEs with options.
func ParseTLEsWith(r io.Reader, opts TLEOptions) ([]TLE, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLineBytes)
	var (
		out     []TLE
		name    string
		hasName bool
		line1   string
		l1No    int
		lineNo  int
	)
	perr := func(line, col int, field, msg string) error {
		return &ParseError{Source: opts.Source, Line: line, Column: col, Field: field, Msg: msg, Err: ErrFormat}
	}
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		if lineNo == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff") // byte-order mark
		}
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		switch {
		case line1 != "":
			if !strings.HasPrefix(raw, "2 ") {
				return nil, perr(lineNo, 1, "line number", "expected line 2 of the element set started at line "+strconv.Itoa(l1No))
			}
			tle, err := parseTwoLines(line1, raw, l1No, lineNo, opts)
			if err != nil {
				return nil, err
			}
			if hasName {
				tle.Name = name
			}
			out = append(out, tle)
			line1, name, hasName = "", "", false
		case strings.HasPrefix(raw, "1 "):
			line1, l1No = raw, lineNo
		case strings.HasPrefix(raw, "2 "):
			return nil, perr(lineNo, 1, "line number", "line 2 without a preceding line 1")
		default:
			if hasName {
				return nil, perr(lineNo-1, 0, "title", "title line not followed by an element set")
			}
			name = strings.TrimSpace(strings.TrimPrefix(raw, "0 "))
			hasName = true
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, perr(lineNo+1, maxLineBytes, "", fmt.Sprintf("line longer than %d bytes", maxLineBytes))
		}
		return nil, fmt.Errorf("orbit: reading %s: %w", opts.Source, err)
	}
	if line1 != "" {
		return nil, perr(l1No, 0, "", "line 1 without line 2 at end of input")
	}
	if hasName {
		return nil, perr(lineNo, 0, "title", "title line not followed by an element set")
	}
	if len(out) == 0 {
		return nil, perr(lineNo, 0, "", "no element sets found")
	}
	return out, nil
}

// tleLine extracts fixed columns from one line and reports errors at them.
type tleLine struct {
	s    string
	no   int
	opts TLEOptions
}

func (l tleLine) fail(col int, field, msg string) error {
	return &ParseError{Source: l.opts.Source, Line: l.no, Column: col, Field: field, Msg: msg, Err: ErrFormat}
}

// cols returns columns from..to (1-based, inclusive).
func (l tleLine) cols(from, to int) string { return l.s[from-1 : to] }

func (l tleLine) float(from, to int, field string) (float64, error) {
	f := strings.TrimSpace(l.cols(from, to))
	v, err := strconv.ParseFloat(f, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, l.fail(from, field, fmt.Sprintf("%q is not a number", f))
	}
	return v, nil
}

func (l tleLine) int(from, to int, field string, blankOK bool) (int, error) {
	f := strings.TrimSpace(l.cols(from, to))
	if f == "" && blankOK {
		return 0, nil
	}
	v, err := strconv.Atoi(f)
	if err != nil || v < 0 {
		return 0, l.fail(from, field, fmt.Sprintf("%q is not a non-negative integer", f))
	}
	return v, nil
}

// rangedFloat parses a field and checks lo <= v <= hi.
func (l tleLine) rangedFloat(from, to int, field string, lo, hi float64) (float64, error) {
	v, err := l.float(from, to, field)
	if err != nil {
		return 0, err
	}
	if v < lo || v > hi {
		return 0, l.fail(from, field, fmt.Sprintf("%g outside [%g, %g]", v, lo, hi))
	}
	return v, nil
}

// expField parses the TLE "assumed decimal point" exponent notation, for
// example " 12345-4" = 0.12345e-4 and "-11606-4".
func (l tleLine) expField(from, to int, field string) (float64, error) {
	f := strings.TrimSpace(l.cols(from, to))
	bad := l.fail(from, field, fmt.Sprintf("%q is not in ±NNNNN±E form", f))
	if f == "" {
		return 0, bad
	}
	sign := 1.0
	if f[0] == '-' || f[0] == '+' {
		if f[0] == '-' {
			sign = -1
		}
		f = f[1:]
	}
	i := strings.LastIndexAny(f, "+-")
	if i <= 0 || i != len(f)-2 {
		return 0, bad
	}
	mant, exp := f[:i], f[i:]
	for _, c := range mant {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	e, err := strconv.Atoi(exp)
	if err != nil {
		return 0, bad
	}
	m, err := strconv.ParseFloat("0."+mant, 64)
	if err != nil {
		return 0, bad
	}
	return sign * m * math.Pow(10, float64(e)), nil
}

// satNum decodes a 5-column catalogue number, including Alpha-5 (A=10 ..
// Z=33 without I and O, then four digits).
func (l tleLine) satNum(from int) (int, error) {
	f := strings.TrimSpace(l.cols(from, from+4))
	bad := l.fail(from, "satellite number", fmt.Sprintf("%q is not a catalogue number", f))
	if f == "" {
		return 0, bad
	}
	lead := 0
	if c := f[0]; c >= 'A' && c <= 'Z' {
		if c == 'I' || c == 'O' || len(f) != 5 {
			return 0, bad
		}
		lead = int(c-'A') + 10
		if c > 'I' {
			lead--
		}
		if c > 'O' {
			lead--
		}
		f = f[1:]
	}
	n, err := strconv.Atoi(f)
	if err != nil || n < 0 {
		return 0, bad
	}
	return lead*10000 + n, nil
}

// checksum verifies column 69: the sum of the digits of columns 1-68, with
// each minus sign counting one, modulo 10.
func (l tleLine) checksum() error {
	if l.opts.IgnoreChecksum {
		return nil
	}
	if len(l.s) < 69 {
		return &ParseError{Source: l.opts.Source, Line: l.no, Column: 69, Field: "checksum", Msg: "checksum digit missing", Err: ErrChecksum}
	}
	sum := 0
	for i := 0; i < 68; i++ {
		c := l.s[i]
		switch {
		case c >= '0' && c <= '9':
			sum += int(c - '0')
		case c == '-':
			sum++
		}
	}
	want := l.s[68]
	if want < '0' || want > '9' || int(want-'0') != sum%10 {
		return &ParseError{Source: l.opts.Source, Line: l.no, Column: 69, Field: "checksum",
			Msg: fmt.Sprintf("checksum is %q, computed %d", want, sum%10), Err: ErrChecksum}
	}
	return nil
}

func parseTwoLines(s1, s2 string, no1, no2 int, opts TLEOptions) (TLE, error) {
	l1 := tleLine{s: s1, no: no1, opts: opts}
	l2 := tleLine{s: s2, no: no2, opts: opts}
	for _, l := range []tleLine{l1, l2} {
		if len(l.s) < 68 {
			return TLE{}, l.fail(len(l.s)+1, "", fmt.Sprintf("line has %d columns, need 69", len(l.s)))
		}
		for i := 0; i < 69 && i < len(l.s); i++ {
			if c := l.s[i]; c < ' ' || c > '~' {
				return TLE{}, l.fail(i+1, "", fmt.Sprintf("non-printable byte 0x%02x", c))
			}
		}
		if err := l.checksum(); err != nil {
			return TLE{}, err
		}
	}
	var t TLE
	var err error
	if t.SatNum, err = l1.satNum(3); err != nil {
		return TLE{}, err
	}
	t.Classification = l1.s[7]
	if c := t.Classification; c != 'U' && c != 'C' && c != 'S' && c != ' ' {
		return TLE{}, l1.fail(8, "classification", fmt.Sprintf("%q is not U, C or S", c))
	}
	t.IntlDesignator = strings.TrimSpace(l1.cols(10, 17))
	yy, err := l1.int(19, 20, "epoch year", false)
	if err != nil {
		return TLE{}, err
	}
	doy, err := l1.rangedFloat(21, 32, "epoch day", 1, 367)
	if err != nil {
		return TLE{}, err
	}
	year := 1900 + yy
	if yy < 57 {
		year = 2000 + yy
	}
	t.Epoch = epochFromDayOfYear(year, doy)
	if t.MeanMotionDot, err = l1.float(34, 43, "mean motion dot"); err != nil {
		return TLE{}, err
	}
	if t.MeanMotionDDot, err = l1.expField(45, 52, "mean motion ddot"); err != nil {
		return TLE{}, err
	}
	if t.BStar, err = l1.expField(54, 61, "bstar"); err != nil {
		return TLE{}, err
	}
	if t.EphemerisType, err = l1.int(63, 63, "ephemeris type", true); err != nil {
		return TLE{}, err
	}
	if t.ElementSetNo, err = l1.int(65, 68, "element set number", true); err != nil {
		return TLE{}, err
	}

	n2, err := l2.satNum(3)
	if err != nil {
		return TLE{}, err
	}
	if n2 != t.SatNum {
		return TLE{}, l2.fail(3, "satellite number", fmt.Sprintf("%d does not match line 1's %d", n2, t.SatNum))
	}
	if t.InclinationDeg, err = l2.rangedFloat(9, 16, "inclination", 0, 180); err != nil {
		return TLE{}, err
	}
	if t.RAANDeg, err = l2.rangedFloat(18, 25, "right ascension of node", 0, 360); err != nil {
		return TLE{}, err
	}
	ecc := l2.cols(27, 33)
	for i, c := range ecc {
		if c < '0' || c > '9' {
			return TLE{}, l2.fail(27+i, "eccentricity", fmt.Sprintf("%q is not seven digits", ecc))
		}
	}
	t.Eccentricity, _ = strconv.ParseFloat("0."+ecc, 64)
	if t.ArgPerigeeDeg, err = l2.rangedFloat(35, 42, "argument of perigee", 0, 360); err != nil {
		return TLE{}, err
	}
	if t.MeanAnomalyDeg, err = l2.rangedFloat(44, 51, "mean anomaly", 0, 360); err != nil {
		return TLE{}, err
	}
	if t.MeanMotionRevPerDay, err = l2.float(53, 63, "mean motion"); err != nil {
		return TLE{}, err
	}
	if !(t.MeanMotionRevPerDay > 0) {
		return TLE{}, l2.fail(53, "mean motion", fmt.Sprintf("%g rev/day is not positive", t.MeanMotionRevPerDay))
	}
	if t.RevNumber, err = l2.int(64, 68, "revolution number", true); err != nil {
		return TLE{}, err
	}
	return t, nil
}

// epochFromDayOfYear converts a TLE epoch (day 1.0 = 1 January 00:00 UTC)
// to a time, rounded to the microsecond.
func epochFromDayOfYear(year int, doy float64) time.Time {
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	us := math.Round((doy - 1) * 86400e6)
	return start.Add(time.Duration(us) * time.Microsecond)
}

// julianDate returns the Julian date (UTC taken as UT1) of t.
func julianDate(t time.Time) float64 {
	days := t.Unix() / 86400
	rem := t.Sub(time.Unix(days*86400, 0))
	return 2440587.5 + float64(days) + rem.Seconds()/86400
}
