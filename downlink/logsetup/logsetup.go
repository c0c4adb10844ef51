// Package logsetup is the one logging setup of every Skysieve binary:
// log/slog to stderr, --log-level and --log-format (text or json), every
// duration in seconds, and start and stop lines that say why the process
// stops (a signal, or an error).
package logsetup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Level and format flag names, and the config keys they bind to.
const (
	LevelFlag  = "log-level"
	FormatFlag = "log-format"
	LevelKey   = "log.level"
	FormatKey  = "log.format"
)

// ParseLevel reads debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// CheckFormat accepts text or json.
func CheckFormat(s string) error {
	if s != "text" && s != "json" {
		return fmt.Errorf("log format %q: want text or json", s)
	}
	return nil
}

// AddFlags defines --log-level (default info) and --log-format (default
// text) on fs.
func AddFlags(fs *pflag.FlagSet) {
	fs.String(LevelFlag, "info", "log level: debug, info, warn or error")
	fs.String(FormatFlag, "text", "log format: text (logfmt) or json")
}

// New returns a logger writing to w at level in format (text or json).
// Durations are written as seconds (a float), in both formats, so a
// 1.5 s wait reads latency=1.5, never 1500000000.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	l, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	if err := CheckFormat(format); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l, ReplaceAttr: seconds}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// FromFlags is New on stderr with the values of fs's --log-level and
// --log-format.
func FromFlags(fs *pflag.FlagSet) (*slog.Logger, error) {
	level, err := fs.GetString(LevelFlag)
	if err != nil {
		return nil, err
	}
	format, err := fs.GetString(FormatFlag)
	if err != nil {
		return nil, err
	}
	return New(os.Stderr, level, format)
}

func seconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}

// Signal is the cause of a context ended by SIGTERM or SIGINT; its text
// names the signal ("signal terminated").
type Signal struct{ os.Signal }

func (s Signal) Error() string { return "signal " + s.Signal.String() }

// SignalContext is ctx ended by the first SIGTERM or SIGINT, with a Signal
// as its context.Cause. stop releases the signal handling.
func SignalContext(ctx context.Context) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(Signal{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// Run logs a start line, runs fn, and logs an exit line with the reason:
// the cause of ctx's end (a signal), or fn's error, or "done". It
// returns fn's error.
func Run(ctx context.Context, log *slog.Logger, name string, fn func(context.Context) error, attrs ...any) error {
	start := time.Now()
	log.Info(name+" starting", attrs...)
	err := fn(ctx)
	reason := "done"
	switch {
	case err != nil:
		reason = err.Error()
	case ctx.Err() != nil:
		reason = context.Cause(ctx).Error()
	}
	lvl := slog.LevelInfo
	if err != nil {
		lvl = slog.LevelError
	}
	log.Log(context.Background(), lvl, name+" exiting", "reason", reason, "uptime", time.Since(start))
	return err
}

// Root gives root and all its subcommands --log-level and --log-format
// (persistent flags), and makes the logger they ask for slog's default
// before any subcommand runs. A subcommand may define the two flags
// itself (bound to config keys) and build its own logger with New.
func Root(root *cobra.Command) {
	AddFlags(root.PersistentFlags())
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		log, err := FromFlags(cmd.Flags())
		if err != nil {
			return err
		}
		slog.SetDefault(log)
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

// ErrorLine is the line a binary prints for its fatal error: "name: msg",
// with name's own prefix dropped wherever the wrapping repeated it
// ("ground: ground: bad" and "ground: x: ground: bad" read
// "ground: bad" and "ground: x: bad").
func ErrorLine(name string, err error) string {
	p := name + ": "
	msg := strings.TrimPrefix(err.Error(), p)
	for strings.HasPrefix(msg, p) {
		msg = strings.TrimPrefix(msg, p)
	}
	for strings.Contains(msg, ": "+p) {
		msg = strings.ReplaceAll(msg, ": "+p, ": ")
	}
	return p + msg
}
