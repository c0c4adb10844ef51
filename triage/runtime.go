package triage

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ORTVersion is the ONNX Runtime release whose C API matches the headers of
// the pinned onnxruntime_go (ORT_API_VERSION 24). The Makefile fetches this
// release; a library older than it cannot serve the API and is refused.
const ORTVersion = "1.24.3"

// EnvORTLibrary names the environment variable that points at the ONNX
// Runtime shared library. Config key ort.library sets the same thing.
const EnvORTLibrary = "SKYSIEVE_ORT_LIB"

// ErrRuntimeMissing reports that no ONNX Runtime shared library was found.
var ErrRuntimeMissing = errors.New("ONNX Runtime library not found")

var runtimeState struct {
	sync.Mutex
	path    string
	version string
}

// ortCacheRel is where `make ort` unpacks the library, relative to the
// project root.
func ortCacheRel() string {
	arch := runtime.GOARCH
	if arch == "amd64" {
		arch = "x64"
	}
	return filepath.Join(".cache", "ort", ORTVersion, "linux-"+arch, "libonnxruntime.so.1")
}

// DefaultRuntimePath returns where the ONNX Runtime library is expected: the
// SKYSIEVE_ORT_LIB environment variable if set; otherwise the `make ort`
// cache found from the executable's folder or, walking up, from the working
// directory (so `go test` finds it from any package folder). When nothing
// exists it returns the path it would have used first, so the caller's error
// names a concrete place.
func DefaultRuntimePath() string {
	if p := os.Getenv(EnvORTLibrary); p != "" {
		return p
	}
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		candidates = append(candidates,
			filepath.Join(dir, "..", ortCacheRel()),
			filepath.Join(dir, "libonnxruntime.so.1"))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, ortCacheRel()))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return filepath.Clean(c)
		}
	}
	return ortCacheRel()
}

// InitRuntime loads the ONNX Runtime shared library at path (DefaultRuntimePath
// when empty) and creates the process-wide ORT environment. It is safe to call
// more than once with the same path; a different path after a successful load
// is an error, since ORT allows one environment per process. Every failure is
// one line naming the library and what to do: missing file, not a shared
// library for this machine, not ONNX Runtime, or a release older than
// ORTVersion.
func InitRuntime(path string) error {
	if path == "" {
		path = DefaultRuntimePath()
	}
	runtimeState.Lock()
	defer runtimeState.Unlock()
	if runtimeState.path != "" {
		if runtimeState.path != path {
			return fmt.Errorf("ONNX Runtime already loaded from %s; cannot also load %s", runtimeState.path, path)
		}
		return nil
	}
	if err := checkLibraryFile(path); err != nil {
		return err
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		return fmt.Errorf("ONNX Runtime library %s could not be initialised (Skysieve needs release %s or newer; run `make ort`): %s", path, ORTVersion, msg)
	}
	v := ort.GetVersion()
	if !versionAtLeast(v, ORTVersion) {
		_ = ort.DestroyEnvironment()
		return fmt.Errorf("ONNX Runtime library %s is release %s; Skysieve needs %s or newer (run `make ort`)", path, v, ORTVersion)
	}
	runtimeState.path, runtimeState.version = path, v
	return nil
}

// RuntimeVersion returns the loaded ONNX Runtime release, or "" before InitRuntime.
func RuntimeVersion() string {
	runtimeState.Lock()
	defer runtimeState.Unlock()
	return runtimeState.version
}

// checkLibraryFile catches the common mistakes before dlopen, whose own
// messages are cryptic and which cannot be undone cleanly.
func checkLibraryFile(path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w at %s: run `make ort` to fetch release %s, or set %s (config key ort.library) to libonnxruntime.so", ErrRuntimeMissing, path, ORTVersion, EnvORTLibrary)
		}
		return fmt.Errorf("ONNX Runtime library %s: %w", path, err)
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("ONNX Runtime library %s is not a shared library: %v", path, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if want != 0 && f.Machine != want {
		return fmt.Errorf("ONNX Runtime library %s is built for %v, this process is linux/%s", path, f.Machine, runtime.GOARCH)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("ONNX Runtime library %s has no dynamic symbols: %v", path, err)
	}
	for _, s := range syms {
		if s.Name == "OrtGetApiBase" {
			return nil
		}
	}
	return fmt.Errorf("ONNX Runtime library %s does not export OrtGetApiBase: it is not ONNX Runtime", path)
}

// versionAtLeast compares dotted numeric versions ("1.24.3").
func versionAtLeast(have, want string) bool {
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := 0; i < len(w); i++ {
		var hv int
		if i < len(h) {
			hv, _ = strconv.Atoi(h[i])
		}
		wv, _ := strconv.Atoi(w[i])
		if hv != wv {
			return hv > wv
		}
	}
	return true
}
