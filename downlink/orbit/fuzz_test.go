package orbit

import (
	"bytes"
	"testing"
)

func FuzzParseTLEs(f *testing.F) {
	f.Add([]byte(benchNearTLE))
	f.Add([]byte(benchDeepTLE))
	f.Add([]byte("0 X\n" + issLine1 + "\n" + issLine2 + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tles, err := ParseTLEsWith(bytes.NewReader(b), TLEOptions{IgnoreChecksum: true})
		if err != nil {
			return
		}
		// Whatever parses must initialise or fail cleanly, never panic.
		for _, tle := range tles {
			if p, err := NewPropagator(tle); err == nil {
				_, _ = p.PropagateMinutes(1440)
			}
		}
	})
}

func FuzzParseElements(f *testing.F) {
	f.Add([]byte(`[{"OBJECT_NAME":"X","EPOCH":"2026-11-20T12:00:00.000000","MEAN_MOTION":14.3,"ECCENTRICITY":0.001,"INCLINATION":98,"RA_OF_ASC_NODE":30,"ARG_OF_PERICENTER":90,"MEAN_ANOMALY":10,"NORAD_CAT_ID":1,"BSTAR":0.0001}]`))
	f.Add([]byte("CCSDS_OMM_VERS = 2.0\nEPOCH = 2026-11-20T12:00:00\nMEAN_MOTION = 2.0\nECCENTRICITY = 0.7\nINCLINATION = 63\nRA_OF_ASC_NODE = 30\nARG_OF_PERICENTER = 270\nMEAN_ANOMALY = 10\nNORAD_CAT_ID = 1\nBSTAR = 0.0001\n"))
	f.Add([]byte(benchNearTLE))
	f.Fuzz(func(t *testing.T, b []byte) {
		tles, err := ParseElements(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, tle := range tles {
			if p, err := NewPropagator(tle); err == nil {
				_, _ = p.PropagateMinutes(-2000)
				_, _ = p.PropagateMinutes(90000)
			}
		}
	})
}
