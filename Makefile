# lumper — build, test and run a private containerd for development and CI.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/_output/bin
# containerd, its shim and ctr are built from the version go.mod pins.
CTD_TAGS := no_btrfs,no_devmapper,no_zfs
CTD_PKGS := github.com/containerd/containerd/v2/cmd/containerd \
	github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
	github.com/containerd/containerd/v2/cmd/ctr
LDFLAGS := -s -w
export LUMPER_CTD_DIR ?= /tmp/lumper-containerd
PREFIX ?= /usr/local

.PHONY: test-compat fuzz all build deps containerd containerd-up containerd-down demo test test-unit \
	test-integration lint arch tidy fmt vet bench bench-smoke install clean

all: build

## build: lumper and lumper-logger into _output/bin
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/lumper ./cmd/lumper-logger

## deps: Debian packages lumper and its tests need (runc, static busybox, CNI plugins, iptables, a registry)
deps:
	@missing=""; \
	command -v runc >/dev/null || missing="$$missing runc"; \
	[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || missing="$$missing busybox-static"; \
	[ -x /usr/lib/cni/bridge ] || missing="$$missing containernetworking-plugins"; \
	command -v iptables-save >/dev/null || missing="$$missing iptables"; \
	command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## containerd: containerd, containerd-shim-runc-v2 and ctr at the go.mod version
containerd: $(BIN)/containerd
$(BIN)/containerd: go.mod go.sum
	$(GO) build -trimpath -tags $(CTD_TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/ $(CTD_PKGS)
	@touch $@

## containerd-up / containerd-down: a private containerd under $(LUMPER_CTD_DIR)
containerd-up: deps containerd
	@hack/containerd.sh up

containerd-down:
	@hack/containerd.sh down

## demo: install what is needed, start a private containerd, run lumper end to end
demo: deps build containerd-up
	@hack/demo.sh

## test: unit and integration tests (integration needs root; it starts its own containerd)
test: test-unit test-integration

test-unit:
	$(GO) test -count=1 ./...

test-integration: deps build containerd
	LUMPER_BIN_DIR=$(BIN) $(GO) test -tags integration -count=1 -timeout 25m ./test/integration/

## test-compat: the integration suite against containerd 1.7 (hack/compat/containerd-1.7)
COMPAT := $(CURDIR)/_output/compat/1.7
$(COMPAT)/containerd: hack/compat/containerd-1.7/go.mod hack/compat/containerd-1.7/go.sum
	cd hack/compat/containerd-1.7 && $(GO) build -trimpath -tags $(CTD_TAGS) -ldflags '$(LDFLAGS)' -o $(COMPAT)/ \
		github.com/containerd/containerd/cmd/containerd github.com/containerd/containerd/cmd/containerd-shim-runc-v2
	@touch $@

test-compat: deps build containerd $(COMPAT)/containerd
	LUMPER_CTD_BIN=$(COMPAT) LUMPER_BIN_DIR=$(BIN) $(GO) test -tags integration -count=1 -timeout 25m ./test/integration/

## fuzz: each fuzz target for FUZZTIME (seed corpus in testdata/fuzz)
FUZZTIME ?= 10s
fuzz:
	$(GO) test ./pkg/images -run '^$$' -fuzz '^FuzzCheckLayer$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/images -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/spec -run '^$$' -fuzz '^FuzzParsers$$' -fuzztime $(FUZZTIME)

## lint: gofmt, go vet and the architecture's import rules (test/arch)
lint: fmt vet arch tidy

## tidy: go.mod and go.sum as go mod tidy leaves them (direct requirements marked as such)
tidy:
	$(GO) mod tidy -diff

## arch: pkg/** without cobra or cmd/**, pkg/api and pkg/output without containerd, lumper-logger's closure as allowed
arch:
	$(GO) test -count=1 ./test/arch/

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

## bench: lumper against ctr, side by side (see bench/RESULTS.md)
bench: build containerd
	bench/run.sh

bench-smoke: build containerd
	BENCH_RUNS=1 bench/run.sh

install: build
	install -m 0755 $(BIN)/lumper $(BIN)/lumper-logger $(PREFIX)/bin/

clean:
	rm -rf _output
