#!/usr/bin/env bash
# radiolab.sh boots a Debian kernel with mac80211_hwsim under qemu and runs
# the radio/linux lab tests inside it against real nl80211, hostapd and
# wpa_supplicant. It is the body of `make radiolab` and what
# radio/linux's TestRadioLab runs.
#
# It downloads Debian's packages with `apt-get download` into a cache
# (RADIOLAB_CACHE, default .cache/radiolab; reused between runs), extracts
# them, builds an initramfs (no root file system) holding the wireless
# modules, regulatory.db, busybox, hostapd, wpa_supplicant, iw with their
# shared libraries and the static test binary of radio/linux, and boots it
# with the serial console on stdout. The guest prints
# "RADIOLAB-DONE rc=<n>" and powers off; this script exits with <n>.
#
# Environment:
#   RADIOLAB_CACHE    cache directory (default .cache/radiolab)
#   RADIOLAB_TIMEOUT  seconds before qemu is killed (default 420)
#   RADIOLAB_RUN      -test.run pattern inside the guest (default ^TestLab)
#   RADIOLAB_TESTBIN  a prebuilt static test binary (default: go test -c)
#   RADIOLAB_ACCEL    qemu accelerators tried in order, e.g. kvm:tcg (default
#                     tcg: KVM hung at boot on the reference machine, and TCG
#                     boots this kernel in about 6 s)
#   RADIOLAB_MEM      guest memory (default 768M)
#
# Host needs: apt-get, dpkg-deb, qemu-system-x86_64, cpio, gzip, go.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${RADIOLAB_CACHE:-.cache/radiolab}
timeout_s=${RADIOLAB_TIMEOUT:-420}
run=${RADIOLAB_RUN:-^TestLab}
accel=${RADIOLAB_ACCEL:-tcg}
mem=${RADIOLAB_MEM:-768M}

log() { echo "radiolab: $*" >&2; }
die() { log "$*"; exit 2; }

for tool in apt-get apt-cache dpkg-deb qemu-system-x86_64 cpio gzip; do
	command -v "$tool" >/dev/null 2>&1 || die "missing host tool $tool (apt-get install qemu-system-x86 cpio)"
done

# Libraries of hostapd, wpa_supplicant and iw; the loader resolves the
# closure below, so a missing one fails loudly rather than at boot.
libs=(libc6 libnl-3-200 libnl-genl-3-200 libnl-route-3-200 libssl3 libpcsclite1
	libdbus-1-3 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblzma5 libzstd1 liblz4-1)
tools=(hostapd wpasupplicant iw busybox-static wireless-regdb)

mkdir -p "$cache/debs"
cache=$(cd "$cache" && pwd)

# The kernel: the image package linux-image-amd64 depends on in this release.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$kpkg" ]; then
	[ "$(id -u)" -eq 0 ] || die "apt-cache knows no linux-image-amd64; run apt-get update"
	log "apt-get update"
	apt-get update -qq >&2
	kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[ -n "$kpkg" ] || die "cannot resolve the kernel package of linux-image-amd64"
