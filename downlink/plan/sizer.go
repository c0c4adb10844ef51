package plan

import "math"

// lossSteps quantises loss for memoisation; loss is rounded up, so parity
// is never sized for a better link than predicted.
const lossSteps = 4096

type sizeKey struct {
	need, unreported, lossQ int
}

// sizer finds the symbol count that completes an item with the target
// confidence, memoised because queues hold many items of the same shape.
type sizer struct {
	conf float64
	memo map[sizeKey]int
	// fresh caches items with nothing unreported and a small need, the
	// common case, by need for the last loss seen.
	freshLossQ int
	fresh      [freshNeeds]int32
}

// freshNeeds bounds the needs the fast cache covers.
const freshNeeds = 256

func newSizer(conf float64) *sizer {
	return &sizer{conf: conf, memo: make(map[sizeKey]int), freshLossQ: -1}
}

// symbols returns the smallest n ≥ 0 with
// P(Binomial(n+unreported, 1-loss) ≥ need) ≥ conf, and false when that
// takes more than maxParityFactor times need.
func (sz *sizer) symbols(need, unreported int, loss float64) (int, bool) {
	lossQ := int(math.Ceil(loss * lossSteps))
	if unreported == 0 && need < freshNeeds {
		if lossQ != sz.freshLossQ {
			sz.freshLossQ = lossQ
			sz.fresh = [freshNeeds]int32{}
		}
		// Stored as n+2: zero means unknown, one means it gives up.
		if sz.fresh[need] == 0 {
			sz.fresh[need] = int32(sz.solve(need, 0, float64(lossQ)/lossSteps) + 2)
		}
		n := int(sz.fresh[need]) - 2
		return n, n >= 0
	}
	key := sizeKey{need, unreported, lossQ}
	if n, ok := sz.memo[key]; ok {
		return n, n >= 0
	}
	n := sz.solve(need, unreported, float64(lossQ)/lossSteps)
	sz.memo[key] = n
	return n, n >= 0
}

func (sz *sizer) solve(need, unreported int, loss float64) int {
	if loss <= 0 {
		return max(need-unreported, 0)
	}
	q := 1 - loss
	if unreported >= need && tail(unreported, need, q) >= sz.conf {
		return 0
	}
	limit := maxParityFactor*need + unreported
	lo := max(need, unreported+1) // smallest total worth testing
	// A normal approximation with continuity correction lands within a
	// step or two of the answer; exact tails then settle it.
	z := math.Sqrt2 * math.Erfinv(2*sz.conf-1)
	sd := math.Sqrt(q * loss)
	x := (z*sd + math.Sqrt(z*z*q*loss+4*q*(float64(need)-0.5))) / (2 * q)
	t := min(max(int(math.Ceil(x*x)), lo), limit+1)
	if t <= limit && tail(t, need, q) >= sz.conf {
		for t > lo && tail(t-1, need, q) >= sz.conf {
			t--
		}
		return t - unreported
	}
	for t++; t <= limit; t++ {
		if tail(t, need, q) >= sz.conf {
			return t - unreported
		}
	}
	return -1
}

// tail is P(X ≥ k) for X ~ Binomial(n, q). It sums whichever side of the
// mean k falls on, starting from that side's largest term, in linear
// arithmetic after one log-gamma evaluation, so no term underflows before
// it is negligible.
func tail(n, k int, q float64) float64 {
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	if q >= 1 {
		return 1
	}
	p := 1 - q
	if float64(k) > float64(n)*q {
		// Upper side: terms fall from i = k upward.
		term := pmf(n, k, q)
		sum := term
		for i := k; i < n; i++ {
			term *= float64(n-i) / float64(i+1) * q / p
			sum += term
			if term < sum*1e-17 {
				break
			}
		}
		return min(1, sum)
	}
	// Lower side: P(X ≤ k-1), terms fall from i = k-1 downward.
	term := pmf(n, k-1, q)
	cdf := term
	for i := k - 1; i > 0; i-- {
		term *= float64(i) / float64(n-i+1) * p / q
		cdf += term
		if term < cdf*1e-17 {
			break
		}
	}
	return max(0, 1-cdf)
}

// pmf is P(X = i) for X ~ Binomial(n, q), 0 < q < 1.
func pmf(n, i int, q float64) float64 {
	ln, _ := math.Lgamma(float64(n + 1))
	li, _ := math.Lgamma(float64(i + 1))
	lni, _ := math.Lgamma(float64(n - i + 1))
	return math.Exp(ln - li - lni + float64(i)*math.Log(q) + float64(n-i)*math.Log1p(-q))
}
