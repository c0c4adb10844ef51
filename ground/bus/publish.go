package bus

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Outcome says how a publish ended. Every outcome means the message is now
// in the stream exactly once.
type Outcome int

const (
	// Published means this call stored the message.
	Published Outcome = iota + 1
	// Duplicate means the server recognised the Nats-Msg-Id inside its
	// duplicate window and stored nothing.
	Duplicate
	// AlreadyPublished means the subject already held a message (the
	// create-only-if-absent check failed), so nothing was stored.
	AlreadyPublished
)

// String names the outcome for logs and metric labels.
func (o Outcome) String() string {
	switch o {
	case Published:
		return "published"
	case Duplicate:
		return "duplicate"
	case AlreadyPublished:
		return "already_published"
	}
	return "unknown"
}

// Header names the bus sets.
const (
	HeaderClass    = "Skysieve-Class"
	HeaderPriority = "Skysieve-Priority"
)

// PublishOnce stores payload on subject only if the subject holds no
// message yet (expected last subject sequence 0). msgID becomes Nats-Msg-Id;
// hdr adds headers. It returns the outcome, or an error if the server did
// not answer (then the caller must retry later; a retry is safe).
func (b *Bus) PublishOnce(ctx context.Context, subject, msgID string, hdr nats.Header, payload []byte) (Outcome, error) {
	if err := b.Ensure(ctx); err != nil {
		return 0, err
	}
	msg := &nats.Msg{Subject: subject, Data: payload, Header: nats.Header{}}
	for k, v := range hdr {
		msg.Header[k] = v
	}
	ack, err := b.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(msgID),
		jetstream.WithExpectLastSequencePerSubject(0),
		jetstream.WithExpectStream(streamFor(subject)))
	if err != nil {
		if IsWrongLastSequence(err) {
			return AlreadyPublished, nil
		}
		return 0, fmt.Errorf("bus: publish %s: %w", subject, err)
	}
	if ack.Duplicate {
		return Duplicate, nil
	}
	return Published, nil
}

// PublishDedup stores payload on subject unless a message with the same
// msgID arrived inside the stream's duplicate window (used for alerts, whose
// subjects are shared).
func (b *Bus) PublishDedup(ctx context.Context, subject, msgID string, hdr nats.Header, payload []byte) (Outcome, error) {
	if err := b.Ensure(ctx); err != nil {
		return 0, err
	}
	msg := &nats.Msg{Subject: subject, Data: payload, Header: nats.Header{}}
	for k, v := range hdr {
		msg.Header[k] = v
	}
	ack, err := b.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(streamFor(subject)))
	if err != nil {
		return 0, fmt.Errorf("bus: publish %s: %w", subject, err)
	}
	if ack.Duplicate {
		return Duplicate, nil
	}
	return Published, nil
}

// PutChip stores an evidence chip under name in the CHIPS bucket, unless an
// object of that name with the same content is already there.
func (b *Bus) PutChip(ctx context.Context, name string, data []byte) (Outcome, error) {
	if err := b.Ensure(ctx); err != nil {
		return 0, err
	}
	b.mu.Lock()
	obj := b.chips
	b.mu.Unlock()
	sum := sha256.Sum256(data)
	if info, err := obj.GetInfo(ctx, name); err == nil && info.Digest == "SHA-256="+base64.URLEncoding.EncodeToString(sum[:]) {
		return AlreadyPublished, nil
	} else if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, fmt.Errorf("bus: chip %s: %w", name, err)
	}
	if _, err := obj.PutBytes(ctx, name, data); err != nil {
		return 0, fmt.Errorf("bus: chip %s: %w", name, err)
	}
	return Published, nil
}

// IsWrongLastSequence reports whether err is JetStream's refusal of an
// expected-last-sequence check (code 10071, or 10164 from replicated
// streams): for a create-only publish, the subject is already taken.
func IsWrongLastSequence(err error) bool {
	var jsErr jetstream.JetStreamError
	if !errors.As(err, &jsErr) || jsErr.APIError() == nil {
		return false
	}
	code := jsErr.APIError().ErrorCode
	return code == jetstream.JSErrCodeStreamWrongLastSequence || code == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

func streamFor(subject string) string {
	if len(subject) >= 7 && subject[:7] == "alerts." {
		return StreamAlerts
	}
	return StreamDetections
}