kver=${kpkg#linux-image-}

want=("$kpkg" "${tools[@]}" "${libs[@]}")
missing=()
for p in "${want[@]}"; do
	ver=$(apt-cache policy "$p" | awk '/Candidate:/{print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate for $p"
	ls "$cache/debs/${p}_"*"${ver#*:}"_*.deb >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "downloading ${missing[*]}"
	(cd "$cache/debs" && apt-get download "${missing[@]}" >&2 2>/dev/null) || die "apt-get download failed"
fi

# Extract once per set of packages.
stamp=$(printf '%s\n' "${want[@]}" | sha256sum | cut -c1-12)-$(ls "$cache/debs" | sha256sum | cut -c1-12)
x="$cache/x"
if [ ! -f "$x/.stamp-$stamp" ]; then
	log "extracting packages"
	rm -rf "$x" && mkdir -p "$x"
	for p in "${want[@]}"; do
		ver=$(apt-cache policy "$p" | awk '/Candidate:/{print $2}')
		dpkg-deb -x "$(ls "$cache/debs/${p}_"*"${ver#*:}"_*.deb | head -n1)" "$x"
	done
	touch "$x/.stamp-$stamp"
fi
[ -f "$x/boot/vmlinuz-$kver" ] || die "no kernel in $kpkg"

work=$(mktemp -d "$cache/run.XXXXXX")
qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -9 "$qpid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib/firmware,lib64,lab}

# The test binary, static so it needs nothing of the guest.
testbin=${RADIOLAB_TESTBIN:-}
if [ -z "$testbin" ]; then
	command -v go >/dev/null 2>&1 || die "missing go"
	log "building the radio/linux test binary"
	CGO_ENABLED=0 go test -c -o "$work/radio-linux.test" ./radio/linux >&2
	testbin="$work/radio-linux.test"
fi
install -m 0755 "$testbin" "$root/lab/radio-linux.test"

# Busybox (static) and the wireless tools with their shared libraries.
install -m 0755 "$x/bin/busybox" "$root/bin/busybox"
libpath="$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu"
loader="$x/lib64/ld-linux-x86-64.so.2"
[ -e "$loader" ] || loader="$x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
for b in usr/sbin/hostapd usr/sbin/hostapd_cli sbin/wpa_supplicant sbin/wpa_cli sbin/iw; do
	install -m 0755 "$x/$b" "$root/usr/sbin/$(basename "$b")"
	out=$("$loader" --library-path "$libpath" --list "$x/$b") || die "cannot list libraries of $b"
	if grep -q 'not found' <<<"$out"; then die "unresolved libraries of $b: $out"; fi
	awk '/=> \//{print $3}' <<<"$out" | while read -r lib; do
		cp -L "$lib" "$root/lib/x86_64-linux-gnu/" 2>/dev/null || { mkdir -p "$root/lib/x86_64-linux-gnu"; cp -L "$lib" "$root/lib/x86_64-linux-gnu/"; }
	done
done
cp -L "$loader" "$root/lib64/ld-linux-x86-64.so.2"

# Regulatory database, signed by a key Debian's kernel trusts.
cp "$x/lib/firmware/regulatory.db-debian" "$root/lib/firmware/regulatory.db"
cp "$x/lib/firmware/regulatory.db.p7s-debian" "$root/lib/firmware/regulatory.db.p7s"

# Modules in dependency order, read from each module's .modinfo.
moddir="$x/lib/modules/$kver"
declare -A seen=()
order=()
modpath() { find "$moddir/kernel" -name "$1.ko" -o -name "${1//_/-}.ko" | head -n1; }
addmod() {
	local name=$1 path deps d
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	path=$(modpath "$name")
	[ -n "$path" ] || die "module $name not found"
	deps=$(tr '\0' '\n' <"$path" | sed -n 's/^depends=//p' | head -n1)
	for d in ${deps//,/ }; do addmod "$d"; done
	order+=("$path")
}
# CCMP (WPA2) keys need ccm(aes), which mac80211 asks the crypto API for
# and the guest has no modprobe to load on demand.
for m in ctr ccm cmac mac80211_hwsim; do addmod "$m"; done
mkdir -p "$root/lib/modules"
insmods=
for p in "${order[@]}"; do
	cp "$p" "$root/lib/modules/"
	insmods+="insmod /lib/modules/$(basename "$p")"$'\n'
done
log "modules: $(for p in "${order[@]}"; do basename "$p" .ko; done | tr '\n' ' ')"

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# debugfs carries mac80211_hwsim's dfs_simulate_radar (the radar test).
mount -t debugfs debugfs /sys/kernel/debug
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /var && ln -s /run /var/run
ip link set lo up
$insmods
insmod /lib/modules/mac80211_hwsim.ko radios=5 2>/dev/null || true
iw reg set DE
echo "radiolab: guest up \$(cut -d' ' -f1 /proc/uptime)s"
cd /tmp
USPMESH_RADIOLAB=1 /lab/radio-linux.test -test.v -test.count=1 -test.timeout=300s -test.run '$run'
rc=\$?
echo "RADIOLAB-DONE rc=\$rc"
poweroff -f
EOF
# mac80211_hwsim is inserted last with its parameter; drop its plain line.
sed -i '/insmod \/lib\/modules\/mac80211_hwsim.ko$/d' "$root/init"
chmod 0755 "$root/init"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
log "initramfs $(du -h "$work/initrd.gz" | cut -f1), booting $kpkg (accel $accel, timeout ${timeout_s}s)"

accel_args=()
IFS=: read -ra accels <<<"$accel"
for a in "${accels[@]}"; do
	[ "$a" = kvm ] && [ ! -w /dev/kvm ] && continue
	accel_args+=(-accel "$a")
done
[ ${#accel_args[@]} -gt 0 ] || accel_args=(-accel tcg)
out="$work/console.log"
: >"$out"
qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp 1 -nographic -no-reboot \
	-kernel "$x/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1" </dev/null >"$out" 2>&1 &
qpid=$!
tail -n +1 -f --pid="$qpid" "$out" &
deadline=$((SECONDS + timeout_s))
while kill -0 "$qpid" 2>/dev/null; do
	if [ $SECONDS -ge $deadline ]; then
		log "timeout after ${timeout_s}s; killing qemu"
		kill -9 "$qpid" 2>/dev/null || true
		wait || true
		exit 124
	fi
	sleep 1
done
wait || true
rc=$(sed -n 's/.*RADIOLAB-DONE rc=\([0-9]*\).*/\1/p' "$out" | tail -n1)
[ -n "$rc" ] || die "guest ended without RADIOLAB-DONE"
exit "$rc"
