package triage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRuntimeSmoke loads the real ONNX Runtime library and runs SelfTest.
func TestRuntimeSmoke(t *testing.T) {
	if err := InitRuntime(""); err != nil {
		t.Fatal(err)
	}
	e, err := SelfTest()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ONNX Runtime %s ran the self-test model, max error %g", RuntimeVersion(), e)
}

func TestRuntimeLibraryErrors(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(notELF, []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.so"), "not found at"},
		{"not a shared library", notELF, "not a shared library"},
		{"not ONNX Runtime", self, "OrtGetApiBase"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkLibraryFile(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("checkLibraryFile(%s) = %v, want one line containing %q", c.path, err, c.want)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		have string
		ok   bool
	}{{"1.24.3", true}, {"1.24.4", true}, {"1.25.0", true}, {"2.0", true}, {"1.24.2", false}, {"1.20.1", false}, {"", false}} {
		if got := versionAtLeast(c.have, ORTVersion); got != c.ok {
			t.Errorf("versionAtLeast(%q) = %v", c.have, got)
		}
	}
}
