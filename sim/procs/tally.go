package procs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrSubject: a subject on the DETECTIONS stream is not
// detections.<class>.<id>.
var ErrSubject = errors.New("procs: bad detection subject")

// maxSubjectBytes bounds a subject parseSubject accepts.
const maxSubjectBytes = 512

// parseSubject splits detections.<class>.<id>.
func parseSubject(subject string) (class, id string, err error) {
	if len(subject) > maxSubjectBytes {
		return "", "", fmt.Errorf("%w: %d bytes exceeds %d", ErrSubject, len(subject), maxSubjectBytes)
	}
	parts := strings.Split(subject, ".")
	if len(parts) != 3 || parts[0] != "detections" || parts[1] == "" || parts[2] == "" {
		return "", "", fmt.Errorf("%w: %q, want detections.<class>.<id>", ErrSubject, subject)
	}
	return parts[1], parts[2], nil
}

// Tally compares what flight stored with what the bus holds.
type Tally struct {
	// Stored is the number of distinct detections flight stored.
	Stored int `json:"detections_stored"`
	// Published is the number of distinct detections on the stream.
	Published int `json:"detections_published"`
	// Messages is the stream's message count over detections.>.
	Messages int `json:"messages"`
	// Duplicates counts messages beyond the first on a subject.
	Duplicates int `json:"duplicates_published"`
	// Lost are stored detections never published, sorted; LostItems is
	// their number.
	Lost      []string `json:"lost_ids,omitempty"`
	LostItems int      `json:"lost_items"`
	// Unexpected are published detections flight never stored, sorted.
	Unexpected []string `json:"unexpected_ids,omitempty"`
	// DuplicateIDs are detections with more than one message, sorted.
	DuplicateIDs []string `json:"duplicate_ids,omitempty"`
}

// Compare tallies stored ids against the stream's message count per
// subject. A subject that is not detections.<class>.<id> is an error.
func Compare(stored map[string]bool, subjects map[string]uint64) (Tally, error) {
	t := Tally{Stored: len(stored)}
	published := make(map[string]bool, len(subjects))
	for subj, n := range subjects {
		_, id, err := parseSubject(subj)
		if err != nil {
			return Tally{}, err
		}
		if n == 0 {
			continue
		}
		if published[id] {
			// The same id under two classes: a duplicate too.
			t.Duplicates += int(n)
			t.DuplicateIDs = append(t.DuplicateIDs, id)
			t.Messages += int(n)
			continue
		}
		published[id] = true
		t.Messages += int(n)
		if n > 1 {
			t.Duplicates += int(n) - 1
			t.DuplicateIDs = append(t.DuplicateIDs, id)
		}
		if !stored[id] {
			t.Unexpected = append(t.Unexpected, id)
		}
	}
	t.Published = len(published)
	for id := range stored {
		if !published[id] {
			t.Lost = append(t.Lost, id)
		}
	}
	slices.Sort(t.Lost)
	t.LostItems = len(t.Lost)
	slices.Sort(t.Unexpected)
	slices.Sort(t.DuplicateIDs)
	t.DuplicateIDs = slices.Compact(t.DuplicateIDs)
	return t, nil
}
