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
