package orbit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxOMMBytes bounds an OMM document (CelesTrak's largest groups are a few
// MB).
const maxOMMBytes = 64 << 20

// ommFields is the SGP4 subset of a CCSDS OMM (502.0-B-3) as CelesTrak
// serves it: keyword names in JSON and KVN alike.
type ommFields struct {
	ObjectName     string
	ObjectID       string
	Epoch          string
	MeanMotion     *float64
	Eccentricity   *float64
	Inclination    *float64
	RAAN           *float64
	ArgPericenter  *float64
	MeanAnomaly    *float64
	EphemerisType  int
	Classification string
	NoradCatID     *float64
	ElementSetNo   int
	RevAtEpoch     int
	BStar          *float64
	MeanMotionDot  float64
	MeanMotionDDot float64
}

// ommNumber accepts a JSON number or a numeric string (Space-Track quotes
// its numbers, CelesTrak does not).
type ommNumber float64

func (n *ommNumber) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return fmt.Errorf("null is not a number")
	}
	if strings.HasPrefix(s, `"`) {
		var q string
		if err := json.Unmarshal(b, &q); err != nil {
			return err
		}
		s = strings.TrimSpace(q)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("%s is not a number", s)
	}
	*n = ommNumber(v)
	return nil
}

type ommJSON struct {
	ObjectName     string     `json:"OBJECT_NAME"`
	ObjectID       string     `json:"OBJECT_ID"`
	Epoch          string     `json:"EPOCH"`
	MeanMotion     *ommNumber `json:"MEAN_MOTION"`
	Eccentricity   *ommNumber `json:"ECCENTRICITY"`
	Inclination    *ommNumber `json:"INCLINATION"`
	RAAN           *ommNumber `json:"RA_OF_ASC_NODE"`
	ArgPericenter  *ommNumber `json:"ARG_OF_PERICENTER"`
	MeanAnomaly    *ommNumber `json:"MEAN_ANOMALY"`
	EphemerisType  *ommNumber `json:"EPHEMERIS_TYPE"`
	Classification string     `json:"CLASSIFICATION_TYPE"`
	NoradCatID     *ommNumber `json:"NORAD_CAT_ID"`
	ElementSetNo   *ommNumber `json:"ELEMENT_SET_NO"`
	RevAtEpoch     *ommNumber `json:"REV_AT_EPOCH"`
	BStar          *ommNumber `json:"BSTAR"`
	MeanMotionDot  *ommNumber `json:"MEAN_MOTION_DOT"`
	MeanMotionDDot *ommNumber `json:"MEAN_MOTION_DDOT"`
}

func optF(n *ommNumber) *float64 {
	if n == nil {
		return nil
	}
	v := float64(*n)
	return &v
}

func optI(n *ommNumber) int {
	if n == nil {
		return 0
	}
	return int(*n)
}

// ParseOMMJSON reads CCSDS OMM records in JSON: an array of objects (as
// CelesTrak's FORMAT=json serves) or a single object. Unknown keys are
// ignored (CelesTrak adds its own); missing SGP4 keys are errors naming
// the record and key.
func ParseOMMJSON(r io.Reader) ([]TLE, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxOMMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("orbit: reading OMM: %w", err)
	}
	if len(b) > maxOMMBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("OMM document exceeds %d bytes", maxOMMBytes), Err: ErrFormat}
	}
	b = bytes.TrimSpace(b)
	var recs []ommJSON
	if len(b) > 0 && b[0] == '{' {
		var one ommJSON
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, &ParseError{Msg: "OMM JSON: " + err.Error(), Err: ErrFormat}
		}
		recs = []ommJSON{one}
	} else if err := json.Unmarshal(b, &recs); err != nil {
		return nil, &ParseError{Msg: "OMM JSON: " + err.Error(), Err: ErrFormat}
	}
	if len(recs) == 0 {
		return nil, &ParseError{Msg: "OMM JSON holds no records", Err: ErrFormat}
	}
	out := make([]TLE, 0, len(recs))
	for i, j := range recs {
		f := ommFields{
			ObjectName: j.ObjectName, ObjectID: j.ObjectID, Epoch: j.Epoch,
			MeanMotion: optF(j.MeanMotion), Eccentricity: optF(j.Eccentricity),
			Inclination: optF(j.Inclination), RAAN: optF(j.RAAN),
			ArgPericenter: optF(j.ArgPericenter), MeanAnomaly: optF(j.MeanAnomaly),
			EphemerisType: optI(j.EphemerisType), Classification: j.Classification,
			NoradCatID: optF(j.NoradCatID), ElementSetNo: optI(j.ElementSetNo),
			RevAtEpoch: optI(j.RevAtEpoch), BStar: optF(j.BStar),
		}
		if j.MeanMotionDot != nil {
			f.MeanMotionDot = float64(*j.MeanMotionDot)
		}
		if j.MeanMotionDDot != nil {
			f.MeanMotionDDot = float64(*j.MeanMotionDDot)
		}
		t, err := f.tle()
		if err != nil {
			return nil, &ParseError{Msg: fmt.Sprintf("OMM record %d: %v", i+1, err), Err: ErrFormat}
		}
		out = append(out, t)
	}
	return out, nil
}

