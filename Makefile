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

.PHONY: test-compat fuzz all build man completions release test-release soak deps containerd containerd-up containerd-down demo test test-unit \
	test-integration lint arch tidy fmt vet bench bench-smoke install clean

all: build

# The version `lumper version` and `lumper --version` print, stamped at build.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
GIT_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_TIME ?= $(shell date -u $${SOURCE_DATE_EPOCH:+-d @$$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG := github.com/lumper/lumper/cmd/lumper/commands
VERSION_LDFLAGS := -X $(VERSION_PKG).buildVersion=$(VERSION) -X $(VERSION_PKG).buildCommit=$(GIT_COMMIT) \
	-X $(VERSION_PKG).buildTime=$(BUILD_TIME)

## build: lumper, lumper-logger, lumper-init, lumper-kube (generate kube's YAML writer) and lumper-compose
## (lumper with compose-go, which `lumper compose` execs) into _output/bin, static (nothing needs cgo),
## version, commit and date stamped
BUILD_TAGS := nocompose
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(BUILD_TAGS) -ldflags '$(LDFLAGS) $(VERSION_LDFLAGS)' -o $(BIN)/ ./cmd/lumper ./cmd/lumper-logger ./cmd/lumper-init ./cmd/lumper-kube
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS) $(VERSION_LDFLAGS)' -o $(BIN)/ ./cmd/lumper-compose

## man / completions: man pages and bash, zsh, fish completions from the command tree
MAN := $(CURDIR)/_output/man
COMPLETIONS := $(CURDIR)/_output/completions
man:
	$(GO) run ./hack/docgen -man $(MAN)
completions:
	$(GO) run ./hack/docgen -completions $(COMPLETIONS)

## release: static binaries per platform, packed with completions, man pages
## and the licence, plus SHA256SUMS, in _output/release
RELEASE := $(CURDIR)/_output/release
RELEASE_PLATFORMS := linux/amd64 linux/arm64 linux/arm/v7
RELEASE_VERSION ?= $(or $(VERSION),dev)
release: man completions
	@rm -rf $(RELEASE) && mkdir -p $(RELEASE)
	@set -e; for p in $(RELEASE_PLATFORMS); do \
		os=$$(echo $$p | cut -d/ -f1); arch=$$(echo $$p | cut -d/ -f2); variant=$$(echo $$p | cut -d/ -f3); \
		name=lumper-$(RELEASE_VERSION)-$$os-$$arch$${variant}; dir=$(RELEASE)/$$name; \
		echo "building $$name"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$${variant#v} $(GO) build -trimpath -tags $(BUILD_TAGS) -ldflags '$(LDFLAGS) $(VERSION_LDFLAGS)' \
			-o $$dir/bin/ ./cmd/lumper ./cmd/lumper-logger ./cmd/lumper-init ./cmd/lumper-kube; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$${variant#v} $(GO) build -trimpath -ldflags '$(LDFLAGS) $(VERSION_LDFLAGS)' \
			-o $$dir/bin/ ./cmd/lumper-compose; \
		mkdir -p $$dir/share/man/man1 $$dir/share/bash-completion/completions $$dir/share/zsh/site-functions \
			$$dir/share/fish/vendor_completions.d; \
		cp $(MAN)/*.1 $$dir/share/man/man1/; \
		cp $(COMPLETIONS)/lumper.bash $$dir/share/bash-completion/completions/lumper; \
		cp $(COMPLETIONS)/_lumper $$dir/share/zsh/site-functions/_lumper; \
		cp $(COMPLETIONS)/lumper.fish $$dir/share/fish/vendor_completions.d/lumper.fish; \
		cp LICENSE README.md CHANGELOG.md $$dir/; \
		tar -C $(RELEASE) --owner=0 --group=0 --sort=name -czf $(RELEASE)/$$name.tar.gz $$name; \
		rm -rf $$dir; \
	done
	cd $(RELEASE) && sha256sum *.tar.gz > SHA256SUMS
	@cat $(RELEASE)/SHA256SUMS

## test-release: the release tarballs hold static binaries of the right
## machine, and the amd64 one runs the demo
test-release: release containerd-up
	LUMPER_RELEASE_DIR=$(RELEASE) $(GO) test -tags release -count=1 -v ./test/release/

## deps: Debian packages lumper and its tests need (runc, static busybox, CNI plugins, iptables, a registry,
## xz, zstd and bzip2 for the compressed-archive tests)
deps:
	@missing=""; \
	command -v runc >/dev/null || missing="$$missing runc"; \
	[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || missing="$$missing busybox-static"; \
	[ -x /usr/lib/cni/bridge ] || missing="$$missing containernetworking-plugins"; \
	command -v iptables-save >/dev/null || missing="$$missing iptables"; \
	command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	command -v xz >/dev/null || missing="$$missing xz-utils"; \
	command -v zstd >/dev/null || missing="$$missing zstd"; \
	command -v bzip2 >/dev/null || missing="$$missing bzip2"; \
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
	$(GO) test -race -count=1 ./...

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

## arch: pkg/** without cobra or cmd/**, pkg/api and pkg/output without containerd, lumper-logger's closure as allowed, k8s.io only in lumper-kube
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
	bench/shimgroup.sh

bench-smoke: build containerd
	BENCH_RUNS=1 bench/run.sh

## install: binaries, completions and man pages under PREFIX
install: build man completions
	install -d $(PREFIX)/bin $(PREFIX)/share/man/man1 $(PREFIX)/share/bash-completion/completions \
		$(PREFIX)/share/zsh/site-functions $(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN)/lumper $(BIN)/lumper-logger $(BIN)/lumper-init $(BIN)/lumper-kube $(BIN)/lumper-compose $(PREFIX)/bin/
	install -m 0644 $(MAN)/*.1 $(PREFIX)/share/man/man1/
	install -m 0644 $(COMPLETIONS)/lumper.bash $(PREFIX)/share/bash-completion/completions/lumper
	install -m 0644 $(COMPLETIONS)/_lumper $(PREFIX)/share/zsh/site-functions/_lumper
	install -m 0644 $(COMPLETIONS)/lumper.fish $(PREFIX)/share/fish/vendor_completions.d/lumper.fish

clean:
	rm -rf _output

## soak: 8 workers run/list/logs/exec/rm -f up to 200 containers on the bridge
## network for SOAK_DURATION (10m), then every leftover is counted (not in make test)
SOAK_DURATION ?= 10m
soak: deps build containerd
	SOAK_DURATION=$(SOAK_DURATION) LUMPER_BIN_DIR=$(BIN) $(GO) test -tags 'integration soak' -count=1 -v \
		-timeout 60m -run '^TestSoak$$' ./test/integration/
