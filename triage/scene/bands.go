package scene

import (
	"fmt"
	"slices"
	"strings"
)

// RequireBands checks that s has exactly the named bands in that order,
// as a model's contract demands, and otherwise fails with ErrBands naming
// the missing, extra or misordered bands.
func (s *Scene) RequireBands(names ...string) error {
	if slices.Equal(s.Bands, names) {
		return nil
	}
	var missing, extra []string
	for _, n := range names {
		if !slices.Contains(s.Bands, n) {
			missing = append(missing, n)
		}
	}
	for _, b := range s.Bands {
		if !slices.Contains(names, b) {
			extra = append(extra, b)
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+strings.Join(extra, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "same bands in another order")
	}
	return fmt.Errorf("%w: scene %q has [%s], want [%s]: %s", ErrBands, s.ID,
		strings.Join(s.Bands, " "), strings.Join(names, " "), strings.Join(parts, "; "))
}

// checkRequired fails with ErrBands naming the first of required missing
// from have (WithRequiredBands), before any pixel is decoded.
func checkRequired(have, required []string) error {
	for _, r := range required {
		if !slices.Contains(have, r) {
			return fmt.Errorf("%w: the file's bands are [%s], the required band %s is missing", ErrBands, strings.Join(have, " "), r)
		}
	}
	return nil
}

// overBudget is the ErrTooLarge of a read whose cost, computed from the
// header, passes WithMaxBytes; parts names what the bytes are for.
func overBudget(what string, costBytes, budgetBytes int64, parts string) error {
	return fmt.Errorf("%w: %s needs %s to read (%s), over the memory budget of %s (WithMaxBytes)",
		ErrTooLarge, what, sizeText(costBytes), parts, sizeText(budgetBytes))
}

// sizeText is n bytes in MiB (or bytes when small), for error messages.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
