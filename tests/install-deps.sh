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

set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config libsystemd-dev libaio-dev libinih-dev
	libusb-1.0-0-dev check
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
)

die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

missing() {
	local p st
	for p in "${PKGS[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[[ $st == installed ]] || printf '%s\n' "$p"
	done
}

mapfile -t todo < <(missing)
if ((${#todo[@]} == 0)); then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "missing packages (${todo[*]}); run as root: bash tests/install-deps.sh"
command -v apt-get > /dev/null || die "apt-get not found: this script supports Debian 12 only"

echo "install-deps: installing ${todo[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || die "apt-get update failed"
if ! apt-get install -q -y --no-install-recommends "${todo[@]}"; then
	die "apt-get install ${todo[*]} failed (linux-source-6.12 needs bookworm-security or bookworm-updates in the apt sources)"
fi
mapfile -t todo < <(missing)
((${#todo[@]} == 0)) || die "still missing after apt-get install: ${todo[*]}"
echo "install-deps: done"
