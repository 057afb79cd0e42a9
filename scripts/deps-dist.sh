#!/usr/bin/env bash
# deps-dist.sh installs what `make dist-test` (cmd/dist's tests) needs on a
# Debian machine: mmdebstrap (debootstrap's faster equivalent) to make the
# Debian root the .deb is installed into, qemu-user-static to run the
# arm64, armv7, mipsle and mips binaries, shellcheck and busybox
# (OpenWrt's ash) for the OpenWrt init script, systemd-analyze to verify
# the unit, and the dpkg tools. Idempotent: it installs only what is
# missing. Debian packages need root. scripts/deps.sh calls it.
set -euo pipefail

need_apt=()
command -v mmdebstrap >/dev/null 2>&1 || need_apt+=(mmdebstrap)
for q in qemu-aarch64-static qemu-mipsel-static; do
	command -v "$q" >/dev/null 2>&1 || { need_apt+=(qemu-user-static); break; }
done
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need_apt+=(busybox)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
command -v dpkg-deb >/dev/null 2>&1 || need_apt+=(dpkg)
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils)

if [ ${#need_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps-dist: missing Debian packages: ${need_apt[*]}; run as root or: sudo apt-get install ${need_apt[*]}" >&2
		exit 1
	fi
	echo "deps-dist: installing ${need_apt[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
