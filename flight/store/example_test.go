package store_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/skysieve/skysieve/downlink/clock"
	"github.com/skysieve/skysieve/flight/store"
)

// A detection's life in the store: put, offered to a pass, partly sent,
// acknowledged by ground.
func Example() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	clk := clock.NewVirtual(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	s, rep, err := store.Open(filepath.Join(dir, "flight.db"), store.Options{
		HardLimitBytes: 64 << 20,
		ExpiryByClass:  map[string]time.Duration{"fire": 6 * time.Hour},
		Clock:          clk,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println("created:", rep.Created)

	ctx := context.Background()
	for i, value := range []float64{0.4, 0.9} {
		err := s.Put(ctx, store.Item{
			ID: fmt.Sprintf("%016x", i), Class: "fire", PriorityClass: 1, Value: value,
			Record: []byte(`{"id":"..."}`), Chip: make([]byte, 8<<10),
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	next, _ := s.Next(10, 12<<10) // room for one 8 KiB chip
	for _, e := range next {
		fmt.Println("send", e.Item.ID, e.State)
	}
	_ = s.MarkSent(next[0].Item.ID, "pass-0001", []int{0, 1, 2})
	c, _ := s.Custody(next[0].Item.ID)
	fmt.Println("custody", c.State, c.Sent)
	_ = s.Ack(next[0].Item.ID)
	c, _ = s.Custody(next[0].Item.ID)
	fmt.Println("custody", c.State)
	fmt.Println("acknowledged:", s.Stats().Deleted[store.ReasonAcknowledged])
	// Output:
	// created: true
	// send 0000000000000001 queued
	// custody in_flight [{pass-0001 [0 1 2]}]
	// custody acknowledged
	// acknowledged: 1
}
