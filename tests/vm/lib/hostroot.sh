# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The USB host's programs from Debian's own packages, for VM rig cases that
# opt in with a header line "# hostroot: yes". Sourced by tests/vm/run:
#   rig_hostroot_dir   prints the directory of a Debian 12 root holding
#                      $RIG_HOSTROOT_PACKAGES, making it first (debootstrap
#                      --variant=minbase, once) if it is not in the cache
# The runner shares that directory read-only into the guest (virtio-9p, mount
# tag "hostroot"), /init mounts it at /hostroot with the guest's /dev, /proc,
# /sys, /tmp and /run bound in, and the guest command `hostrun CMD...` runs
# CMD chrooted there (tests/vm/guest/hostrun).
# On the arm64 kernel (tests/vm/run --arch arm64|armhf) the root is arm64's
# and holds only the libiio clients (RIG_HOSTROOT_FOREIGN_PACKAGES): made by
# mmdebstrap --variant=extract, which unpacks the packages and their
# dependencies as apt resolves them without running anything of theirs
# (this machine cannot run arm64 maintainer scripts). The libiio cases need
# no more than unpacked programs and libraries.
# Environment: IFB_HOSTROOT_CACHE (default /var/cache/iio-ffs-bridge/hostroot),
# IFB_SD_MIRROR (the Debian mirror, as for the systemd root).

RIG_HOSTROOT_CACHE=${IFB_HOSTROOT_CACHE:-/var/cache/iio-ffs-bridge/hostroot}
RIG_HOSTROOT_SUITE=bookworm
# libiio 0.24 clients and iiod (issue 8), SoapySDR and numpy (issue 13).
RIG_HOSTROOT_PACKAGES=libiio-utils,python3-libiio,iiod,python3-numpy,soapysdr-tools,python3-soapysdr

RIG_HOSTROOT_FOREIGN_PACKAGES=libiio-utils,dash

# The root is kept unpacked (9p shares a directory), named by a hash of what
# went into it; a lock makes concurrent runs wait for one debootstrap.
rig_hostroot_dir() {
	local mirror hash dir tmp
	if [[ ${RIG_KFLAVOUR:-amd64} != amd64 ]]; then
		rig_hostroot_dir_foreign
		return
	fi
	mirror=$(rig_debian_mirror)
	hash=$(printf '%s\n' "$RIG_HOSTROOT_SUITE" "$RIG_HOSTROOT_PACKAGES" "$mirror" | sha256sum | cut -c1-16)
	dir=$RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$hash
	if [[ -e $dir/.complete ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	command -v debootstrap > /dev/null || rig_die "debootstrap missing (bash tests/install-deps.sh)"
	[[ $(id -u) == 0 ]] || rig_die "making the host root needs root (debootstrap)"
	mkdir -p "$RIG_HOSTROOT_CACHE"
	exec {lockfd}> "$RIG_HOSTROOT_CACHE/.lock"
	flock "$lockfd" || rig_die "locking $RIG_HOSTROOT_CACHE/.lock failed"
	if [[ ! -e $dir/.complete ]]; then
		tmp=$(mktemp -d "$RIG_HOSTROOT_CACHE/debootstrap.XXXXXX")
		rig_log "debootstrap $RIG_HOSTROOT_SUITE with ${RIG_HOSTROOT_PACKAGES//,/ } from $mirror (once; cached in $dir)"
		if ! debootstrap --variant=minbase --include="$RIG_HOSTROOT_PACKAGES" \
			"$RIG_HOSTROOT_SUITE" "$tmp/root" "$mirror" > "$tmp/debootstrap.log" 2>&1; then
			tail -n 30 "$tmp/debootstrap.log" >&2
			exec {lockfd}>&-
			rig_die "debootstrap failed (full log: $tmp/debootstrap.log)"
		fi
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"* \
			"$tmp/root"/usr/share/{doc,man,info,locale}/*
		# Mount points for the guest's output share and scratch files; the
		# root is read-only in the guest, so they must exist beforehand.
		mkdir -p "$tmp/root/rig-out" "$tmp/root/tmp" "$tmp/root/run"
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		touch "$dir/.complete"
		rm -rf "$tmp"
	fi
	exec {lockfd}>&-
	printf '%s\n' "$dir"
}

# rig_hostroot_dir_foreign: the same for RIG_KFLAVOUR's architecture (arm64).
rig_hostroot_dir_foreign() {
	local mirror hash dir tmp arch=$RIG_KFLAVOUR
	mirror=$(rig_debian_mirror)
	hash=$(printf '%s\n' "$RIG_HOSTROOT_SUITE" "$arch" "$RIG_HOSTROOT_FOREIGN_PACKAGES" "$mirror" | sha256sum | cut -c1-16)
	dir=$RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$arch-$hash
	if [[ -e $dir/.complete ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	command -v mmdebstrap > /dev/null || rig_die "mmdebstrap missing (bash tests/install-deps.sh arm)"
	[[ $(id -u) == 0 ]] || rig_die "making the $arch host root needs root (mmdebstrap)"
	mkdir -p "$RIG_HOSTROOT_CACHE"
	exec {lockfd}> "$RIG_HOSTROOT_CACHE/.lock"
	flock "$lockfd" || rig_die "locking $RIG_HOSTROOT_CACHE/.lock failed"
	if [[ ! -e $dir/.complete ]]; then
		tmp=$(mktemp -d "$RIG_HOSTROOT_CACHE/mmdebstrap.XXXXXX")
		rig_log "mmdebstrap --variant=extract --arch=$arch $RIG_HOSTROOT_SUITE with ${RIG_HOSTROOT_FOREIGN_PACKAGES//,/ } from $mirror (once; cached in $dir)"
		if ! mmdebstrap --mode=root --variant=extract --arch="$arch" --include="$RIG_HOSTROOT_FOREIGN_PACKAGES" \
			"$RIG_HOSTROOT_SUITE" "$tmp/root" "$mirror" > "$tmp/mmdebstrap.log" 2>&1; then
			tail -n 30 "$tmp/mmdebstrap.log" >&2
			exec {lockfd}>&-
			rig_die "mmdebstrap failed (full log: $tmp/mmdebstrap.log)"
		fi
		rm -rf "$tmp/root"/usr/share/{doc,man,info,locale}/*
		mkdir -p "$tmp/root/rig-out" "$tmp/root/tmp" "$tmp/root/run" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/dev"
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		touch "$dir/.complete"
		rm -rf "$tmp"
	fi
	exec {lockfd}>&-
	printf '%s\n' "$dir"
}