// ParseOMMKVN reads one or more CCSDS OMMs in keyword = value notation,
// each starting with CCSDS_OMM_VERS. COMMENT lines, blank lines, block
// markers (META_START, META_STOP), units in brackets ("15.5 [rev/day]")
// and keys SGP4 does not need are skipped.
// Errors name the line.
func ParseOMMKVN(r io.Reader) ([]TLE, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLineBytes)
	var out []TLE
	var cur *ommFields
	var curLine, lineNo int
	flush := func() error {
		if cur == nil {
			return nil
		}
		t, err := cur.tle()
		if err != nil {
			return &ParseError{Line: curLine, Msg: "OMM starting here: " + err.Error(), Err: ErrFormat}
		}
		out = append(out, t)
		cur = nil
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "COMMENT") ||
			(!strings.Contains(line, "=") && (strings.HasSuffix(line, "_START") || strings.HasSuffix(line, "_STOP"))) {
			// Comments and the META_START/META_STOP-style block markers.
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &ParseError{Line: lineNo, Column: 1, Msg: fmt.Sprintf("%q is not KEY = value", line), Err: ErrFormat}
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		if i := strings.Index(val, "["); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		if key == "CCSDS_OMM_VERS" {
			if err := flush(); err != nil {
				return nil, err
			}
			cur, curLine = &ommFields{}, lineNo
			continue
		}
		if cur == nil {
			return nil, &ParseError{Line: lineNo, Column: 1, Field: key, Msg: "keyword before CCSDS_OMM_VERS", Err: ErrFormat}
		}
		col := strings.Index(sc.Text(), "=") + 2
		num := func() (*float64, error) {
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, &ParseError{Line: lineNo, Column: col, Field: key, Msg: fmt.Sprintf("%q is not a number", val), Err: ErrFormat}
			}
			return &v, nil
		}
		var dst **float64
		var idst *int
		var fdst *float64
		switch key {
		case "OBJECT_NAME":
			cur.ObjectName = val
		case "OBJECT_ID":
			cur.ObjectID = val
		case "EPOCH":
			cur.Epoch = val
		case "CLASSIFICATION_TYPE":
			cur.Classification = val
		case "MEAN_MOTION":
			dst = &cur.MeanMotion
		case "ECCENTRICITY":
			dst = &cur.Eccentricity
		case "INCLINATION":
			dst = &cur.Inclination
		case "RA_OF_ASC_NODE":
			dst = &cur.RAAN
		case "ARG_OF_PERICENTER":
			dst = &cur.ArgPericenter
		case "MEAN_ANOMALY":
			dst = &cur.MeanAnomaly
		case "NORAD_CAT_ID":
			dst = &cur.NoradCatID
		case "BSTAR":
			dst = &cur.BStar
		case "EPHEMERIS_TYPE":
			idst = &cur.EphemerisType
		case "ELEMENT_SET_NO":
			idst = &cur.ElementSetNo
		case "REV_AT_EPOCH":
			idst = &cur.RevAtEpoch
		case "MEAN_MOTION_DOT":
			fdst = &cur.MeanMotionDot
		case "MEAN_MOTION_DDOT":
			fdst = &cur.MeanMotionDDot
		}
		if dst != nil || idst != nil || fdst != nil {
			v, err := num()
			if err != nil {
				return nil, err
			}
			switch {
			case dst != nil:
				*dst = v
			case idst != nil:
				if *v != math.Trunc(*v) || math.Abs(*v) > 1e9 {
					return nil, &ParseError{Line: lineNo, Column: col, Field: key, Msg: fmt.Sprintf("%q is not an integer", val), Err: ErrFormat}
				}
				*idst = int(*v)
			default:
				*fdst = *v
			}
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, &ParseError{Line: lineNo + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxLineBytes), Err: ErrFormat}
		}
		return nil, fmt.Errorf("orbit: reading OMM: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &ParseError{Line: lineNo, Msg: "no CCSDS_OMM_VERS record found", Err: ErrFormat}
	}
	return out, nil
}

