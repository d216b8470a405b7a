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
	local mirror hash
	if [[ ${RIG_KFLAVOUR:-amd64} != amd64 ]]; then
		rig_hostroot_dir_foreign
		return
	fi
	mirror=$(rig_debian_mirror)
	hash=$(printf '%s\n' "$RIG_HOSTROOT_SUITE" "$RIG_HOSTROOT_PACKAGES" "$mirror" | sha256sum | cut -c1-16)
	if [[ ! -e $RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$hash/.complete ]]; then
		command -v debootstrap > /dev/null || rig_die "debootstrap missing (bash tests/install-deps.sh)"
		[[ $(id -u) == 0 ]] || rig_die "making the host root needs root (debootstrap)"
	fi
	hostroot_cached "$RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$hash" debootstrap \
		"$RIG_HOSTROOT_SUITE with ${RIG_HOSTROOT_PACKAGES//,/ } from $mirror" \
		debootstrap --variant=minbase --include="$RIG_HOSTROOT_PACKAGES" "$RIG_HOSTROOT_SUITE" ROOT "$mirror"
}

# rig_hostroot_dir_foreign: the same for RIG_KFLAVOUR's architecture (arm64).
rig_hostroot_dir_foreign() {
	local mirror hash arch=$RIG_KFLAVOUR
	mirror=$(rig_debian_mirror)
	hash=$(printf '%s\n' "$RIG_HOSTROOT_SUITE" "$arch" "$RIG_HOSTROOT_FOREIGN_PACKAGES" "$mirror" | sha256sum | cut -c1-16)
	if [[ ! -e $RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$arch-$hash/.complete ]]; then
		command -v mmdebstrap > /dev/null || rig_die "mmdebstrap missing (bash tests/install-deps.sh arm)"
		[[ $(id -u) == 0 ]] || rig_die "making the $arch host root needs root (mmdebstrap)"
	fi
	hostroot_cached "$RIG_HOSTROOT_CACHE/$RIG_HOSTROOT_SUITE-$arch-$hash" mmdebstrap \
		"--variant=extract --arch=$arch $RIG_HOSTROOT_SUITE with ${RIG_HOSTROOT_FOREIGN_PACKAGES//,/ } from $mirror" \
		mmdebstrap --mode=root --variant=extract --arch="$arch" --include="$RIG_HOSTROOT_FOREIGN_PACKAGES" \
		"$RIG_HOSTROOT_SUITE" ROOT "$mirror"
}

# hostroot_cached DIR TOOL WHAT CMD...: print DIR, making it first unless
# it is complete: CMD (the argument ROOT replaced by the directory being
# made; its output in a log), under the cache's lock so that concurrent
# runs wait for one build, then trimmed of what the guest does not need
# (apt's downloads and lists, docs), given the mount points the guest
# needs (the root is read-only there), and moved into place.
hostroot_cached() {
	local dir=$1 tool=$2 what=$3 tmp a args=()
	shift 3
	if [[ -e $dir/.complete ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	mkdir -p "$RIG_HOSTROOT_CACHE"
	exec {lockfd}> "$RIG_HOSTROOT_CACHE/.lock"
	flock "$lockfd" || rig_die "locking $RIG_HOSTROOT_CACHE/.lock failed"
	if [[ ! -e $dir/.complete ]]; then
		tmp=$(mktemp -d "$RIG_HOSTROOT_CACHE/$tool.XXXXXX")
		for a in "$@"; do
			[[ $a == ROOT ]] && a=$tmp/root
			args+=("$a")
		done
		rig_log "$tool $what (once; cached in $dir)"
		if ! "${args[@]}" > "$tmp/$tool.log" 2>&1; then
			tail -n 30 "$tmp/$tool.log" >&2
			exec {lockfd}>&-
			rig_die "$tool failed (full log: $tmp/$tool.log)"
		fi
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"* \
			"$tmp/root"/usr/share/{doc,man,info,locale}/*
		mkdir -p "$tmp/root"/{rig-out,tmp,run,proc,sys,dev}
		rm -rf "$dir"
		mv "$tmp/root" "$dir"
		touch "$dir/.complete"
		rm -rf "$tmp"
	fi
	exec {lockfd}>&-
	printf '%s\n' "$dir"
}
