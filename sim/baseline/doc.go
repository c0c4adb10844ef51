// Package baseline is the old way, for comparison: no onboard triage; every
// scene is stored raw and downlinked whole, first in first out, over the
// same contacts; the ground analyses each scene when its last byte arrives.
//
// It is a discrete-event model, not a packet simulation: at gigabyte scale
// moving the real bytes would measure the laptop, not the mission. Each
// satellite has one radio; at every second the best pass in progress gives
// the rate, and the expected loss is repaid by retransmission (ARQ), so a
// pass delivers rate × (1 − loss) of useful bytes. The queue drains in
// capture order; a scene's delivery time is when its last byte is down.
//
// The baseline is given the benefit of the doubt on the ground: analysis
// takes no time and finds every actionable tile of a delivered scene (its
// ground-truth labels). Skysieve must beat that with a real model.
package baseline
