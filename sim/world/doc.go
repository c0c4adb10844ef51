// Package world is the simulated Earth: where the satellites look, what is
// happening on the ground, and what the clouds hide.
//
// Build walks each satellite's ground track (a Track, from SGP4 in the
// runner) at the scenario's capture cadence and plans a Capture wherever
// the sun is up and the sub-satellite point is over land or near a coast.
// It then places ground-truth Events inside captured footprints where each
// kind makes sense, using a coarse built-in land mask and river network:
// fires on land away from the poles, floods on land near rivers and coasts,
// vessels at sea. Each event has a start, an end and an extent, so a later
// capture of the same place sees it too. Each capture gets a cloud fraction
// from a climatology (the ITCZ follows the sun, subtropical highs are
// clear, mid-latitude storm tracks are cloudy) perturbed per scene.
//
// Everything is a pure function of the scenario and its seed: the same
// inputs always give the same world.
package world
