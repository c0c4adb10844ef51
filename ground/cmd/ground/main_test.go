package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/skysieve/skysieve/ground"
)

// watch finds ground through SKYSIEVE_DATA_DIR when --data-dir is not
// given: with no ground there, the error names that folder.
func TestWatchDataDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SKYSIEVE_DATA_DIR", dir)
	t.Setenv("SKYSIEVE_NATS_URL", "")
	cmd := watchCmd()
	cmd.SetArgs(nil)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "no running ground in "+dir) {
		t.Fatalf("watch: %v, want an error naming %s", err, dir)
	}
}

// `ground run --help` shows where the default station listens.
func TestRunHelpShowsDefaultStation(t *testing.T) {
	var out bytes.Buffer
	cmd := runCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "default local="+ground.DefaultUDPListen) {
		t.Fatalf("help does not show the default station:\n%s", out.String())
	}
}
