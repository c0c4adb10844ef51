package scene

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenSniffs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tif := write("x.tif", buildTIFF(defaultSpec(10, 10, 6, 16, 1)))
	s, err := Open(tif)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "x" || len(s.Bands) != 6 {
		t.Errorf("ID %q bands %v", s.ID, s.Bands)
	}
	if s, err := Open(tif, WithID("given")); err != nil || s.ID != "given" {
		t.Errorf("WithID: %v %v", s, err)
	}
	for _, tc := range []struct {
		name    string
		content []byte
		want    error
	}{
		{"png", []byte("\x89PNG\r\n\x1a\n...."), ErrFormat},
		{"empty", nil, ErrFormat},
		{"short native", []byte("SKYSCENE\x01"), ErrCorrupt},
	} {
		p := write(tc.name, tc.content)
		_, err := Open(p)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want %v naming the path", tc.name, err, tc.want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestTiles(t *testing.T) {
	s := testScene(t, 150, 100, 1)
	tiles := Tiles(s, 64)
	// Columns start at 0, 64, 86; rows at 0, 36.
	if len(tiles) != 6 {
		t.Fatalf("%d tiles, want 6", len(tiles))
	}
	covered := make([]bool, s.Width*s.Height)
	for i, tile := range tiles {
		if tile.W != 64 || tile.H != 64 || tile.X0 < 0 || tile.Y0 < 0 || tile.X0+64 > s.Width || tile.Y0+64 > s.Height {
			t.Errorf("tile %d window %+v", i, tile)
		}
		if tile.Row != i/3 || tile.Col != i%3 {
			t.Errorf("tile %d at grid %d,%d", i, tile.Row, tile.Col)
		}
		want := Footprint(s.Geo, tile.X0, tile.Y0, 64, 64)
		if len(tile.Footprint) != len(want) || tile.Footprint[0] != want[0] || tile.Footprint[2] != want[2] {
			t.Errorf("tile %d footprint %v, want %v", i, tile.Footprint, want)
		}
		for y := tile.Y0; y < tile.Y0+64; y++ {
			for x := tile.X0; x < tile.X0+64; x++ {
				covered[y*s.Width+x] = true
			}
		}
	}
	for i, c := range covered {
		if !c {
			t.Fatalf("pixel %d,%d in no tile", i%s.Width, i/s.Width)
		}
	}
	if Tiles(s, 101) != nil || Tiles(s, 0) != nil {
		t.Error("tiles larger than the scene or of size 0")
	}
	if n := len(Tiles(s, 50)); n != 6 {
		t.Errorf("exact multiple: %d tiles, want 6", n)
	}
}

func TestRequireBands(t *testing.T) {
	s := testScene(t, 4, 4, 1)
	if err := s.RequireBands(DefaultBands...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want []string
		msg  string
	}{
		{[]string{"blue", "green", "red", "nir", "swir1", "swir2", "tir"}, "missing tir"},
		{[]string{"blue", "green", "red", "nir", "swir1"}, "unexpected swir2"},
		{[]string{"green", "blue", "red", "nir", "swir1", "swir2"}, "another order"},
	} {
		err := s.RequireBands(tc.want...)
		if !errors.Is(err, ErrBands) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("RequireBands(%v): %v, want ErrBands saying %q", tc.want, err, tc.msg)
		}
	}
}
