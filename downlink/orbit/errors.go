package orbit

import (
	"errors"
	"fmt"
	"strings"
)

// Named errors. Parse errors wrap ErrFormat or ErrChecksum inside a
// *ParseError; propagation errors wrap one of the SGP4 reference's error
// conditions inside a *PropagationError.
var (
	// ErrFormat: an element set is malformed (wrong length, a field that
	// is not a number, a value out of range).
	ErrFormat = errors.New("malformed element set")
	// ErrChecksum: a TLE line's modulo-10 checksum does not match.
	ErrChecksum = errors.New("TLE checksum mismatch")

	// ErrEccentricity is reference error 1: mean eccentricity left [0, 1).
	ErrEccentricity = errors.New("mean eccentricity out of range (sgp4 error 1)")
	// ErrMeanMotion is reference error 2: mean motion is not positive.
	ErrMeanMotion = errors.New("mean motion not positive (sgp4 error 2)")
	// ErrPerturbedEccentricity is reference error 3: the eccentricity with
	// lunar-solar periodics applied left [0, 1].
	ErrPerturbedEccentricity = errors.New("perturbed eccentricity out of range (sgp4 error 3)")
	// ErrSemiLatusRectum is reference error 4: semi-latus rectum below zero.
	ErrSemiLatusRectum = errors.New("semi-latus rectum negative (sgp4 error 4)")
	// ErrDecayed is reference error 6: the orbit radius is below one Earth
	// radius, the satellite has decayed.
	ErrDecayed = errors.New("satellite decayed (sgp4 error 6)")

	// ErrTimeRange is not a reference code: the requested time is NaN or
	// more than MaxTsinceMin from epoch, where the deep-space integrator
	// would run for unbounded time and SGP4 has long lost all meaning.
	ErrTimeRange = errors.New("time too far from epoch")
	// ErrNotFinite is not a reference code: elements the reference accepts
	// but that drive the model to NaN or infinity (absurd mean motion or
	// drag) are reported instead of returning a non-finite state.
	ErrNotFinite = errors.New("propagation produced a non-finite state")
)

// ParseError locates a problem in an element-set input. Line and Column are
// 1-based; Column is 0 when the problem concerns the whole line.
type ParseError struct {
	Source string // input name, may be empty
	Line   int
	Column int
	Field  string // name of the field, may be empty
	Msg    string
	Err    error // ErrFormat or ErrChecksum
}

func (e *ParseError) Error() string {
	loc := ""
	if e.Line > 0 {
		loc = fmt.Sprintf("line %d", e.Line)
	}
	if e.Source != "" {
		loc = e.Source
		if e.Line > 0 {
			loc += ":" + fmt.Sprint(e.Line)
		}
	}
	if e.Column > 0 {
		loc += fmt.Sprintf(" column %d", e.Column)
	}
	if e.Field != "" {
		loc += " (" + e.Field + ")"
	}
	if loc == "" {
		return "orbit: " + e.Msg
	}
	return "orbit: " + strings.TrimSpace(loc) + ": " + e.Msg
}

// Unwrap returns ErrFormat or ErrChecksum.
func (e *ParseError) Unwrap() error { return e.Err }

// PropagationError reports that SGP4 cannot produce a state. Code is the
// reference implementation's error code (1, 2, 3, 4 or 6), or 0 for
// ErrTimeRange and ErrNotFinite.
type PropagationError struct {
	Code      int
	TsinceMin float64
	err       error
}

func (e *PropagationError) Error() string {
	return fmt.Sprintf("%v at %.6f min from epoch", e.err, e.TsinceMin)
}

// Unwrap returns the named error for Code.
func (e *PropagationError) Unwrap() error { return e.err }
