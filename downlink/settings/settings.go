package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// Errors wrapped by Apply's errors.
var (
	// ErrUnknownKey: the configuration names a key the program does not
	// have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrValue: a key's value has the wrong type or is out of range.
	ErrValue = errors.New("invalid value")
)

// Field is one configuration key and how its raw value sets the config C.
type Field[C any] struct {
	// Key is the dotted key ("nats.url"); the environment variable is the
	// prefix, "_" and the key upper-cased with dots as underscores.
	Key string
	// Set converts v and stores it in c, or says why v is not acceptable.
	Set func(c *C, v any) error
	// Secret keeps the value out of every error and log line.
	Secret bool
}

// Schema is the set of keys one program understands.
type Schema[C any] struct {
	fields   map[string]Field[C]
	prefixes []string
}

// NewSchema returns a schema of fields. A key given twice panics: it is a
// programming error, caught by the first test that builds the schema.
func NewSchema[C any](fields ...Field[C]) *Schema[C] {
	s := &Schema[C]{fields: make(map[string]Field[C], len(fields))}
	for _, f := range fields {
		s.Add(f)
	}
	return s
}

// Add adds a field (see NewSchema).
func (s *Schema[C]) Add(f Field[C]) {
	if _, dup := s.fields[f.Key]; dup || f.Set == nil {
		panic("settings: key " + f.Key + " added twice or without a setter")
	}
	s.fields[f.Key] = f
}

// MapKeys declares keys whose value is a map with free keys
// (priority_classes: {fire: 0}): viper flattens them to
// "priority_classes.fire", which Apply then accepts.
func (s *Schema[C]) MapKeys(keys ...string) {
	for _, k := range keys {
		s.prefixes = append(s.prefixes, k+".")
	}
}

// Keys lists the keys, sorted.
func (s *Schema[C]) Keys() []string {
	keys := make([]string, 0, len(s.fields))
	for k := range s.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Secret reports whether key holds a secret.
func (s *Schema[C]) Secret(key string) bool { return s.fields[key].Secret }

// BindEnv makes every key overridable by its environment variable:
// prefix SKYSIEVE and key radio.peer give SKYSIEVE_RADIO_PEER.
func (s *Schema[C]) BindEnv(v *viper.Viper, prefix string) {
	v.SetEnvPrefix(prefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	for _, k := range s.Keys() {
		_ = v.BindEnv(k)
	}
}

// Apply checks that v holds only known keys, then sets c from every key
// that is set in v, in key order. The first problem is returned as an
// *Error wrapping ErrUnknownKey or ErrValue.
func (s *Schema[C]) Apply(v *viper.Viper, c *C) error {
	if err := s.CheckKnown(v.AllKeys()); err != nil {
		return err
	}
	for _, k := range s.Keys() {
		if !v.IsSet(k) {
			continue
		}
		f := s.fields[k]
		raw := v.Get(k)
		if err := f.Set(c, raw); err != nil {
			// A setter of a structured value (a list of stations) may
			// name the exact element itself.
			var named *Error
			if errors.As(err, &named) {
				return named
			}
			return &Error{Key: k, Value: show(raw, f.Secret), Why: err.Error(), kind: ErrValue}
		}
	}
	return nil
}

// CheckKnown refuses the first of keys that the schema does not have,
// suggesting the closest one that it has.
func (s *Schema[C]) CheckKnown(keys []string) error {
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := s.fields[k]; ok || s.underMap(k) {
			continue
		}
		return UnknownKey(k, s.Keys())
	}
	return nil
}

// CheckKeys refuses the first of keys not in known, suggesting the
// closest known key: for loaders that decode into a struct (the
// simulator's scenario) rather than through a Schema.
func CheckKeys(keys, known []string) error {
	set := make(map[string]bool, len(known))
	for _, k := range known {
		set[k] = true
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !set[k] {
			return UnknownKey(k, known)
		}
	}
	return nil
}

func (s *Schema[C]) underMap(k string) bool {
	for _, p := range s.prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// UnknownKey is the error for key, which is not among known; it suggests
// the closest known key when one is near enough to be a typo.
func UnknownKey(key string, known []string) *Error {
	return &Error{Key: key, Suggest: Closest(key, known), kind: ErrUnknownKey}
}

// Error names a key and what is wrong with it.
type Error struct {
	Key string
	// Value is the value as written (or "[redacted]"); empty for an
	// unknown key.
	Value string
	Why   string
	// Suggest is the closest known key, for an unknown one.
	Suggest string
	kind    error
}

func (e *Error) Error() string {
	if e.kind == ErrUnknownKey {
		if e.Suggest != "" {
			return fmt.Sprintf("unknown key %s; did you mean %s?", e.Key, e.Suggest)
		}
		return fmt.Sprintf("unknown key %s", e.Key)
	}
	return fmt.Sprintf("%s = %s: %s", e.Key, e.Value, e.Why)
}

// Unwrap lets errors.Is match ErrUnknownKey or ErrValue.
func (e *Error) Unwrap() error { return e.kind }

// Invalid is the error for a value of key the program refuses (used by
// Validate methods, so every config error reads the same).
func Invalid(key string, value any, why string) *Error {
	return &Error{Key: key, Value: show(value, false), Why: why, kind: ErrValue}
}

func show(v any, secret bool) string {
	if secret {
		return Redacted
	}
	return fmt.Sprint(v)
}

// Closest returns the known key nearest to key by edit distance, or ""
// when none is within a third of key's length (at least 2 edits), which is
// further than a typo goes.
func Closest(key string, known []string) string {
	best, bestD := "", max(2, len(key)/3)+1
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
