package flight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Radio is the space link as flight sees it: TM frames go down, TC frames
// (uplink reports) come up. It is the PacketConn-like edge the simulator
// replaces with its lossy channel; UDPRadio is the default.
//
// WriteFrame sends one downlink frame (the radio may lose it; no error is
// owed for that). ReadFrame blocks for the next uplink frame, copies it
// into buf and returns its length, or returns ctx.Err() when ctx ends.
// WriteFrame and ReadFrame are called from different goroutines.
type Radio interface {
	WriteFrame(ctx context.Context, frame []byte) error
	ReadFrame(ctx context.Context, buf []byte) (int, error)
	Close() error
}

// UDPRadio sends each frame as one datagram to a peer and takes uplink
// frames from the datagrams arriving on its own socket.
type UDPRadio struct {
	conn *net.UDPConn
	peer *net.UDPAddr

	mu     sync.Mutex
	closed bool
}

// ListenUDP binds listen (host:port; port 0 picks one) and sends to peer.
func ListenUDP(listen, peer string) (*UDPRadio, error) {
	la, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("flight: radio.listen %q: %w", listen, err)
	}
	pa, err := net.ResolveUDPAddr("udp", peer)
	if err != nil {
		return nil, fmt.Errorf("flight: radio.peer %q: %w", peer, err)
	}
	c, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("flight: radio.listen %q: %w", listen, err)
	}
	return &UDPRadio{conn: c, peer: pa}, nil
}

// LocalAddr is the bound address (where uplink frames are to be sent).
func (r *UDPRadio) LocalAddr() net.Addr { return r.conn.LocalAddr() }

// WriteFrame sends frame to the peer as one datagram. A peer that is not
// listening (ICMP refused) is not an error: the frame is simply lost, as
// over the air.
func (r *UDPRadio) WriteFrame(_ context.Context, frame []byte) error {
	_, err := r.conn.WriteToUDP(frame, r.peer)
	if err != nil && isRefused(err) {
		return nil
	}
	return err
}

// ReadFrame returns the next datagram. It polls ctx every 100 ms of
// socket deadline (wall time: the socket knows no other clock).
func (r *UDPRadio) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := r.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			return 0, err
		}
		n, _, err := r.conn.ReadFromUDP(buf)
		if err == nil {
			return n, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) || isRefused(err) {
			continue
		}
		return 0, err
	}
}

// Close closes the socket; it is safe to call more than once.
func (r *UDPRadio) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.conn.Close()
}

// isRefused spots the ICMP port-unreachable a UDP socket reports for an
// earlier datagram: the peer's radio was off, not a fault of ours.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
