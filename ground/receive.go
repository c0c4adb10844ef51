package ground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/skysieve/skysieve/downlink/frame"
	"github.com/skysieve/skysieve/ground/kiss"
)

// rxFrame is one frame as a receiver got it.
type rxFrame struct {
	station string
	data    []byte
	// rxWall is the wall time of reception (for latency figures).
	rxWall time.Time
	// reply is the way back to where the frame came from (its datagram's
	// source, its KISS connection), or nil when the station's uplink is
	// fixed. It becomes the station's uplink only if the frame verifies.
	reply *replyPath
}

// uplinkFunc sends one TC frame to a station's modem.
type uplinkFunc func(tc []byte) error

// replyPath is one way to a station's modem. Paths are compared by
// identity: each source address or connection has its own.
type replyPath struct {
	send uplinkFunc
	dest string // description for logs
}

// stationLink tracks where a station's uplink goes: a configured address,
// or the path of the latest frame that passed MAC verification. Anything
// unauthenticated (a CRC error, a bad MAC, a replay, a new connection)
// never moves it, so reports cannot be stolen by sending garbage.
type stationLink struct {
	mu   sync.Mutex
	path *replyPath
}

func (l *stationLink) set(p *replyPath) {
	l.mu.Lock()
	l.path = p
	l.mu.Unlock()
}

// drop forgets p if it is the current path (its connection closed).
func (l *stationLink) drop(p *replyPath) {
	l.mu.Lock()
	if l.path == p {
		l.path = nil
	}
	l.mu.Unlock()
}

func (l *stationLink) get() (uplinkFunc, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == nil {
		return nil, ""
	}
	return l.path.send, l.path.dest
}

// udpReceiver reads one frame per datagram.
type udpReceiver struct {
	station string
	conn    *net.UDPConn
	uplink  *net.UDPAddr // fixed uplink address, or nil
	link    *stationLink
	log     *slog.Logger
}

func listenUDP(st UDPStation, link *stationLink, log *slog.Logger) (*udpReceiver, error) {
	addr, err := net.ResolveUDPAddr("udp", st.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: udp station %s listen %q: %v", ErrConfig, st.Station, st.Listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("ground: udp station %s: %w", st.Station, err)
	}
	// A pass arrives in bursts; let the kernel hold a few thousand frames.
	_ = conn.SetReadBuffer(8 << 20)
	r := &udpReceiver{station: st.Station, conn: conn, link: link, log: log}
	if st.Uplink != "" {
		up, err := net.ResolveUDPAddr("udp", st.Uplink)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: udp station %s uplink %q: %v", ErrConfig, st.Station, st.Uplink, err)
		}
		r.uplink = up
		link.set(&replyPath{send: func(tc []byte) error { _, err := conn.WriteToUDP(tc, up); return err }, dest: up.String()})
	}
	return r, nil
}

// run reads datagrams until the socket closes.
func (r *udpReceiver) run(ctx context.Context, out chan<- rxFrame) error {
	buf := make([]byte, 65536)
	var last *replyPath
	var lastFrom netip.AddrPort
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("ground: udp station %s: %w", r.station, err)
		}
		var reply *replyPath
		if r.uplink == nil {
			// Reports may go back to where this datagram came from, once
			// it verifies; one path per source, reused while it repeats.
			if last == nil || from != lastFrom {
				to := from
				last, lastFrom = &replyPath{send: func(tc []byte) error { _, err := r.conn.WriteToUDPAddrPort(tc, to); return err },
					dest: to.String()}, from
			}
			reply = last
		}
		select {
		case out <- rxFrame{station: r.station, data: append([]byte(nil), buf[:n]...), rxWall: time.Now(), reply: reply}:
		case <-ctx.Done():
			return nil
		}
	}
}

// Reasons a KISS connection is dropped, the "reason" label of
// skysieve_ground_kiss_connections_dropped_total.
const (
	kissDropCap  = "cap"  // refused: the station has MaxConns open
	kissDropIdle = "idle" // closed: a frame not completed within IdleTimeout
)

