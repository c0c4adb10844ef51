// Package triage decides in orbit what is worth sending: it reads scenes,
// cuts them into tiles, runs an ONNX model through ONNX Runtime
// (github.com/yalue/onnxruntime_go) and keeps only actionable detections.
//
// ONNX Runtime is a shared library loaded at run time. InitRuntime loads it
// once per process from config, the SKYSIEVE_ORT_LIB environment variable or
// the cache that `make ort` fills, and fails with one line saying what is
// wrong (missing, wrong architecture, not ONNX Runtime, too old).
package triage
