# markd — counter daemon for electronic postage marks.
# `make demo` builds everything and runs the daemon on a demo scan stream;
# `make test` runs every test (what CI runs).

GO        ?= go
BIN       := bin
FUZZTIME  ?= 3s
export CGO_ENABLED := 1

.PHONY: all build demo dist test test-windows vet fuzz bench bench-all clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/markd ./cmd/markd
	@if [ -d cmd/markhub ]; then $(GO) build -o $(BIN)/markhub ./cmd/markhub; fi

demo: build
	bash scripts/demo.sh

# go's ./... leaves out every folder named testdata, so the test harness
# package internal/testdata is named on its own.
PKGS = ./... ./internal/testdata/

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet $(PKGS)
	CGO_ENABLED=0 GOOS=windows $(GO) vet $(PKGS)

# All tests. Every fuzz target's seed corpus (f.Add and testdata/fuzz/)
# runs here as an ordinary test, compiled once with its package; mutation
# fuzzing is `make fuzz`.
test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)
	bash scripts/wine-test.sh

# Release artifacts in dist/: linux amd64/arm64 tar.gz and .deb (static,
# glibc-independent), windows amd64 zip and .msi, SHA256SUMS.
# VERSION=1.2.3 make dist for a release.
dist:
	bash scripts/dist.sh

# The Windows part of make test alone: markd.exe and markhub.exe built with
# mingw-w64 and tested under wine (skipped when those are not installed).
test-windows:
	bash scripts/wine-test.sh

# Mutation fuzzing of every fuzz target: make fuzz FUZZTIME=5m (default 60s each)
fuzz:
	FUZZTIME=$(if $(filter 3s,$(FUZZTIME)),60s,$(FUZZTIME)) bash scripts/fuzz.sh

# The issue-12 table: goal / measured / ratio / met (bench/perf.sh; the
# 1M-scan store is generated once into bench/.cache/).
bench: build
	bash bench/perf.sh

# Go benchmarks plus every bench/ script (each prints its own table).
bench-all: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in bench/*.sh; do [ -f "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf $(BIN) demo
