package linkkeys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/downlink/sdls"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.keys"), filepath.Join(dir, "b.keys")
	for _, p := range []string{a, b} {
		if err := Generate(p); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v", p, fi.Mode(), err)
		}
		l, err := Load(p, false)
		if err != nil || l.Development {
			t.Fatalf("generated keys: %+v, %v", l, err)
		}
		for _, spi := range []uint16{1, 2} {
			if _, err := l.Keys.SA(spi); err != nil {
				t.Fatalf("SPI %d: %v", spi, err)
			}
		}
	}
	ta, _ := os.ReadFile(a)
	tb, _ := os.ReadFile(b)
	if string(ta) == string(tb) {
		t.Fatal("two generated key files are the same")
	}
	if err := Generate(a); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrite: %v", err)
	}
	if again, _ := os.ReadFile(a); string(again) != string(ta) {
		t.Fatal("a refused overwrite changed the file")
	}
}

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	devCopy := filepath.Join(dir, "dev.keys")
	upperHex := strings.NewReplacer("a", "A", "b", "B", "c", "C", "d", "D", "e", "E", "f", "F")
	var lines []string
	for _, line := range strings.Split(sdls.DevKeys, "\n") {
		if f := strings.Fields(line); len(f) == 3 && !strings.HasPrefix(f[0], "#") {
			line = f[0] + " " + f[1] + " " + upperHex.Replace(f[2])
		}
		lines = append(lines, line)
	}
	if err := os.WriteFile(devCopy, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(dir, "mixed.keys")
	key := strings.Fields(strings.Split(sdls.DevKeys, "\n")[2])[2]
	if err := os.WriteFile(mixed, []byte("7 auth "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.keys")
	if err := Generate(good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		mode os.FileMode
		dev  bool
		want error
	}{
		{"none", "", 0, false, ErrNoKeyFile},
		{"dev keys, any case", devCopy, 0o600, false, ErrDevKeys},
		{"a dev key under another SPI", mixed, 0o600, false, ErrDevKeys},
		{"world readable", good, 0o644, false, ErrMode},
		{"group writable", good, 0o620, false, ErrMode},
		{"group readable, dev allowed", good, 0o640, true, ErrMode},
		{"missing file", filepath.Join(dir, "nope"), 0, true, sdls.ErrKeyFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.mode != 0 {
				if err := os.Chmod(c.path, c.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(c.path, c.dev)
			if !errors.Is(err, c.want) {
				t.Fatalf("Load: %v, want %v", err, c.want)
			}
			if c.path != "" && !strings.Contains(err.Error(), c.path) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
	if err := os.Chmod(good, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good, false); err != nil {
		t.Fatalf("mode 0400: %v", err)
	}
	for _, p := range []string{"", devCopy} {
		l, err := Load(p, true)
		if err != nil || !l.Development {
			t.Fatalf("dev keys allowed (%q): %+v, %v", p, l, err)
		}
	}
}
