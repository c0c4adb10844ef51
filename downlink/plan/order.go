package plan

import (
	"math"
	"slices"
	"strings"
)

// MaxClass is the largest priority class an item may have.
const MaxClass = 255

// keyed is one plannable item with its sort key: class in the top byte,
// then value per byte descending, so ascending keys are planning order.
type keyed struct {
	key uint64
	idx int
}

// sortKey orders by class ascending, then density descending. Density is a
// non-negative float, whose bit pattern orders like its value; its top 56
// bits (relative precision 2⁻⁴⁵) are kept and inverted.
func sortKey(class int, density float64) uint64 {
	const low56 = 1<<56 - 1
	return uint64(class)<<56 | (^(math.Float64bits(density) >> 7) & low56)
}

// orderItems sorts by key with an LSD radix sort (one pass per byte that
// differs), then orders runs of equal keys by ID so the result does not
// depend on the queue's order.
func orderItems(ks []keyed, items []Item) []keyed {
	if len(ks) < 2 {
		return ks
	}
	buf := make([]keyed, len(ks))
	var diff uint64
	for _, k := range ks[1:] {
		diff |= k.key ^ ks[0].key
	}
	var count [256]int
	for shift := 0; shift < 64; shift += 8 {
		if (diff>>shift)&0xff == 0 {
			continue
		}
		count = [256]int{}
		for _, k := range ks {
			count[(k.key>>shift)&0xff]++
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, k := range ks {
			b := (k.key >> shift) & 0xff
			buf[count[b]] = k
			count[b]++
		}
		ks, buf = buf, ks
	}
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && ks[j].key == ks[i].key {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(ks[i:j], func(a, b keyed) int { return strings.Compare(items[a.idx].ID, items[b.idx].ID) })
		}
		i = j
	}
	return ks
}
