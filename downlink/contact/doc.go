// Package contact computes when data can move: the contact windows of
// satellites over a ground-station network, and how much each window
// carries.
//
// A Station is a place (WGS-84), an elevation mask and a LinkModel. The
// link model is a small budget: slant range and elevation give free-space
// and atmospheric loss, hence Es/N0; the fastest DVB-S2-like MODCOD that
// closes with the station's margin gives the rate; and the expected frame
// loss rises exponentially toward the mask (multipath, obstructions).
// Stations come from a YAML file (LoadStations) where only name, lat_deg
// and lon_deg are required.
//
// Compute propagates each satellite once on a coarse grid (SGP4 from
// package orbit), finds where elevation crosses each station's mask, and
// refines AOS and LOS by bisection to a millisecond and the culmination by
// golden-section search. Every sampled local maximum of elevation is
// refined as well, so grazing passes shorter than the grid step are found;
// passes under way at either end of the interval are clipped and flagged;
// a satellite that never sets (a circumpolar or geostationary geometry)
// yields one contact spanning the interval.
//
// A Contact carries its link profile as samples (every 10 s by default):
// elevation, azimuth, range, rate and expected loss. RateBitsPerSecAt,
// ExpectedLossAt and CapacityBytesBetween answer from those samples alone,
// so a contact read from a plan file (WritePlan, LoadPlan: JSON, times
// RFC 3339 with milliseconds) behaves exactly like one just computed;
// flight loads the plan as if uplinked and never needs an orbit.
//
// Everything except LoadStations and LoadPlan is pure computation.
package contact
