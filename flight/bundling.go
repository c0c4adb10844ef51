package flight

import (
	"math"
	"slices"

	"github.com/skysieve/skysieve/downlink/bundle"
)

// bundleCand is a detection as packBundles sees it: its encoded size in a
// bundle and its priority class.
type bundleCand struct{ bytes, class int }

// packBundles groups candidates, given in queue order (class, then value),
// into bundles, and returns each bundle's candidate indices and the indices
// of candidates too big for any bundle. A bundle is a run of consecutive
// candidates whose encoding (bundle.HeaderBytes plus their sizes) stays
// within capBytes, critical ones apart (see mixClass); then later
// candidates that fit in the padding of its last symbol of symbolBytes
// ride along for free, never a critical one on a bundle that is not
// critical. Every index appears exactly once. The algorithm is pure.
func packBundles(c []bundleCand, capBytes, symbolBytes int) (groups [][]int, alone []int) {
	taken := make([]bool, len(c))
	for i := 0; i < len(c); {
		if taken[i] {
			i++
			continue
		}
		first := c[i]
		if bundle.HeaderBytes+first.bytes > capBytes {
			taken[i] = true
			alone = append(alone, i)
			i++
			continue
		}
		start := i
		var g []int
		size := bundle.HeaderBytes
		for ; i < len(c); i++ {
			if taken[i] {
				continue
			}
			if mixClass(first.class, c[i].class) || size+c[i].bytes > capBytes || len(g) == bundle.MaxMembers {
				break
			}
			taken[i] = true
			g = append(g, i)
			size += c[i].bytes
		}
		// Close the bundle where its last symbol ends up fullest: keep the
		// whole run or give back up to maxTrim of its last members, then
		// fill the padding with free riders, whichever leaves the least.
		best, bestSlack := 0, math.MaxInt
		for t := 0; t <= min(maxTrim, len(g)-1); t++ {
			if sl, _ := fillSlack(c, taken, g, t, first.class, size, symbolBytes, false); sl < bestSlack {
				best, bestSlack = t, sl
			}
		}
		_, g = fillSlack(c, taken, g, best, first.class, size, symbolBytes, true)
		groups = append(groups, g)
		i = start // members given back are free again

	}
	return groups, alone
}

// maxTrim is how many members at the end of a run packBundles may give
// back to fill the last symbol better; freeRiderWindow bounds how far past
// the run it looks for free riders.
const (
	maxTrim         = 3
	freeRiderWindow = 256
)

// fillSlack takes back the last trim members of run g (of total encoded
// size) and fills the padding of the last symbol with later candidates
// that fit (never a critical one on a bundle that is not critical), in
// queue order, looking at most freeRiderWindow candidates past the run. It
// returns the padding left and the bundle; only if apply is set does it
// change taken (and the run's trimmed members become free again).
func fillSlack(c []bundleCand, taken []bool, g []int, trim, class, size, symbolBytes int, apply bool) (int, []int) {
	run := g[:len(g)-trim]
	for _, i := range g[len(run):] {
		size -= c[i].bytes
	}
	out := run
	if apply {
		for _, i := range g[len(run):] {
			taken[i] = false
		}
		out = append([]int(nil), run...)
	}
	slack := (size+symbolBytes-1)/symbolBytes*symbolBytes - size
	free := func(j int) bool {
		if apply || !slices.Contains(g, j) {
			return !taken[j]
		}
		return j > run[len(run)-1] // a member trimmed in this trial
	}
	seen := 0
	for j := run[len(run)-1] + 1; j < len(c) && seen < freeRiderWindow && slack > bundle.MinMemberHeaderBytes && len(out) < bundle.MaxMembers; j++ {
		if !free(j) {
			continue
		}
		seen++
		if c[j].bytes > slack || (c[j].class == 0 && class != 0) {
			continue
		}
		if apply {
			taken[j] = true
			out = append(out, j)
		} else {
			out = out[:len(out):len(out)]
		}
		slack -= c[j].bytes
	}
	return slack, out
}

// mixClass reports whether a detection of class next must not join a
// bundle that starts with class first: the most urgent class (0) keeps its
// bundles to itself, so a critical detection never waits for others' bytes;
// the classes after it may share, the bundle going at its first (most
// urgent) member's class.
func mixClass(first, next int) bool {
	return first != next && (first == 0 || next == 0)
}
