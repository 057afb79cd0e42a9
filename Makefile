# uspmesh build entry points. `make help` lists them.
SHELL     := /bin/bash
GO        ?= go
MODULE    := github.com/uspmesh/uspmesh
BIN       := bin
PROTOS    := proto/usp-msg-1-4.proto proto/usp-record-1-4.proto
FUZZTIME  ?= 20s
# Homes per class `make wifi-eval` judges.
HOMES     ?= 10
# The ns-3 judge of channel plans (wifieval/ns3/judge.cc); Debian's ns-3
# pkg-config files give unusable flags, so the libraries are named here
# (wifieval.JudgeLibs lists the same).
NS3_LIBS  := -lns3-wifi -lns3-spectrum -lns3-propagation -lns3-mobility -lns3-network -lns3-core -lns3-antenna -lns3-energy
# Nodes of the virtual home `make demo` runs.
NODES     ?= 5
# Two cores on the reference machine: keep package parallelism modest.
TESTFLAGS ?= -p 2 -count=1

.PHONY: help deps build test unit multihost bench-mesh radiolab size lint proto proto-check bench fuzz demo wifi-eval radar-eval steer-eval clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install what build and tests need (protoc, pinned protoc-gen-go)
	@scripts/deps.sh

build: ## build every package and command into ./bin
	$(GO) build ./...
	@mkdir -p $(BIN)
	@if [ -d cmd ]; then $(GO) build -o $(BIN)/ ./cmd/...; fi

# Multi-host packages: real meshd processes in network namespaces, and
# the radio lab (a real kernel under qemu). They run one package at a
# time, after the unit tests.
MULTIHOST := ./cmd/vhome/ ./radio/linux/

test: deps proto-check lint unit multihost ## the full test suite: deps, proto freshness, lint, unit and multi-host tests

unit: ## unit and single-host tests (no deps, no lint)
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v -x -F "$$($(GO) list $(MULTIHOST))")

multihost: ## the virtual-home tests (root: network namespaces), one package at a time
	$(GO) test -p 1 -count=1 -timeout 20m $(MULTIHOST)

lint: ## gofmt and go vet must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

proto: deps ## regenerate the protobuf Go code from proto/*.proto
	PATH="$(CURDIR)/.bin:$$PATH" protoc -I proto --go_out=. --go_opt=module=$(MODULE) $(PROTOS)

proto-check: deps ## fail when the committed generated code is stale
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	PATH="$(CURDIR)/.bin:$$PATH" protoc -I proto --go_out=$$tmp --go_opt=module=$(MODULE) $(PROTOS) && \
	for f in proto/uspmsg/usp-msg-1-4.pb.go proto/usprecord/usp-record-1-4.pb.go; do \
		if ! diff -q <(grep -v '^// 	protoc ' $$tmp/$$f) <(grep -v '^// 	protoc ' $$f) >/dev/null; then \
			echo "proto-check: $$f is stale; run 'make proto' and commit"; exit 1; fi; \
	done; echo "proto-check: generated code is up to date"

bench: ## run the benchmarks (figures, not pass/fail)
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 20s)
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

demo: ## build meshd and vhome, then watch a virtual home of NODES (5) meshd (needs root; installs iproute2 if missing)
	@command -v ip >/dev/null 2>&1 || { echo "demo: installing iproute2 (ip)"; apt-get update -qq && apt-get install -y -qq iproute2; }
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/meshd ./cmd/vhome
	$(BIN)/vhome demo -n $(NODES)

radiolab: ## boot the radio lab (Debian kernel, mac80211_hwsim, hostapd under qemu) and run radio/linux's lab tests (root)
	scripts/radiolab.sh

bench-mesh: ## measure the mesh on virtual homes: start, failover, heal, idle bytes, memory (needs root)
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/meshd ./cmd/vhome
	$(BIN)/vhome bench -n $(NODES)

size: ## stripped linux/arm64 meshd: bytes, and xz -9 bytes as firmware stores it (targets 16 MiB, 4 MiB)
	@mkdir -p $(BIN)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/meshd-arm64 ./cmd/meshd
	@echo "meshd linux/arm64 stripped: $$(stat -c %s $(BIN)/meshd-arm64) bytes; xz -9: $$(xz -9 -c $(BIN)/meshd-arm64 | wc -c) bytes"

$(BIN)/judge: wifieval/ns3/judge.cc
	@mkdir -p $(BIN)
	g++ -std=c++17 -O2 -o $@ $< $(NS3_LIBS)

wifi-eval: deps $(BIN)/judge ## judge channel plans in ns-3: planner and the node vs LCCS, ACS, current, random on HOMES (10) homes per class
	$(GO) run ./cmd/wifieval -homes $(HOMES) -parallel 2 -judge $(BIN)/judge

radar-eval: deps $(BIN)/judge ## judge what one radar event costs DFS plans in ns-3: the hour after it, planner and node vs LCCS, HOMES (10) mixed homes
	$(GO) run ./cmd/wifieval radar -homes $(HOMES) -saturated -parallel 2 -judge $(BIN)/judge

steer-eval: deps $(BIN)/judge ## judge client steering in ns-3: none vs per-AP threshold vs mesh policy, walking clients, HOMES (10) homes per class
	$(GO) run ./cmd/wifieval steer -homes $(HOMES) -parallel 2 -judge $(BIN)/judge

clean: ## remove build outputs
	rm -rf $(BIN)

include mk/dist.mk
