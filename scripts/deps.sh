#!/usr/bin/env bash
# deps.sh installs what uspmesh's build and tests need on a Debian machine
# that already has Go: protoc for `make proto` and its freshness check,
# qemu and cpio for the radio lab, iproute2 for the virtual home,
# mosquitto for the MQTT tests, g++ and ns-3 for the Wi-Fi plan judge,
# chromium for the status page's browser tests, and the pinned
# protoc-gen-go (the version in go.mod) into ./.bin. Idempotent: it
# installs only what is missing. Debian packages need root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v protoc >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
# The radio lab boots a Debian kernel with mac80211_hwsim under qemu.
command -v qemu-system-x86_64 >/dev/null 2>&1 || need_apt+=(qemu-system-x86)
command -v cpio >/dev/null 2>&1 || need_apt+=(cpio)
# The multi-host tests build network namespaces.
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# The MQTT MTP's tests run a real broker (the tests start their own
# instances; the packaged service is not needed) and make a test CA.
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
# The fault suite drops frames on the virtual home's bridge with nft.
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need_apt+=(nftables)
# wifieval's judge is an ns-3 program (ns-3 3.37 on bookworm) built with g++.
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
[ -f /usr/include/ns3/wifi-module.h ] || need_apt+=(libns3-dev)
# The status page (webui) is tested in headless Chromium.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# swmod runs applications as OCI containers with crun (and unshare(1),
# from util-linux, on hybrid cgroup hosts).
command -v crun >/dev/null 2>&1 || need_apt+=(crun)

if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages: ${need_apt[*]}; run as root or: sudo apt-get install ${need_apt[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# protoc-gen-go at the version go.mod pins for google.golang.org/protobuf.
want=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
have=$(./.bin/protoc-gen-go --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
	echo "deps: installing protoc-gen-go $want into .bin" >&2
	GOBIN="$PWD/.bin" go install google.golang.org/protobuf/cmd/protoc-gen-go
fi

# What the packaging tests need (make dist-test): mmdebstrap, qemu-user-static, shellcheck, busybox.
scripts/deps-dist.sh
