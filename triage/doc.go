// Package triage decides in orbit what is worth sending: it cuts scenes
// into tiles, runs an ONNX model through ONNX Runtime
// (github.com/yalue/onnxruntime_go) and keeps only actionable detections.
//
// ONNX Runtime is a shared library loaded at run time. InitRuntime loads it
// once per process from config, the SKYSIEVE_ORT_LIB environment variable or
// the cache that `make ort` fills, and fails with one line saying what is
// wrong (missing, wrong architecture, not ONNX Runtime, too old).
//
// # The model contract
//
// Any ONNX model works if its metadata_props state a Contract (keys
// skysieve.*): class names in output order, band names in input order, the
// tile edge, per-band normalisation (input = (reflectance − mean) / std),
// the input tensor name (float32 [N, bands, tile, tile]) and two outputs:
// class probabilities [N, classes] and the tile's cloud fraction [N, 1].
// LoadModel checks the metadata against the graph and refuses a model that
// breaks the contract with an error (wrapping ErrContract) saying what is
// wrong. The default model, testdata/model/triage.onnx, is a small CNN
// trained in Go by package triage/train on scenes from triage/synth;
// `triage build-model` rebuilds it byte for byte from its recorded seed.
//
// # Decisions
//
// New(cfg) loads the runtime and the model and pre-allocates two sets of
// tensors; Triage(ctx, scene) normalises the next batch of tiles while ONNX
// Runtime runs the current one, and decides each scored batch on the other
// core. The first batch is filled, and the last decided, by two goroutines,
// since nothing else can overlap them. TriageScenes takes a backlog of
// scenes (the flight spool's, the eval's) through one pipeline, the next
// scene's first batch filled while the last ones of the scene before are
// scored and decided, so only the backlog's first head and last tail are
// not overlapped; each scene's result is what Triage gives. Per tile: at least CloudDiscardFraction
// cloud is discarded, unless the model calls fire there and a pixel passes
// the hot check (a fire seen through a gap in the cloud); otherwise the most
// confident of fire, vessel and flood at or above its threshold (defaults,
// tuned on held-out validation seeds: fire 0.30, flood 0.50, vessel 0.50)
// is kept. The model says water,
// not flood: a water tile is a flood only where the reference WaterLayer
// says land (under FloodMaxRefWater of the tile is permanent water), so the
// open sea is never a flood. Layers are a GeoJSON file of water polygons
// (PolygonWater), a georeferenced mask (RasterWater), or a synth.Truth.
//
// The model is checked against, and helped by, physical tests on the
// pixels, which keep it honest on real scenes unlike its training data:
//   - fire: a hot pixel by the Landsat active-fire daytime tests. A fire
//     call needs one; a clear tile with one is a fire whatever the model
//     says (small fires under thin cloud score low). A pixel passing only
//     the relaxed candidate tier confirms a call the model makes at 0.9
//     or more (small fires under thin cloud fall short of the strict
//     tests).
//   - vessel: a bright compact target on water, found as optical ship
//     detectors do (contrast against the ring of sea around it, then shape
//     and spectrum). A vessel call needs one, unless the model scores
//     the tile at least 0.7 and it touches reference water (a hull under
//     thin cloud is dimmer than the cloud around it, so no bright-target
//     test sees it; the model sees its shape); and on reference water a
//     target that passes the stricter detecting test (its contrast over a
//     plane fitted to the ring, in standard deviations of the ring about
//     that plane) is a vessel even where the model says water or land
//     (small vessels under thin cloud, by the shore, cut by a tile edge).
//   - flood: a water probability from 0.15 counts when at least half the
//     tile's pixels look like water (NIR below red, SWIR-1 below NIR).
//
// Everything else is discarded with a reason (cloud,
// background, open_water, below_threshold, no_water_reference,
// fire_unconfirmed, vessel_unconfirmed), counted in one slog record per
// scene.
//
// Each kept tile becomes a Detection: a record.Detection (stable id from
// satellite, scene, tile and class; WGS84 footprint; priority = severity ×
// confidence × freshness) and a JPEG quicklook chip within ChipBudgetBytes.
//
// Evaluate scores the whole pipeline on held-out synthetic scenes
// (synth.MixEval) against their ground truth: per-class precision, recall
// and F1, actionable recall, false discard rate, data reduction. Tiles whose
// label rests on a sliver (part of a vessel centred in the next tile, land
// just short of the flood threshold) are scored apart; the strict figures
// that count them are reported too.
package triage
