package scene

import "time"

// DefaultMaxSamples caps width × height × bands of a scene a reader will
// allocate (1 GiB of float32) unless WithMaxSamples says otherwise.
const DefaultMaxSamples = 1 << 28

// DefaultMaxBytes caps the memory a reader allocates for one scene, its
// float32 planes and every working buffer together, unless WithMaxBytes
// says otherwise.
const DefaultMaxBytes = 1 << 30

// Option adjusts how a scene is read.
type Option func(*options)

type options struct {
	maxSamples  int64
	maxBytes    int64
	required    []string
	calibration *Calibration
	bandNames   []string
	satellite   string
	captureTime time.Time
	id          string
}

func buildOptions(opts []Option) options {
	o := options{maxSamples: DefaultMaxSamples, maxBytes: DefaultMaxBytes}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithMaxSamples caps width × height × bands; a larger image fails with
// ErrTooLarge before anything is allocated.
func WithMaxSamples(n int64) Option { return func(o *options) { o.maxSamples = n } }

// WithMaxBytes is the memory budget of one read: the scene's float32
// planes plus every buffer the reader needs to decode them (chunk and
// compressed-data buffers, offset tables, a native plane's raw bytes).
// The whole cost is computed from the header and checked before the first
// large allocation; a scene over the budget fails with ErrTooLarge naming
// the cost and the budget, before anything is decoded.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithRequiredBands names bands the scene must have (a model's contract):
// a file whose header lacks one fails with ErrBands before its pixels are
// decoded. The scene may hold other bands too.
func WithRequiredBands(names ...string) Option {
	return func(o *options) { o.required = append([]string(nil), names...) }
}

// WithCalibration sets the per-band DN → reflectance calibration used for
// GeoTIFF samples, replacing the default (see Open).
func WithCalibration(c Calibration) Option { return func(o *options) { o.calibration = &c } }

// WithBandNames names a GeoTIFF's bands in file order, replacing the
// default (DefaultBands for six-band files, "b1", "b2"... otherwise).
func WithBandNames(names ...string) Option {
	return func(o *options) { o.bandNames = append([]string(nil), names...) }
}

// WithSatellite sets Scene.Satellite for GeoTIFFs, which carry no
// satellite id.
func WithSatellite(id string) Option { return func(o *options) { o.satellite = id } }

// WithCaptureTime sets Scene.CaptureTime for GeoTIFFs, overriding the TIFF
// DateTime tag.
func WithCaptureTime(t time.Time) Option { return func(o *options) { o.captureTime = t } }

// WithID sets Scene.ID (Open's default for a GeoTIFF is the file name
// without its extension).
func WithID(id string) Option { return func(o *options) { o.id = id } }