var kissDropMessage = map[string]string{
	kissDropCap:  "kiss connection refused: the station has max_conns connections open",
	kissDropIdle: "kiss connection closed: a KISS frame was not completed within idle_timeout",
}

func newKISSDroppedCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skysieve_ground_kiss_connections_dropped_total",
		Help: "KISS connections refused at the station's max_conns (reason cap) or closed for not completing a frame within idle_timeout (reason idle), by station.",
	}, []string{"station", "reason"})
}

// kissReceiver accepts TCP connections from a KISS modem, at most
// st.MaxConns at a time.
type kissReceiver struct {
	st         KISSStation
	ln         net.Listener
	frameBytes int
	link       *stationLink
	log        *slog.Logger
	kissErrors func()
	dropped    func(reason string, remote net.Addr)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed chan struct{} // closed by close
}

func listenKISS(st KISSStation, frameBytes int, link *stationLink, log *slog.Logger, kissErrors func(),
	dropped func(reason string, remote net.Addr)) (*kissReceiver, error) {
	r := &kissReceiver{st: st, frameBytes: frameBytes, link: link, log: log,
		kissErrors: kissErrors, dropped: dropped, conns: map[net.Conn]struct{}{}, closed: make(chan struct{})}
	if st.Mode == KISSClient {
		return r, nil
	}
	ln, err := net.Listen("tcp", st.Listen)
	if err != nil {
		return nil, fmt.Errorf("kiss station %s listen %q: %w", st.Station, st.Listen, err)
	}
	r.ln = ln
	return r, nil
}

// KISS client reconnect backoff: doubling from the first to the cap, back
// to the first after a connection that delivered a frame.
const (
	kissBackoffFirst = 500 * time.Millisecond
	kissBackoffMax   = 30 * time.Second
)

