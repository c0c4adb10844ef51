package sdls

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// KeyBytes is the AES-256 key size.
const KeyBytes = 32

// Mode is how an SA protects frames.
type Mode uint8

// Modes.
const (
	ModeEncrypt Mode = 1 // AES-256-GCM authenticated encryption
	ModeAuth    Mode = 2 // AES-256-GMAC authentication only
)

// String is the key-file spelling ("enc", "auth").
func (m Mode) String() string {
	switch m {
	case ModeEncrypt:
		return "enc"
	case ModeAuth:
		return "auth"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Named errors, testable with errors.Is.
var (
	ErrKeyFile    = errors.New("sdls: bad key file")
	ErrUnknownSPI = errors.New("sdls: unknown SPI")
	ErrAuth       = errors.New("sdls: authentication failed")
	ErrReplay     = errors.New("sdls: replayed or stale sequence number")
)

// SA is a security association. It is immutable and safe for concurrent
// use.
type SA struct {
	SPI  uint16
	Mode Mode
	aead cipher.AEAD
}

// Keys is a set of SAs by SPI.
type Keys struct {
	sas map[uint16]*SA
}

// NewKeys returns an empty key set.
func NewKeys() *Keys { return &Keys{sas: map[uint16]*SA{}} }

// Add installs an SA. The key must be 32 bytes; SPI 0 and 0xFFFF are
// reserved.
func (k *Keys) Add(spi uint16, mode Mode, key []byte) error {
	if spi == 0 || spi == 0xFFFF {
		return fmt.Errorf("sdls: SPI %d is reserved, use 1..65534", spi)
	}
	if mode != ModeEncrypt && mode != ModeAuth {
		return fmt.Errorf("sdls: SPI %d: unknown mode %v", spi, mode)
	}
	if len(key) != KeyBytes {
		return fmt.Errorf("sdls: SPI %d: key has %d bytes, want %d (AES-256)", spi, len(key), KeyBytes)
	}
	if _, dup := k.sas[spi]; dup {
		return fmt.Errorf("sdls: SPI %d defined twice", spi)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("sdls: SPI %d: %w", spi, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("sdls: SPI %d: %w", spi, err)
	}
	k.sas[spi] = &SA{SPI: spi, Mode: mode, aead: aead}
	return nil
}

// SA returns the association for spi, or an error wrapping ErrUnknownSPI.
func (k *Keys) SA(spi uint16) (*SA, error) {
	if sa, ok := k.sas[spi]; ok {
		return sa, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownSPI, spi)
}

// LoadKeyFile reads a key file (format in the package doc).
func LoadKeyFile(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrKeyFile, path, err)
	}
	return ParseKeys(path, b)
}

// ParseKeys parses key-file text; name is used in errors.
func ParseKeys(name string, data []byte) (*Keys, error) {
	k := NewKeys()
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w %s line %d: want \"spi mode key\", got %d fields", ErrKeyFile, name, line, len(f))
		}
		spi, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%w %s line %d: SPI %q is not a number 1..65534", ErrKeyFile, name, line, f[0])
		}
		var mode Mode
		switch f[1] {
		case "enc":
			mode = ModeEncrypt
		case "auth":
			mode = ModeAuth
		default:
			return nil, fmt.Errorf("%w %s line %d: mode %q, want enc or auth", ErrKeyFile, name, line, f[1])
		}
		if len(f[2]) != 2*KeyBytes {
			return nil, fmt.Errorf("%w %s line %d: key has %d hex characters, want %d (AES-256)",
				ErrKeyFile, name, line, len(f[2]), 2*KeyBytes)
		}
		key, err := hex.DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("%w %s line %d: key is not hex: %v", ErrKeyFile, name, line, err)
		}
		if err := k.Add(uint16(spi), mode, key); err != nil {
			return nil, fmt.Errorf("%w %s line %d: %v", ErrKeyFile, name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w %s line %d: %v", ErrKeyFile, name, line+1, err)
	}
	if len(k.sas) == 0 {
		return nil, fmt.Errorf("%w %s: no keys", ErrKeyFile, name)
	}
	return k, nil
}
