package clock

import (
	"context"
	"testing"
	"time"
)

func TestVirtualWakesInOrder(t *testing.T) {
	start := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	a, b := v.After(2*time.Second), v.After(time.Second)
	select {
	case <-a:
		t.Fatal("woke before time moved")
	case <-b:
		t.Fatal("woke before time moved")
	default:
	}
	v.Advance(1500 * time.Millisecond)
	if got := <-b; !got.Equal(start.Add(time.Second)) {
		t.Fatalf("b fired at %v", got)
	}
	select {
	case <-a:
		t.Fatal("a fired early")
	default:
	}
	if d, ok := v.NextDeadline(); !ok || !d.Equal(start.Add(2*time.Second)) {
		t.Fatalf("NextDeadline = %v %v", d, ok)
	}
	v.Set(start) // backwards is ignored
	if !v.Now().Equal(start.Add(1500 * time.Millisecond)) {
		t.Fatal("clock went backwards")
	}
	v.Advance(time.Second)
	<-a
	if v.Waiters() != 0 {
		t.Fatal("waiters left")
	}
}

func TestVirtualSleepCancel(t *testing.T) {
	v := NewVirtual(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Sleep = %v", err)
	}
}
