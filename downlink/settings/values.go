package settings

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The converters below turn a raw value (YAML scalar, environment string,
// flag value) into a Go value, refusing rather than coercing: 1.5 is not
// an integer, 90 is not a duration, "yes" is not a bool.

// ToString accepts a string.
func ToString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("want a string, got %T", v)
}

// ToInt64 accepts an integer, an integral float, or a string holding an
// integer.
func ToInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("want an integer")
}

// ToInt is ToInt64 within the range of int.
func ToInt(v any) (int, error) {
	n, err := ToInt64(v)
	if err != nil {
		return 0, err
	}
	if n != int64(int(n)) {
		return 0, fmt.Errorf("out of range")
	}
	return int(n), nil
}

// ToFloat accepts a number or a string holding one; NaN and infinities are
// refused.
func ToFloat(v any) (float64, error) {
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case float32:
		x = float64(n)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			return 0, fmt.Errorf("want a number")
		}
		x = f
	default:
		i, err := ToInt64(v)
		if err != nil {
			return 0, fmt.Errorf("want a number")
		}
		x = float64(i)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("want a finite number")
	}
	return x, nil
}

// ToDuration accepts a Go duration string ("90s", "1h30m") or a
// time.Duration (from a flag); a bare number is refused, its unit unknown.
func ToDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 90s or 5m")
		}
		return d, nil
	}
	return 0, fmt.Errorf("want a duration such as 90s or 5m (with its unit)")
}

// ToBool accepts true/false, as a bool or a string.
func ToBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.TrimSpace(strings.ToLower(x)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("want true or false")
}

// String is a setter for a string field.
func String[C any](f func(*C) *string) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToString) }
}

// Int is a setter for an int field.
func Int[C any](f func(*C) *int) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToInt) }
}

// Int64 is a setter for an int64 field.
func Int64[C any](f func(*C) *int64) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToInt64) }
}

// Float is a setter for a float64 field.
func Float[C any](f func(*C) *float64) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToFloat) }
}

// Duration is a setter for a time.Duration field.
func Duration[C any](f func(*C) *time.Duration) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToDuration) }
}

// Bool is a setter for a bool field.
func Bool[C any](f func(*C) *bool) func(*C, any) error {
	return func(c *C, v any) error { return set(f(c), v, ToBool) }
}

// Ranged is a setter for a narrow unsigned field, checked against 0..maxV
// before narrowing (a plain conversion would wrap 70000 to 4464).
func Ranged[C any, T uint8 | uint16](f func(*C) *T, maxV int) func(*C, any) error {
	return func(c *C, v any) error {
		n, err := ToInt(v)
		if err != nil {
			return err
		}
		if n < 0 || n > maxV {
			return fmt.Errorf("must be in 0..%d", maxV)
		}
		*f(c) = T(n)
		return nil
	}
}

func set[T any](dst *T, v any, conv func(any) (T, error)) error {
	x, err := conv(v)
	if err != nil {
		return err
	}
	*dst = x
	return nil
}
