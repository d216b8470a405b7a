#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installs what building and testing iio-ffs-bridge needs on Debian 12
# (bookworm), as root. Idempotent and fast when everything is present: only
# packages dpkg does not report as installed are passed to apt-get, and
# `apt-get update` runs once, only when something is missing.
#
# The VM rig's kernels (linux-image-6.12.*+deb12-amd64-unsigned and
# linux-image-6.1.0-*-amd64-unsigned, with headers) are NOT installed here:
# tests/vm/run downloads and unpacks them into its cache. This script makes
# sure apt can see them (bookworm-security / bookworm-updates carry the 6.12
# kernels and linux-source-6.12) and installs both kernel source tarballs.
#
# `bash tests/install-deps.sh cross` also ensures what `make check-cross`
# needs: the armhf and arm64 foreign architectures, Debian's cross
# toolchains, qemu-user-static, and each architecture's -dev packages the
# daemon, the host library and the unit tests link against, with the
# architecture's pkg-config (pkgconf:ARCH gives TRIPLET-pkg-config).
#
# A mirror being synced can refuse an index or a package for a moment, an
# architecture's more often than the native one: update and install are
# tried again a few times, and a final failure names the step and quotes
# apt's error lines.
#
# `bash tests/install-deps.sh arm` is `cross` plus qemu-system-arm and
# mmdebstrap: the VM rig's arm64 kernel and arm64 host root (tests/vm/run
# --arch arm64|armhf).

set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config libsystemd-dev libaio-dev libinih-dev
	libusb-1.0-0-dev libjansson-dev check
	# VM rig
	qemu-system-x86 busybox-static cpio xz-utils zstd kmod patch
	linux-source-6.12 linux-source-6.1 bc bison flex libelf-dev libssl-dev
	# fuzzing (tests/fuzz)
	clang-14 libclang-rt-14-dev
	# the unit under systemd as PID 1 (tests/vm/systemd)
	debootstrap
	# demo (SigMF check), bench (syscalls per block)
	python3 strace
	# lint
	shellcheck
	# libifbhost's SoapySDR module and Python package (issue 13)
	libsoapysdr-dev python3-numpy
	# Debian packages (make deb, make check-deb)
	debhelper dh-python lintian
)

CROSS_ARCHES=(armhf arm64)

die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

case ${1:-} in
'') ;;
cross|arm)
	[[ $1 != arm ]] || PKGS+=(qemu-system-arm mmdebstrap)
	PKGS+=(crossbuild-essential-armhf crossbuild-essential-arm64 qemu-user-static)
	for a in "${CROSS_ARCHES[@]}"; do
		PKGS+=("pkgconf:$a" "libsystemd-dev:$a" "libaio-dev:$a" "libinih-dev:$a"
			"check:$a" "libusb-1.0-0-dev:$a" "libjansson-dev:$a")
	done
	;;
*) die "unknown argument '$1' (usage: bash tests/install-deps.sh [cross|arm])" ;;
esac

# Foreign architectures dpkg does not know yet (cross and arm only).
new_arches() {
	local a foreign
	[[ ${1:-} == cross || ${1:-} == arm ]] || return 0
	foreign=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
	for a in "${CROSS_ARCHES[@]}"; do
		[[ $foreign == *" $a "* ]] || printf '%s\n' "$a"
	done
}

# A name without :ARCH is the native (or an Architecture: all) package:
# once a foreign libfoo-dev:armhf is installed, dpkg-query answers for
# every architecture of libfoo-dev, so its answer is read per line.
missing() {
	local p name arch st native
	native=$(dpkg --print-architecture)
	for p in "${PKGS[@]}"; do
		name=${p%%:*}
		arch=${p#"$name"}
		arch=${arch#:}
		st=$(dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$name" 2>/dev/null || true)
		grep -qxE "(${arch:-$native|all}) installed" <<< "$st" || printf '%s\n' "$p"
	done
}

mapfile -t arches < <(new_arches "${1:-}")
mapfile -t todo < <(missing)
if ((${#todo[@]} == 0 && ${#arches[@]} == 0)); then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "missing packages (${todo[*]}); run as root: bash tests/install-deps.sh ${1:-}"
command -v apt-get > /dev/null || die "apt-get not found: this script supports Debian 12 only"

for a in "${arches[@]}"; do
	echo "install-deps: dpkg --add-architecture $a"
	dpkg --add-architecture "$a" || die "dpkg --add-architecture $a failed"
done

# Runs "$@", its output shown and kept in $log for the final message.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
logged() {
	"$@" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

ATTEMPTS=4
echo "install-deps: installing ${todo[*]}"
export DEBIAN_FRONTEND=noninteractive
for ((try = 1; ; try++)); do
	# An install that failed on a package the index named but the mirror
	# no longer has needs the index again, so each attempt updates first.
	if ! logged apt-get update -q; then
		failed="apt-get update"
	elif ! logged apt-get install -q -y --no-install-recommends -o DPkg::Lock::Timeout=120 "${todo[@]}"; then
		failed="apt-get install ${todo[*]}"
	else
		break
	fi
	if ((try == ATTEMPTS)); then
		said=$(grep -E '^(E|W):' "$log" | paste -sd ' ' || true)
		hint=""
		[[ " ${todo[*]} " != *" linux-source-6.12 "* ]] ||
			hint=" (linux-source-6.12 needs bookworm-security or bookworm-updates in the apt sources)"
		die "$failed failed $ATTEMPTS times; apt said: ${said:-nothing}$hint"
	fi
	echo "install-deps: $failed failed (attempt $try of $ATTEMPTS); trying again in $((try * 10)) s" >&2
	sleep $((try * 10))
done
mapfile -t todo < <(missing)
((${#todo[@]} == 0)) || die "still missing after apt-get install: ${todo[*]}"
echo "install-deps: done"
