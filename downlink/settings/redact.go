package settings

import (
	"log/slog"
	"net/url"
	"strings"
)

// Redacted is what a secret is printed as.
const Redacted = "[redacted]"

// Secret is a string that never prints itself: in fmt verbs and in slog
// attributes it shows as Redacted. Reveal returns the value.
type Secret string

// String returns Redacted (fmt's %v and %s use it).
func (s Secret) String() string { return Redacted }

// GoString returns Redacted (fmt's %#v).
func (s Secret) GoString() string { return Redacted }

// LogValue returns Redacted, for slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// Reveal returns the secret itself, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// RedactURL replaces the password (or the token, when the user part alone
// is given) in each of a comma-separated list of URLs with Redacted, so
// the result can be logged or written to a file. Text that does not parse
// as a URL is returned with anything before an "@" replaced.
func RedactURL(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		parts[i] = redactOne(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}

func redactOne(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			return Redacted + p[at:]
		}
		return p
	}
	if u.User == nil {
		return p
	}
	if _, hasPass := u.User.Password(); hasPass {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	} else {
		u.User = url.User("REDACTED")
	}
	return strings.Replace(u.String(), "REDACTED", Redacted, 1)
}

// StripUserinfo removes user names, passwords and tokens from each of a
// comma-separated list of URLs, for files other tools read to find a
// server (they bring their own credentials).
func StripUserinfo(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		parts[i] = p
		u, err := url.Parse(p)
		if err != nil || u.User == nil {
			continue
		}
		u.User = nil
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}
