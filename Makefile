# Skysieve build. Every target installs what it needs: Go modules through
# the go command, ONNX Runtime through `make ort`, Debian packages through
# .ci/deps.sh (as root).

GO       ?= go
ORT_VER  := 1.24.3
ORT_LIB  := $(CURDIR)/.cache/ort/$(ORT_VER)/linux-x64/libonnxruntime.so.1
ORT_ARM  := $(CURDIR)/.cache/ort/$(ORT_VER)/linux-arm64/libonnxruntime.so.1
export SKYSIEVE_ORT_LIB ?= $(ORT_LIB)
BINS     := flight ground sim triage
# Packages whose tests also run as linux/arm64 code under qemu (triage's
# eval runs natively only: under qemu it takes minutes, and it checks the
# model, not the machine).
ARM64_PKGS := ./downlink/... ./flight/...
FUZZTIME ?= 60s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

SHELL    := /bin/bash
.PHONY: all build ort landsat model run test test-go test-race test-arm64 flight-arm64 arm64-deps \
        fuzz fuzz-short soak bench lint clean

all: build

ort: $(ORT_LIB) $(ORT_ARM)
$(ORT_LIB) $(ORT_ARM):
	@./.ci/ort.sh

landsat: .cache/landsat/L7_ETMs.tif
.cache/landsat/L7_ETMs.tif:
	@./.ci/landsat.sh

build: ort
	@mkdir -p bin
	$(GO) build -o bin/ ./flight/cmd/flight ./ground/cmd/ground ./sim/cmd/sim ./triage/cmd/triage

# Rebuild the default triage model from its recorded seed (trained in Go).
model: ort
	$(GO) run ./triage/cmd/triage build-model -o testdata/model/triage.onnx

arm64-deps:
	@./.ci/deps.sh gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc qemu-user:qemu-aarch64 util-linux:unshare

flight-arm64: arm64-deps ort
	@mkdir -p bin
	CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc $(GO) build -o bin/flight-arm64 ./flight/cmd/flight

# The main job: a simulated day (default scenario: real ONNX Runtime triage,
# real flight and ground services, embedded NATS JetStream, lossy UDP channel)
# against the raw-downlink baseline; ends with the summary and the report path.
# The sim generates a fresh link key file for the run (never the public
# development keys, so no --insecure-dev-keys) and reads the bus as a
# read-only NATS user.
run: build
	./bin/sim run --json out/sim/report.json --html out/sim

# The closing line of `make test` is the Go tests' "N passed, N failed, N skipped".
test: fuzz-short test-arm64 test-go test-race

# The triage pipeline's goroutines (fill, inference, decisions) under the
# race detector, on scenes of one and of several batches and on backlogs.
test-race: ort landsat
	$(GO) test -race -count=1 -run '^(TestTriageScene|TestTriageScenes|TestTriageCancelled|TestLandsatOlinda)$$' ./triage

test-go: ort landsat
	@mkdir -p out
	@set -o pipefail; $(GO) test -count=1 -timeout 30m -json ./... | tee out/test.json | $(GO) run ./.ci/testsum

test-arm64: flight-arm64 landsat
	./.ci/arm64-run.sh bin/flight-arm64 selftest --ort-lib $(ORT_ARM)
	ARM64_TEST_ARGS="-test.skip ^TestEvalThresholds$$" ./.ci/test-arm64.sh ./triage
	./.ci/test-arm64.sh $(ARM64_PKGS)

fuzz-short:
	@FUZZTIME=2s ./.ci/fuzz.sh

fuzz: ort
	@FUZZTIME=$(FUZZTIME) ./.ci/fuzz.sh

# Long crash and soak loops; tests scale up when SKYSIEVE_SOAK=1.
soak: ort landsat
	SKYSIEVE_SOAK=1 $(GO) test -count=1 -timeout 120m -run 'Soak|Crash' ./...

# Benchmarks and evals write machine-readable figures to out/bench/*.json.
# Each package's TestBenchJSON runs only when SKYSIEVE_BENCH_DIR is set; one
# package at a time (-p 1) so benchmarks do not compete for the two cores.
bench: ort landsat
	@mkdir -p out/bench
	SKYSIEVE_BENCH_DIR=$(CURDIR)/out/bench $(GO) test -p 1 -count=1 -timeout 60m -run '^TestBenchJSON' ./...
	@ls out/bench

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin out
