package contact

import (
	"math"
)

// LinkModel is a station's downlink budget: how many bits per second a
// pass at a given elevation and slant range carries, and what fraction of
// frames it is expected to lose. All fields are set (defaults filled in by
// DefaultLinkModel and LoadStations).
type LinkModel struct {
	// FrequencyHz is the downlink carrier (X band by default).
	FrequencyHz float64
	// EIRPdBW is the satellite's radiated power toward the station.
	EIRPdBW float64
	// GTdBPerK is the station's figure of merit G/T.
	GTdBPerK float64
	// SymbolRateBaud is the modem's symbol rate; the MODCOD sets bits per
	// symbol.
	SymbolRateBaud float64
	// ZenithAttenuationDB is atmospheric loss at zenith; it grows with
	// the air mass, about 1/sin(elevation), toward the horizon.
	ZenithAttenuationDB float64
	// MarginDB is the margin kept above a MODCOD's threshold before it is
	// chosen (implementation loss, pointing, rain).
	MarginDB float64
	// LossFloor is the frame loss fraction high in the sky.
	LossFloor float64
	// LossAtMask is the extra frame loss fraction at the elevation mask
	// (multipath, obstructions, scintillation); it decays exponentially
	// with LossScaleDeg above the mask.
	LossAtMask   float64
	LossScaleDeg float64
}

// DefaultLinkModel is an X-band link of a small EO satellite into a
// 7-metre-class station: about 400 Mbit/s near zenith, 100–200 Mbit/s near
// a 5° horizon.
func DefaultLinkModel() LinkModel {
	return LinkModel{
		FrequencyHz:         8.2e9,
		EIRPdBW:             8,
		GTdBPerK:            32,
		SymbolRateBaud:      100e6,
		ZenithAttenuationDB: 0.25,
		MarginDB:            3,
		LossFloor:           0.002,
		LossAtMask:          0.15,
		LossScaleDeg:        4,
	}
}

// ModCod is one modulation and coding step: usable when Es/N0 (minus the
// margin) reaches EsN0dB, carrying BitsPerSymbol information bits.
type ModCod struct {
	Name          string
	EsN0dB        float64
	BitsPerSymbol float64
}

// ModCods is the rate table, ascending: DVB-S2 normal-frame thresholds
// (ETSI EN 302 307, quasi-error-free, ideal) and spectral efficiencies.
var ModCods = []ModCod{
	{"QPSK 1/4", -2.35, 0.490},
	{"QPSK 1/3", -1.24, 0.656},
	{"QPSK 2/5", -0.30, 0.789},
	{"QPSK 1/2", 1.00, 0.988},
	{"QPSK 3/5", 2.23, 1.188},
	{"QPSK 2/3", 3.10, 1.322},
	{"QPSK 3/4", 4.03, 1.487},
	{"QPSK 4/5", 4.68, 1.587},
	{"QPSK 5/6", 5.18, 1.655},
	{"8PSK 3/5", 5.50, 1.779},
	{"8PSK 2/3", 6.62, 1.980},
	{"8PSK 3/4", 7.91, 2.228},
	{"8PSK 5/6", 9.35, 2.479},
	{"16APSK 3/4", 10.21, 2.967},
	{"16APSK 4/5", 11.03, 3.166},
	{"16APSK 5/6", 11.61, 3.300},
	{"32APSK 3/4", 12.73, 3.703},
	{"32APSK 4/5", 13.64, 3.951},
}

// LinkState is the link at one instant.
type LinkState struct {
	EsN0dB         float64
	ModCod         string // "" when no MODCOD closes
	RateBitsPerSec float64
	// Loss is the expected fraction of frames lost, in [0, 1]; 1 when no
	// MODCOD closes.
	Loss float64
}

const boltzmannDBW = -228.6 // 10·log10(k), dBW/(K·Hz)

// Evaluate returns the link at elevationDeg and slant range rangeKm, for a
// station whose elevation mask is maskDeg. Pure and deterministic: rate is
// the fastest MODCOD whose threshold plus MarginDB the Es/N0 reaches, and
// loss is LossFloor + LossAtMask·exp(-(el-mask)/LossScaleDeg), capped to 1.
func (m LinkModel) Evaluate(elevationDeg, rangeKm, maskDeg float64) LinkState {
	const speedOfLightMPerS = 299792458.0
	rangeM := math.Max(rangeKm, 1) * 1e3
	fsplDB := 20 * math.Log10(4*math.Pi*rangeM*m.FrequencyHz/speedOfLightMPerS)
	// Air mass through a spherical shell of scale height 6 km: 1/sin(el)
	// high up, finite (about 23) at the horizon.
	const shellRatio = 6.0 / 6371.0
	sinEl := math.Sin(math.Max(elevationDeg, 0) * math.Pi / 180)
	atmDB := m.ZenithAttenuationDB / math.Sqrt(sinEl*sinEl+2*shellRatio+shellRatio*shellRatio)
	cn0 := m.EIRPdBW - fsplDB - atmDB + m.GTdBPerK - boltzmannDBW
	esn0 := cn0 - 10*math.Log10(m.SymbolRateBaud)
	st := LinkState{EsN0dB: esn0, Loss: 1}
	for i := len(ModCods) - 1; i >= 0; i-- {
		mc := ModCods[i]
		if esn0-m.MarginDB >= mc.EsN0dB {
			st.ModCod = mc.Name
			st.RateBitsPerSec = mc.BitsPerSymbol * m.SymbolRateBaud
			above := math.Max(elevationDeg-maskDeg, 0)
			st.Loss = math.Min(1, m.LossFloor+m.LossAtMask*math.Exp(-above/m.LossScaleDeg))
			break
		}
	}
	return st
}
