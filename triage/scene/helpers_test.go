package scene

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testScene returns a deterministic scene with varied reflectance.
func testScene(t testing.TB, w, h int, seed uint64) *Scene {
	t.Helper()
	g, err := UTMGeo(-34.87, -7.99, 30, w, h)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &Scene{
		ID:          "scene-0001",
		Satellite:   "SKY-1",
		CaptureTime: time.Date(2026, 11, 22, 10, 30, 0, 123456789, time.UTC),
		Width:       w,
		Height:      h,
		Bands:       append([]string(nil), DefaultBands...),
		Geo:         g,
	}
	for range s.Bands {
		p := make([]float32, w*h)
		for i := range p {
			p[i] = float32(rng.IntN(12000)) / ReflectanceScale
		}
		s.Data = append(s.Data, p)
	}
	return s
}

// landsatPath finds .cache/landsat/L7_ETMs.tif above the package, or skips.
func landsatPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, ".cache", "landsat", "L7_ETMs.tif")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip("L7_ETMs.tif not found under the module's .cache/landsat: run `make landsat`")
	return ""
}
