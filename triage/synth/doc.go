// Package synth draws synthetic multispectral scenes with ground truth, for
// training and evaluating the triage model and for the simulator.
//
// A scene is six bands of top-of-atmosphere reflectance (blue, green, red,
// NIR, SWIR-1, SWIR-2) composed from physically plausible surface spectra:
// several kinds of land (forest, cropland, savanna, bare soil, sand, town
// with bright roofs, old burn scars), sea with a ragged coastline and
// turbid coastal water, lakes, thick and thin cloud with cast shadows, sun
// glint, plus path radiance and sensor noise. Events are drawn on top:
// active fires (emission strongest in SWIR-2, sub-pixel fires included,
// with burn scar and smoke), floods (turbid water on land) and vessels
// (bright hulls with wakes).
//
// Generate(spec) is a pure function of the Spec. Truth holds per-pixel
// layers (cloud opacity, cloud shadow, water on the day, the reference
// water layer of permanent water, fire, vessel, hard-case flags) and
// per-tile labels from one rule set (Truth.Label) shared by the trainer and
// the eval. Truth.PixelClasses maps the layers to the per-pixel classes of
// model contract v2 (ClassNames). A Truth is also the reference water layer
// of its scene (Truth.WaterFraction), so that flood means water where the
// reference says land. Other generators (triage/scenery) fill the same
// Truth and call Truth.LabelTiles.
//
// RandomSpec draws scenes from a named Mix: MixEval (about 3% actionable
// tiles, much cloud, hard cases), MixTrain (dense events: the tile
// model's training set) or MixWide (MixTrain over a wider distribution:
// GSDs of 10–60 m, several cloud morphologies, haze, whitecaps, turbid
// water, wet soil, calibration gain, noise, striping; the per-pixel
// model's training set).
package synth
