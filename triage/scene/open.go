package scene

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Open reads a scene file, sniffing its format from the first bytes: the
// native format ("SKYSCENE") or a TIFF/BigTIFF with GeoKeys ("II*\0",
// "MM\0*", "II+\0", "MM\0+"). Anything else fails with ErrFormat. For a
// GeoTIFF the scene ID defaults to the file name without its extension.
// Errors name the path.
func Open(path string, opts ...Option) (*Scene, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scene: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scene: %w", err)
	}
	var magic [8]byte
	n, _ := f.ReadAt(magic[:], 0)
	var s *Scene
	switch {
	case n == len(magic) && string(magic[:]) == nativeMagic:
		s, err = Read(bufio.NewReaderSize(f, 1<<16), opts...)
	case n >= 4 && isTIFFMagic(magic[:4]):
		o := buildOptions(opts)
		if o.id == "" {
			opts = append(opts, WithID(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))))
		}
		s, err = ReadGeoTIFF(f, st.Size(), opts...)
	default:
		err = fmt.Errorf("%w: first bytes %q are neither %q nor a TIFF header", ErrFormat, magic[:n], nativeMagic)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func isTIFFMagic(b []byte) bool {
	switch string(b) {
	case "II*\x00", "MM\x00*", "II+\x00", "MM\x00+":
		return true
	}
	return false
}
