# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The Debian 12 root with systemd as PID 1 for tests/vm/systemd/run, made
# once by debootstrap and cached as a tarball outside the tree:
#   sd_root_tarball   prints the path of the cached root tarball, making it
#                     first if it is not there
# Environment: IFB_SD_CACHE (default /var/cache/iio-ffs-bridge/systemd-root),
# IFB_SD_MIRROR (default: the first Debian mirror apt is configured with).

SD_CACHE=${IFB_SD_CACHE:-/var/cache/iio-ffs-bridge/systemd-root}
SD_SUITE=bookworm
SD_PACKAGES=systemd,systemd-sysv,udev,kmod,libinih1,libaio1,libusb-1.0-0,procps


sd_root_tarball() {
	local mirror hash tarball tmp
	mirror=$(rig_debian_mirror)
	hash=$(printf '%s\n' "$SD_SUITE" "$SD_PACKAGES" "$mirror" | sha256sum | cut -c1-16)
	tarball=$SD_CACHE/$SD_SUITE-$hash.tar.zst
	if [[ -e $tarball ]]; then
		printf '%s\n' "$tarball"
		return 0
	fi
	command -v debootstrap > /dev/null || rig_die "debootstrap missing (bash tests/install-deps.sh)"
	mkdir -p "$SD_CACHE"
	tmp=$(mktemp -d "$SD_CACHE/debootstrap.XXXXXX")
	rig_log "debootstrap $SD_SUITE from $mirror into $tmp (once; cached as $tarball)"
	if ! debootstrap --variant=minbase --include="$SD_PACKAGES" "$SD_SUITE" "$tmp/root" "$mirror" \
		> "$tmp/debootstrap.log" 2>&1; then
		tail -n 30 "$tmp/debootstrap.log" >&2
		rig_die "debootstrap failed (full log: $tmp/debootstrap.log)"
	fi
	# Package caches and lists only make the tarball bigger.
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
	tar -C "$tmp/root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -10 > "$tmp/root.tar.zst" ||
		rig_die "packing the debootstrap root failed"
	mv "$tmp/root.tar.zst" "$tarball"
	rm -rf "$tmp"
	printf '%s\n' "$tarball"
}
