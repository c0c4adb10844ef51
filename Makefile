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
.PHONY: all build ort landsat model model-seg model-deps model-cross run test test-go test-race test-arm64 flight-arm64 arm64-deps \
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

# Rebuild the candidate per-pixel triage model (contract v2,
# testdata/model/triage-seg.onnx; not yet the default: see
# testdata/model/README.md) from its seeds: `triage dump-train` cuts
# training and validation patches from both scene generators (synth's
# MixWide and scenery; held-out seeds for validation), then PyTorch
# (Debian's python3-torch and python3-onnx) trains and exports it.
# Validation reports go to out/train/*.json. `make model-cross` trains one
# model per generator and scores each on both (train on A, test on B and
# the reverse).
SEG_PY    := /usr/bin/python3 triage/train/train_seg.py
SEG_DATA  := out/train
SEG_STEPS ?= 3000
SEG_CROSS_STEPS ?= 800
SEG_SEED  ?= 1
SEG_VAL   := synth=$(SEG_DATA)/synth-val.bin scenery=$(SEG_DATA)/scenery-val.bin

model-deps:
	@./.ci/deps.sh python3-torch:/usr/lib/python3/dist-packages/torch python3-onnx:/usr/lib/python3/dist-packages/onnx

$(SEG_DATA)/%-train.bin:
	@mkdir -p $(SEG_DATA)
	$(GO) run ./triage/cmd/triage dump-train --gen $* --seed 1001 --count 4000 --patch 64 --out $@

$(SEG_DATA)/%-val.bin:
	@mkdir -p $(SEG_DATA)
	$(GO) run ./triage/cmd/triage dump-train --gen $* --seed 9001 --count 800 --patch 64 --out $@

SEG_FILES := $(SEG_DATA)/synth-train.bin $(SEG_DATA)/scenery-train.bin $(SEG_DATA)/synth-val.bin $(SEG_DATA)/scenery-val.bin

model-seg: model-deps $(SEG_FILES)
	$(SEG_PY) --train $(SEG_DATA)/synth-train.bin $(SEG_DATA)/scenery-train.bin --val $(SEG_VAL) \
		--generators synth,scenery --seed $(SEG_SEED) --steps $(SEG_STEPS) --model-version seg-4 \
		--out testdata/model/triage-seg.onnx --report $(SEG_DATA)/seg-report.json

model-cross: model-deps $(SEG_FILES)
	$(SEG_PY) --train $(SEG_DATA)/synth-train.bin --val $(SEG_VAL) --generators synth --seed $(SEG_SEED) \
		--steps $(SEG_CROSS_STEPS) --model-version seg-4-synth --out $(SEG_DATA)/seg-synth.onnx --report $(SEG_DATA)/seg-synth-report.json
	$(SEG_PY) --train $(SEG_DATA)/scenery-train.bin --val $(SEG_VAL) --generators scenery --seed $(SEG_SEED) \
		--steps $(SEG_CROSS_STEPS) --model-version seg-4-scenery --out $(SEG_DATA)/seg-scenery.onnx --report $(SEG_DATA)/seg-scenery-report.json

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
