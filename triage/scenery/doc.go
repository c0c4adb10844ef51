// Package scenery is Skysieve's second synthetic scene generator, designed
// apart from triage/synth so that a model trained on one can be tested on
// the other: the spectra, the cloud model, the layouts and the sensor all
// differ.
//
//   - Spectra are band averages of published library spectra (vegetation,
//     soils wet and dry, sand, concrete, asphalt, roof materials, char,
//     clear, turbid and flood water, hull paints, foam, water and ice
//     cloud), seen through an atmosphere with Rayleigh and aerosol path
//     reflectance and two-way transmittance that follow the scene's haze.
//   - Clouds are cellular: cumulus fields and fair-weather cumulus are sums
//     of puffs placed in clusters (a Worley-like model), stratus decks are a
//     thresholded sum of plane waves with soft or sharp edges, cirrus are
//     streaks stretched along the wind. Shadows are cast along the sun's
//     azimuth from each layer's height.
//   - Layouts are built, not thresholded: meandering rivers with low
//     floodplains, coastlines, harbours with breakwaters, quays and moored
//     hulls, lakes, field parcels (Voronoi cells) and towns of rectangular
//     roofs and roads.
//   - Floods are grown from a river bank or shore over the lowest land
//     (300–2,000 pixels); fires are Planck emission of a fractional area at
//     a flame temperature; vessels are hulls of 15–300 m in painted
//     colours with Kelvin wakes, at sea, near the coast, in harbours,
//     rivers and next to clouds; whitecaps and glint speckle the sea.
//   - The sensor has a ground sample distance of 10–60 m (UTM georeference),
//     a calibration gain within ±10%, detector striping, noise and 12-bit
//     quantisation.
//
// Generate(spec) returns the scene and a synth.Truth with every per-pixel
// layer, the events and the tile labels filled as synth fills them, so the
// same evaluations score both generators. Random(seed, i) draws scene i of
// the random mix; it is a pure function of (seed, i).
package scenery
