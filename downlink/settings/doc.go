// Package settings is the strict configuration loader flight, ground and
// the simulator share. A Schema lists every key a program understands,
// each with a setter that converts the raw value (from a YAML file,
// SKYSIEVE_ environment variables or flags, merged by viper) into the
// program's Config. Apply refuses what a lenient loader would let through:
//
//   - an unknown key, with the closest known key suggested
//     ("unknown key nats.urll; did you mean nats.url?"), because a typo
//     otherwise silently keeps the default;
//   - a value of the wrong type or out of range (1.5 for an integer, 90 for
//     a duration, 70000 for a 16-bit field), because a converted or clamped
//     value is not what the operator wrote.
//
// Range checks that involve several keys stay in each program's Validate;
// they too refuse rather than fix.
//
// Secrets. A field marked Secret never shows its value in an error, and
// Redact, RedactURL and Secret keep passwords, tokens and key material out
// of log lines and files: a value that is secret is printed as
// "[redacted]".
package settings
