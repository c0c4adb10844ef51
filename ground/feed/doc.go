// Package feed turns a detection record into what responders consume: a
// GeoJSON Feature (RFC 7946) for the detections stream and a CAP 1.2 alert
// (OASIS Common Alerting Protocol) for severe classes. Both are pure
// functions of the record and its delivery facts (Delivery): no clock, no
// I/O, so the same input always gives the same bytes.
//
// Coordinates: GeoJSON uses [longitude, latitude] and the footprint becomes
// a Polygon whose exterior ring is counter-clockwise (the RFC's right-hand
// rule). CAP writes a polygon as space-separated "latitude,longitude" pairs,
// first and last the same; this package swaps the order accordingly.
package feed
