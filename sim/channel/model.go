package channel

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/skysieve/skysieve/sim/passes"
	"github.com/skysieve/skysieve/sim/scenario"
)

// Fate is what the channel does to one frame.
type Fate struct {
	Lost bool
	// FlipBits are bit positions to invert (bit i is byte i/8, mask 0x80>>(i%8)).
	FlipBits []int
	// Duplicate delivers the frame twice.
	Duplicate bool
	// Delay holds the frame back (reordering it behind later frames).
	Delay time.Duration
}

// Model decides frame fates. It is not safe for concurrent use.
type Model struct {
	cfg scenario.Channel
	rng *rand.Rand
	bad bool
}

// NewModel returns a model seeded with seed, starting in the good state.
func NewModel(cfg scenario.Channel, seed uint64) *Model {
	return &Model{cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0xc4a7))}
}

// LossProbability is the frame-loss probability in the current state at
// the link state s, for a station whose mask is maskDeg.
func (m *Model) LossProbability(s passes.Sample, maskDeg float64) float64 {
	ge := m.cfg.LossGood
	if m.bad {
		ge = m.cfg.LossBad
	}
	horizon := m.cfg.HorizonLoss * math.Max(0, 1-(s.ElevationDeg-maskDeg)/m.cfg.HorizonFadeDeg)
	return 1 - (1-ge)*(1-math.Max(s.Loss, horizon))
}

// BER is the bit error rate at elevation s.ElevationDeg.
func (m *Model) BER(s passes.Sample, maskDeg float64) float64 {
	lo, hi := m.cfg.BERHorizon, m.cfg.BERZenith
	if lo <= 0 || hi <= 0 {
		return math.Max(lo, hi)
	}
	f := math.Max(0, math.Min(1, (s.ElevationDeg-maskDeg)/math.Max(1, 90-maskDeg)))
	return math.Exp(math.Log(lo) + (math.Log(hi)-math.Log(lo))*f)
}

// Downlink steps the burst state and returns the fate of one frame of
// frameBytes sent at link state s.
func (m *Model) Downlink(frameBytes int, s passes.Sample, maskDeg float64) Fate {
	if m.bad {
		if m.rng.Float64() < m.cfg.BadToGood {
			m.bad = false
		}
	} else if m.rng.Float64() < m.cfg.GoodToBad {
		m.bad = true
	}
	var f Fate
	if m.rng.Float64() < m.LossProbability(s, maskDeg) {
		f.Lost = true
		return f
	}
	bits := frameBytes * 8
	if ber := m.BER(s, maskDeg); ber > 0 && bits > 0 {
		// Gaps between bit errors are geometric with mean 1/ber.
		for pos := m.geometric(ber); pos < bits; pos += 1 + m.geometric(ber) {
			f.FlipBits = append(f.FlipBits, pos)
		}
	}
	f.Duplicate = m.rng.Float64() < m.cfg.Duplicate
	if m.rng.Float64() < m.cfg.Reorder {
		f.Delay = m.cfg.ReorderDelay
	}
	return f
}

func (m *Model) geometric(p float64) int {
	u := m.rng.Float64()
	if u == 0 {
		return math.MaxInt32
	}
	g := math.Floor(math.Log(u) / math.Log1p(-p))
	if g > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(g)
}

// Uplink reports whether an uplink report gets through.
func (m *Model) Uplink() bool { return m.rng.Float64() >= m.cfg.UplinkLoss }

// Apply returns a copy of frame with f's bit flips applied.
func Apply(frame []byte, f Fate) []byte {
	out := append([]byte(nil), frame...)
	for _, b := range f.FlipBits {
		if b/8 < len(out) {
			out[b/8] ^= 0x80 >> (b % 8)
		}
	}
	return out
}
