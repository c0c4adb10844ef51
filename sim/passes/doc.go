// Package passes is the simulator's view of the contact plan: each Pass is
// one satellite–station contact with its link profile sampled over time
// (elevation, data rate, expected frame loss). The channel gates and paces
// frames with it, the baseline drains its queue through it, and the report
// draws it. Plan answers the questions they share: which pass is active
// for a satellite now, which comes next, and how soon an item of a given
// size could be on the ground if nothing else were queued (Bound).
package passes
