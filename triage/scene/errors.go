package scene

import "errors"

// Errors callers can test with errors.Is. Every error this package returns
// wraps one of them and names the input and the problem.
var (
	// ErrFormat: the bytes are not a format this package reads (bad magic).
	ErrFormat = errors.New("scene: unrecognised format")
	// ErrCorrupt: the file is truncated or its structure contradicts itself
	// (offsets past the end, counts that do not add up).
	ErrCorrupt = errors.New("scene: corrupt file")
	// ErrChecksum: a CRC32C in a native scene file does not match.
	ErrChecksum = errors.New("scene: checksum mismatch")
	// ErrUnsupported: a well-formed file uses a feature this package does
	// not read (sample type, compression, predictor, projection...).
	ErrUnsupported = errors.New("scene: unsupported feature")
	// ErrTooLarge: the image exceeds the sample cap (WithMaxSamples) or
	// the memory budget (WithMaxBytes), or is larger than the file could
	// possibly hold.
	ErrTooLarge = errors.New("scene: image too large")
	// ErrInvalidScene: a Scene value is inconsistent (sizes, bands, values).
	ErrInvalidScene = errors.New("scene: invalid scene")
	// ErrCRS: a georeference is missing, unsupported or malformed.
	ErrCRS = errors.New("scene: unusable georeference")
	// ErrOutOfRange: a coordinate lies outside what the projection covers.
	ErrOutOfRange = errors.New("scene: coordinate out of range")
	// ErrBands: a scene's bands are not the ones required (RequireBands,
	// WithRequiredBands).
	ErrBands = errors.New("scene: band mismatch")
	// ErrCalibration: DN samples need a calibration that was not given or
	// does not match the band count.
	ErrCalibration = errors.New("scene: calibration")
)