// runClient connects to the modem's KISS server and serves the connection,
// reconnecting with backoff until ctx ends or the receiver is closed.
func (r *kissReceiver) runClient(ctx context.Context, out chan<- rxFrame) error {
	backoff := kissBackoffFirst
	failures := 0
	for {
		d := net.Dialer{Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, "tcp", r.st.Listen)
		if err == nil {
			r.mu.Lock()
			if r.isClosed() {
				r.mu.Unlock()
				c.Close()
				return nil
			}
			r.conns[c] = struct{}{}
			r.mu.Unlock()
			r.log.Info("kiss modem connected", "station", r.st.Station, "remote", c.RemoteAddr(), "mode", KISSClient)
			failures = 0
			if r.serveConn(ctx, c, out) {
				backoff = kissBackoffFirst
			}
		} else {
			failures++
			if failures == 1 || failures%10 == 0 {
				r.log.Warn("kiss modem unreachable; retrying", "station", r.st.Station, "addr", r.st.Listen,
					"attempts", failures, "retry_in", backoff, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.closed:
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, kissBackoffMax)
	}
}

func (r *kissReceiver) isClosed() bool {
	select {
	case <-r.closed:
		return true
	default:
		return false
	}
}

// serveConn serves one modem connection until it ends, then forgets it;
// it says whether the connection delivered any frame.
func (r *kissReceiver) serveConn(ctx context.Context, c net.Conn, out chan<- rxFrame) bool {
	var wmu sync.Mutex
	// The connection becomes the uplink once it delivers a verified
	// frame, not when it connects.
	reply := &replyPath{send: func(tc []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Write(kiss.Append(nil, 0, kiss.CmdData, tc))
		return err
	}, dest: c.RemoteAddr().String()}
	var sent atomic.Int64
	err := r.serve(ctx, c, out, reply, &sent)
	r.link.drop(reply)
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
	r.log.Info("kiss modem disconnected", "station", r.st.Station, "remote", c.RemoteAddr(), "err", err)
	return sent.Load() > 0
}

func (r *kissReceiver) run(ctx context.Context, out chan<- rxFrame) error {
	if r.ln == nil {
		return r.runClient(ctx, out)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("kiss station %s: %w", r.st.Station, err)
		}
		r.mu.Lock()
		full := len(r.conns) >= r.st.MaxConns
		if !full {
			r.conns[c] = struct{}{}
		}
		r.mu.Unlock()
		if full {
			r.dropped(kissDropCap, c.RemoteAddr())
			c.Close()
			continue
		}
		r.log.Info("kiss modem connected", "station", r.st.Station, "remote", c.RemoteAddr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.serveConn(ctx, c, out)
		}()
	}
}

// serve decodes one modem connection, counting the frames handed on in
// sent.
func (r *kissReceiver) serve(ctx context.Context, c net.Conn, out chan<- rxFrame, reply *replyPath, sent *atomic.Int64) error {
	guard := &frameGuard{c: c, timeout: r.st.IdleTimeout}
	dec := kiss.NewDecoder(guard, r.frameBytes*4+64)
	var pw *io.PipeWriter
	if r.st.Sync {
		// The KISS payloads form a byte stream of ASM-marked, randomised
		// frames; a synchroniser cuts it into frames.
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		defer pw.Close()
		sync, err := frame.NewSynchronizer(pr, r.frameBytes)
		if err != nil {
			return err
		}
		go func() {
			for {
				f, err := sync.Next()
				if err != nil {
					_ = pr.CloseWithError(err)
					return
				}
				select {
				case out <- rxFrame{station: r.st.Station, data: append([]byte(nil), f...), rxWall: time.Now(), reply: reply}:
					sent.Add(1)
				case <-ctx.Done():
					_ = pr.CloseWithError(ctx.Err())
					return
				}
			}
		}()
	}
	for {
		f, err := dec.Next()
		switch {
		case errors.Is(err, kiss.ErrBadEscape), errors.Is(err, kiss.ErrTooLong):
			r.kissErrors()
			r.log.Debug("damaged kiss frame dropped", "station", r.st.Station, "err", err)
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			r.dropped(kissDropIdle, c.RemoteAddr())
			return fmt.Errorf("no complete KISS frame within idle_timeout %s", r.st.IdleTimeout)
		case err != nil:
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if f.Command != kiss.CmdData {
			continue
		}
		if pw != nil {
			if _, err := pw.Write(f.Data); err != nil {
				return err
			}
		} else {
			select {
			case out <- rxFrame{station: r.st.Station, data: append([]byte(nil), f.Data...), rxWall: time.Now(), reply: reply}:
				sent.Add(1)
			case <-ctx.Done():
				return nil
			}
		}
		// Only a data frame that could be a TM frame (or, synchronised,
		// any stream chunk) restarts the clock, once it is handed on: a
		// trickle of tiny or broken frames does not keep a slot, and a
		// busy processing loop does not count against the modem.
		if pw != nil || len(f.Data) == r.frameBytes {
			guard.frameDone(dec.Buffered() > 0)
		}
	}
}

// close stops accepting (or reconnecting) and closes open connections.
func (r *kissReceiver) close() {
	if r.ln != nil {
		r.ln.Close()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.isClosed() {
		close(r.closed)
	}
	for c := range r.conns {
		c.Close()
	}
}

// frameGuard sits under a connection's KISS decoder and times each frame:
// from the first byte after the last complete frame, the rest of the frame
// must arrive within timeout, or reads fail with os.ErrDeadlineExceeded.
// With no frame begun there is no deadline. Deadlines are wall time: the
// socket knows no other clock.
type frameGuard struct {
	c       net.Conn
	timeout time.Duration
	begun   time.Time // first byte of the open frame; zero if none
}

func (g *frameGuard) Read(p []byte) (int, error) {
	var deadline time.Time
	if !g.begun.IsZero() {
		deadline = g.begun.Add(g.timeout)
	}
	if err := g.c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	n, err := g.c.Read(p)
	if n > 0 && g.begun.IsZero() {
		g.begun = time.Now()
	}
	return n, err
}

// frameDone restarts the clock after a complete frame; buffered says
// bytes of the next frame have already been read.
func (g *frameGuard) frameDone(buffered bool) {
	g.begun = time.Time{}
	if buffered {
		g.begun = time.Now()
	}
}
