package flight

import "github.com/skysieve/skysieve/downlink/bundle"

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
		slack := (size+symbolBytes-1)/symbolBytes*symbolBytes - size
		for j := i; j < len(c) && slack > bundle.MinMemberHeaderBytes && len(g) < bundle.MaxMembers; j++ {
			if taken[j] || c[j].bytes > slack || (c[j].class == 0 && first.class != 0) {
				continue
			}
			taken[j] = true
			g = append(g, j)
			slack -= c[j].bytes
		}
		groups = append(groups, g)
	}
	return groups, alone
}

// mixClass reports whether a detection of class next must not join a
// bundle that starts with class first: the most urgent class (0) keeps its
// bundles to itself, so a critical detection never waits for others' bytes;
// the classes after it may share, the bundle going at its first (most
// urgent) member's class.
func mixClass(first, next int) bool {
	return first != next && (first == 0 || next == 0)
}