// ommEpochLayouts are the forms CelesTrak and Space-Track write.
var ommEpochLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

func (f *ommFields) tle() (TLE, error) {
	need := []struct {
		key string
		v   *float64
	}{
		{"MEAN_MOTION", f.MeanMotion}, {"ECCENTRICITY", f.Eccentricity},
		{"INCLINATION", f.Inclination}, {"RA_OF_ASC_NODE", f.RAAN},
		{"ARG_OF_PERICENTER", f.ArgPericenter}, {"MEAN_ANOMALY", f.MeanAnomaly},
		{"NORAD_CAT_ID", f.NoradCatID}, {"BSTAR", f.BStar},
	}
	for _, n := range need {
		if n.v == nil {
			return TLE{}, fmt.Errorf("%s missing", n.key)
		}
	}
	if f.Epoch == "" {
		return TLE{}, fmt.Errorf("EPOCH missing")
	}
	var epoch time.Time
	var err error
	for _, l := range ommEpochLayouts {
		if epoch, err = time.Parse(l, f.Epoch); err == nil {
			break
		}
	}
	if err != nil {
		return TLE{}, fmt.Errorf("EPOCH %q is not an ISO 8601 date-time", f.Epoch)
	}
	t := TLE{
		Name: f.ObjectName, IntlDesignator: f.ObjectID, Epoch: epoch.UTC(),
		MeanMotionRevPerDay: *f.MeanMotion, Eccentricity: *f.Eccentricity,
		InclinationDeg: *f.Inclination, RAANDeg: *f.RAAN,
		ArgPerigeeDeg: *f.ArgPericenter, MeanAnomalyDeg: *f.MeanAnomaly,
		EphemerisType: f.EphemerisType, ElementSetNo: f.ElementSetNo, RevNumber: f.RevAtEpoch,
		BStar: *f.BStar, MeanMotionDot: f.MeanMotionDot, MeanMotionDDot: f.MeanMotionDDot,
		Classification: 'U',
	}
	if c := f.Classification; c != "" {
		t.Classification = c[0]
	}
	if n := *f.NoradCatID; n < 0 || n > 999999999 || n != math.Trunc(n) {
		return TLE{}, fmt.Errorf("NORAD_CAT_ID %g is not a catalogue number", n)
	}
	t.SatNum = int(*f.NoradCatID)
	if err := t.checkRanges(); err != nil {
		return TLE{}, err
	}
	return t, nil
}

// checkRanges validates elements that did not come through the fixed
// columns of a TLE.
func (t TLE) checkRanges() error {
	checks := []struct {
		key    string
		v      float64
		lo, hi float64
	}{
		{"INCLINATION", t.InclinationDeg, 0, 180},
		{"RA_OF_ASC_NODE", t.RAANDeg, -360, 360},
		{"ECCENTRICITY", t.Eccentricity, 0, 0.9999999},
		{"ARG_OF_PERICENTER", t.ArgPerigeeDeg, -360, 360},
		{"MEAN_ANOMALY", t.MeanAnomalyDeg, -360, 360},
		{"MEAN_MOTION", t.MeanMotionRevPerDay, 1e-6, 100},
		{"BSTAR", t.BStar, -10, 10},
	}
	for _, c := range checks {
		if !(c.v >= c.lo && c.v <= c.hi) {
			return fmt.Errorf("%s %g outside [%g, %g]", c.key, c.v, c.lo, c.hi)
		}
	}
	return nil
}

// ParseElements reads element sets in any supported format, detected from
// the content: OMM JSON (starts with '[' or '{'), OMM KVN (has
// CCSDS_OMM_VERS) or TLE text.
func ParseElements(r io.Reader) ([]TLE, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxOMMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("orbit: reading elements: %w", err)
	}
	if len(b) > maxOMMBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("element file exceeds %d bytes", maxOMMBytes), Err: ErrFormat}
	}
	trim := bytes.TrimSpace(b)
	switch {
	case len(trim) > 0 && (trim[0] == '[' || trim[0] == '{'):
		return ParseOMMJSON(bytes.NewReader(trim))
	case bytes.Contains(b, []byte("CCSDS_OMM_VERS")):
		return ParseOMMKVN(bytes.NewReader(b))
	default:
		return ParseTLEs(bytes.NewReader(b))
	}
}
