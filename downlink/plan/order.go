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

// sortKey orders by class ascending, then density descending: the class
// in bits 32..39 above the inverted bits of the density as a float32 (a
// non-negative float's bit pattern orders like its value). Densities equal
// to float32 precision (2⁻²⁴ relative) tie and are ordered by ID.
func sortKey(class int, density float64) uint64 {
	return uint64(class)<<32 | uint64(^math.Float32bits(float32(density)))
}

// radixBits is the digit width of the radix sort: four passes cover the
// 40-bit keys, and 2048 counters stay in L1 cache.
const radixBits = 11

// orderItems sorts by key with an LSD radix sort (one pass per digit that
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
	const mask = 1<<radixBits - 1
	var count [1 << radixBits]int
	for shift := 0; shift < 40; shift += radixBits {
		if (diff>>shift)&mask == 0 {
			continue
		}
		count = [1 << radixBits]int{}
		for _, k := range ks {
			count[(k.key>>shift)&mask]++
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for _, k := range ks {
			b := (k.key >> shift) & mask
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
