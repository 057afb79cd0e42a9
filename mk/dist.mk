# Release artifacts (cmd/dist) and their tests; the Makefile includes this
# file after its own variables.

# The version stamped into the binaries (buildinfo.Version); the packages'
# version is derived from it (cmd/dist: PackageVersion).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
DIST    ?= $(BIN)/dist

.PHONY: dist dist-test

# cmd/dist's tests make a Debian root (root, the Debian mirror, minutes
# the first time) and cross-build: they run with the multi-host tests,
# one package at a time, not with the unit tests.
MULTIHOST += ./cmd/dist/

dist: ## static stripped meshd+meshctl, a .deb and OpenWrt .ipks per target (amd64 arm64 armv7 mipsle mips) into bin/dist
	$(GO) run ./cmd/dist -version $(VERSION) -out $(DIST)
	@echo "meshd linux/arm64: $$(stat -c %s $(DIST)/arm64/meshd) bytes; xz -9: $$(xz -9 -c $(DIST)/arm64/meshd | wc -c) bytes"

dist-test: ## packaging tests (root): the .deb in a Debian root, arm64/mipsle meshd under qemu-user, the OpenWrt package
	@scripts/deps-dist.sh
	$(GO) test -count=1 -timeout 30m -v ./cmd/dist/
