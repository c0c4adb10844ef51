// Package plan is the pass planner: a pure function that decides, for one
// ground-station contact, which queued items to send, in what order and with
// how many erasure-coded symbols each.
//
// A Contact is a time window made of Segments, each with a constant data
// rate and an expected frame-loss probability (both come from the link
// model: rate and loss by elevation). One symbol travels in one fixed-size
// frame, so an item's cost on air is symbols × Item.FrameBytes.
//
// An Item is a queued object in some custody state: K symbols decode it,
// Need is how many the ground still lacks (K when it has reported nothing,
// fewer after a NAK report, 0 once acknowledged) and Unreported counts
// symbols already sent that no report has covered yet.
//
// Make orders items by priority class (0 first), then value per byte on air,
// then ID, and walks the contact timeline greedily. For each item it sizes
// parity to the loss predicted where its frames will fall: the smallest
// symbol count n such that, counting the unreported symbols already out,
// P(Binomial(n+Unreported, 1-loss) ≥ Need) ≥ Options.Confidence. With
// Options.FeedbackConfidence set, an item whose last frame ends at least
// Options.FeedbackDelay before the contact does is sized for that lower
// probability instead: the ground's report on it comes back in the pass,
// and the caller re-plans to send exactly the symbols it still lacks, so
// parity is spent on the losses that happened rather than on every item
// (for a one-symbol item at 0.99, that is the difference between 100%
// overhead and the loss rate). Near the end of the contact no report can
// come back in time, and Confidence applies. An item that
// does not fit whole is skipped and smaller ones fill in behind it; when
// nothing else fits, the leftover frames start the best remaining item as a
// partial send that a later pass resumes (the ground keeps partial state).
//
// Preemption is re-planning: when a critical item arrives mid-pass the
// caller updates its queue (Unreported counts what has gone out) and calls
// Replan(contact, now, queue), which plans Contact.From(now). Class
// ordering puts the new item first.
//
// Make does no I/O and reads no clock; the same inputs give the same plan
// whatever the order of the queue.
package plan
