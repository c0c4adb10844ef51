// Package consumer is the responder's side of the simulation: a JetStream
// consumer on the ground's NATS server that reads every published detection
// (GeoJSON Features on detections.>), matches each to a ground-truth event
// of the same class whose extent its footprint overlaps, and stamps its
// arrival with the simulation's clock.
//
// Decode turns a message payload into a Detection, refusing oversized or
// malformed input with an error naming the problem (ErrBadFeature). Match is
// the pure matcher. Consumer ties them to the bus: it reads the stream from
// its first message with an ordered consumer, so a detection that the bus
// stores twice (under two stream sequences) is counted as a duplicate,
// while a redelivery of the same stream message is not.
package consumer
