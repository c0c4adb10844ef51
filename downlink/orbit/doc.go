// Package orbit turns published mean elements into positions: it parses
// two-line element sets (TLE, with checksums) and CCSDS Orbit Mean-Elements
// Messages (OMM, JSON and KVN as CelesTrak serves them) into TLE values,
// propagates them with SGP4/SDP4, and converts the result to Earth-fixed,
// geodetic and topocentric coordinates.
//
// The propagator follows Vallado, Crawford, Hujsak and Kelso, "Revisiting
// Spacetrack Report #3" (AIAA 2006-6753): WGS-72 constants, the
// "improved" operation mode, the near-Earth branch for periods under 225
// minutes and the deep-space branch (lunar-solar perturbations, 12- and
// 24-hour resonance) above. It reproduces the reference C++ output for the
// published verification set to well under a millimetre (TestVallado), and
// fails with the reference's error codes (ErrDecayed and friends, carried
// in *PropagationError) where the reference fails.
//
// Types:
//
//   - TLE: one element set, whatever format it came in.
//   - Propagator: an initialised SGP4 model for one TLE. Propagate(t)
//     returns a TEME StateVector (km, km/s). A Propagator is immutable and
//     safe for concurrent use; each call integrates from epoch, so results
//     never depend on earlier calls.
//   - Geodetic, Site, Look: WGS-84 positions, ground sites prepared for
//     repeated look-angle computation, and azimuth/elevation/range.
//
// Frames: TEME is rotated to Earth-fixed by Greenwich mean sidereal time
// (IAU-82, as the SGP4 reference does), with UTC standing in for UT1 and
// polar motion neglected: errors of tens of metres at most, far below the
// few-kilometre accuracy of SGP4 itself a day from epoch.
//
// Everything here is pure computation on values; the caller opens files.
package orbit
