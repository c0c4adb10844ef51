// Package scenario describes one simulated run: when it starts and how long
// it lasts, the seed, which satellites (a TLE file) and which ground stations
// (a stations file), how scenes are captured (size, bands, bit depth,
// cadence), how many ground-truth events the world holds, and how the radio
// channel misbehaves.
//
// A scenario is a YAML file read with viper; every key has a default, so an
// empty file (or none) is the default scenario. Environment variables
// SKYSIEVE_SIM_<KEY> (dots as underscores) override the file. Load resolves
// relative file names against the scenario file's folder and validates every
// field, naming the bad key and value in its error (ErrInvalid).
package scenario
