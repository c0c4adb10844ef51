// Package linkkeys applies the operator's policy to the link key file
// before flight or ground uses it (the format is downlink/sdls's):
//
//   - no key file is refused, unless the public development keys are
//     asked for in so many words (--insecure-dev-keys): a service that
//     falls back to public keys silently accepts forged detections and
//     ACKs from anyone;
//   - a key file holding any of the public development keys
//     (sdls.DevKeys, testdata/flight/dev.keys) is refused on the same
//     terms;
//   - a key file that its group or others may read or write is refused
//     with its name and mode, the rule ssh applies to private keys.
//
// Generate writes a fresh key set with mode 0600.
package linkkeys

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/skysieve/skysieve/downlink/sdls"
)

// Errors of Load.
var (
	// ErrNoKeyFile: no key file is configured and development keys were
	// not allowed.
	ErrNoKeyFile = errors.New("no link key file configured")
	// ErrDevKeys: the key file holds the public development keys and they
	// were not allowed.
	ErrDevKeys = errors.New("key file holds the public development keys")
	// ErrMode: the key file is readable or writable by group or others.
	ErrMode = errors.New("key file is accessible by group or others")
)

// InsecureFlag is the flag (and, with dashes as underscores, the config
// key) that allows the public development keys.
const InsecureFlag = "insecure-dev-keys"

// Loaded is a key set and where it came from.
type Loaded struct {
	Keys *sdls.Keys
	// Development is true when the keys are (or include) the public
	// development keys: the service must say so at start.
	Development bool
	// Source names the file, or "built-in development keys".
	Source string
}

// Load reads the key file at path under the policy in the package doc;
// allowDev is the operator's --insecure-dev-keys. Errors name the file
// and say how to fix it.
func Load(path string, allowDev bool) (Loaded, error) {
	if path == "" {
		if !allowDev {
			return Loaded{}, fmt.Errorf("%w: generate one with `keys generate --out FILE` and set key_file, or pass --%s to run on the public development keys", ErrNoKeyFile, InsecureFlag)
		}
		k, err := sdls.DevelopmentKeys()
		return Loaded{Keys: k, Development: true, Source: "built-in development keys"}, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("%w %s: %v", sdls.ErrKeyFile, path, err)
	}
	keys, err := sdls.ParseKeys(path, b)
	if err != nil {
		return Loaded{}, err
	}
	if holdsDevKey(b) {
		if !allowDev {
			return Loaded{}, fmt.Errorf("%w: %s: these keys are public; generate real ones with `keys generate --out FILE`, or pass --%s", ErrDevKeys, path, InsecureFlag)
		}
		return Loaded{Keys: keys, Development: true, Source: path}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("%w %s: %v", sdls.ErrKeyFile, path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Loaded{}, fmt.Errorf("%w: %s has mode %04o (chmod 600 %s)", ErrMode, path, perm, path)
	}
	return Loaded{Keys: keys, Source: path}, nil
}

// holdsDevKey reports whether key-file text names any key of
// sdls.DevKeys (hex compared case-insensitively).
func holdsDevKey(text []byte) bool {
	dev := keyHex([]byte(sdls.DevKeys))
	for k := range keyHex(text) {
		if dev[k] {
			return true
		}
	}
	return false
}

func keyHex(text []byte) map[string]bool {
	out := map[string]bool{}
	for line := range strings.SplitSeq(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") {
			out[strings.ToLower(f[2])] = true
		}
	}
	return out
}

// Generate writes a fresh key set to path with mode 0600: SPI 1 (downlink)
// and SPI 2 (uplink), AES-256-GCM with keys from crypto/rand, as the
// default link configuration expects. It refuses to overwrite a file (an
// old key set lost is a satellite that cannot be talked to) and fsyncs
// the file and its folder before returning.
func Generate(path string) error {
	var sb strings.Builder
	sb.WriteString("# Skysieve link keys: secret. Flight and ground need the same file.\n# spi mode key\n")
	for _, spi := range []int{1, 2} {
		var k [sdls.KeyBytes]byte
		if _, err := rand.Read(k[:]); err != nil {
			return fmt.Errorf("linkkeys: random key: %w", err)
		}
		fmt.Fprintf(&sb, "%d enc %s\n", spi, hex.EncodeToString(k[:]))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("linkkeys: %s exists; not overwriting a key file", path)
		}
		return fmt.Errorf("linkkeys: %w", err)
	}
	// The umask may have taken bits away, never added them; make it exact.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("linkkeys: %w", err)
	}
	if _, err := f.WriteString(sb.String()); err != nil {
		f.Close()
		return fmt.Errorf("linkkeys: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("linkkeys: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("linkkeys: close %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
