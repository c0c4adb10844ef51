package bus

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/skysieve/skysieve/downlink/settings"
)

// GroundUser is the embedded server's user for the ground service: the
// only one that may publish, create or delete streams.
const GroundUser = "skysieve-ground"

// Credentials are a user name and password on the embedded server.
type Credentials struct {
	User     string          `json:"user"`
	Password settings.Secret `json:"-"`
}

// credentialsFile is the stored form; the password is only ever in it.
type credentialsFile struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// Reader is a local user with read-only access to detections.>, alerts.>
// and the chips: it may create consumers and read, never publish, purge or
// delete.
type Reader struct {
	User     string
	Password settings.Secret
}

// LoadOrCreateCredentials returns ground's credentials from path, creating
// them (a random 32-byte password, mode 0600) at first start. A file that
// group or others may read is refused, as a key file is.
func LoadOrCreateCredentials(path string) (Credentials, error) {
	c, err := ReadCredentials(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	var pw [32]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	c = Credentials{User: GroundUser, Password: settings.Secret(base64.RawURLEncoding.EncodeToString(pw[:]))}
	b, _ := json.Marshal(credentialsFile{User: c.User, Password: c.Password.Reveal()})
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return c, nil
}

// ReadCredentials reads credentials written by LoadOrCreateCredentials
// (for tools on the ground machine, such as ground watch).
func ReadCredentials(path string) (Credentials, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Credentials{}, fmt.Errorf("%w: credentials file %s has mode %04o; it must not be accessible by group or others (chmod 600 %s)", ErrConfig, path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("bus: credentials: %w", err)
	}
	var f credentialsFile
	if err := json.Unmarshal(b, &f); err != nil || f.User == "" || f.Password == "" {
		return Credentials{}, fmt.Errorf("%w: credentials file %s: want {\"user\": ..., \"password\": ...}", ErrConfig, path)
	}
	return Credentials{User: f.User, Password: settings.Secret(f.Password)}, nil
}

// readerPermissions let a user read the Skysieve streams through
// JetStream consumers, direct gets and the chip bucket, and nothing else:
// no publish on detections.> or alerts.>, no stream create, update,
// purge or delete, no message delete.
func readerPermissions() *server.Permissions {
	var pub []string
	pub = append(pub, "$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
		"$JS.ACK.>", "$JS.FC.>", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.NAMES.*")
	for _, st := range []string{StreamDetections, StreamAlerts, "OBJ_" + BucketChips} {
		pub = append(pub,
			"$JS.API.STREAM.INFO."+st,
			"$JS.API.STREAM.MSG.GET."+st,
			"$JS.API.DIRECT.GET."+st, "$JS.API.DIRECT.GET."+st+".>",
			"$JS.API.CONSUMER.CREATE."+st, "$JS.API.CONSUMER.CREATE."+st+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+st+".*",
			"$JS.API.CONSUMER.INFO."+st+".*",
			"$JS.API.CONSUMER.DELETE."+st+".*",
			"$JS.API.CONSUMER.MSG.NEXT."+st+".*")
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", SubjectDetections, SubjectAlerts, "$O." + BucketChips + ".>"}},
	}
}

// serverUsers is the embedded server's user list: ground with every
// permission, the readers read-only.
func serverUsers(ground Credentials, readers []Reader) ([]*server.User, error) {
	users := []*server.User{{Username: ground.User, Password: ground.Password.Reveal()}}
	seen := map[string]bool{ground.User: true}
	for _, r := range readers {
		if r.User == "" || seen[r.User] || r.Password == "" {
			return nil, fmt.Errorf("%w: reader %q: want a unique user name, other than %s, with a password", ErrConfig, r.User, ground.User)
		}
		seen[r.User] = true
		users = append(users, &server.User{Username: r.User, Password: r.Password.Reveal(), Permissions: readerPermissions()})
	}
	return users, nil
}
