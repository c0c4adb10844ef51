package procs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is one service binary run as a child process, restartable on the
// same arguments. Its stdout and stderr are appended to logPath.
type child struct {
	target  Target
	bin     string
	args    []string
	env     []string
	logPath string
	// httpAddr serves /readyz and /metrics.
	httpAddr string
	// exits receives an error when the process ends without Run asking.
	exits chan<- error

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	expected bool
	starts   int
}

// start launches the process. The previous one, if any, must have ended.
func (c *child) start() error {
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %s log: %w", ErrChild, c.target, err)
	}
	cmd := exec.Command(c.bin, c.args...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// The child dies with the parent, so a killed test leaves no orphans.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("%w: start %s: %w", ErrChild, c.bin, err)
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.done, c.expected = cmd, done, false
	c.starts++
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		c.mu.Lock()
		expected := c.expected
		c.mu.Unlock()
		close(done)
		if !expected {
			select {
			case c.exits <- fmt.Errorf("%w: %s exited on its own (%v); last log lines:\n%s", ErrChild, c.target, err, tail(c.logPath, 20)):
			default: // Run has an exit to report already
			}
		}
	}()
	return nil
}

// running reports whether a started process has not ended.
func (c *child) running() bool {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// waitReady polls /readyz until it answers 200, the process ends, or
// timeout passes.
func (c *child) waitReady(ctx context.Context, timeout time.Duration) error {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	url := "http://" + c.httpAddr + "/readyz"
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s not ready after %s; last log lines:\n%s", ErrChild, c.target, timeout, tail(c.logPath, 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return fmt.Errorf("%w: %s exited before it was ready; last log lines:\n%s", ErrChild, c.target, tail(c.logPath, 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// signal sends sig to a running process and waits up to timeout for it to
// end (then kills it); the exit is expected.
func (c *child) signal(sig syscall.Signal, timeout time.Duration) error {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.expected = true
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%w: signal %s: %w", ErrChild, c.target, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
	}
	_ = cmd.Process.Kill()
	<-done
	if sig == syscall.SIGKILL {
		return nil
	}
	return fmt.Errorf("%w: %s did not stop within %s of %v; killed", ErrChild, c.target, timeout, sig)
}

// kill is SIGKILL: the process ends at once, mid-write if it was writing.
func (c *child) kill() error { return c.signal(syscall.SIGKILL, 10*time.Second) }

// stop is SIGTERM: a graceful shutdown.
func (c *child) stop() error { return c.signal(syscall.SIGTERM, 20*time.Second) }

// metrics fetches the child's Prometheus text exposition.
func (c *child) metrics() (string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + c.httpAddr + "/metrics")
	if err != nil {
		return "", fmt.Errorf("%w: %s metrics: %w", ErrChild, c.target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBytes+1))
	if err != nil {
		return "", fmt.Errorf("%w: %s metrics: %w", ErrChild, c.target, err)
	}
	return string(b), nil
}

// readyBody fetches /readyz's body (the ground reports its outbox there).
func (c *child) readyBody() (string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + c.httpAddr + "/readyz")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(b), err
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port that was free a moment ago for network
// ("tcp" or "udp"). Children bind fixed ports so a restarted one is found
// at the same address.
func freePort(network string) (int, error) {
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	default:
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
}
