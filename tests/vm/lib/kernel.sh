# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Kernel side of the VM rig, sourced by tests/vm/run:
#   rig_select_series    6.12 (default) or 6.1: which Debian 12 kernel line
#                        the run uses (sets RIG_KSERIES, RIG_SRC_TARBALL)
#   rig_select_kflavour  amd64 (default) or arm64: whose kernel packages
#                        (sets RIG_KFLAVOUR, RIG_KPKG_ARCH)
#   rig_pick_kernel      newest Debian kernel of that line for which both
#                        linux-image-*-unsigned and linux-headers-* exist
#   rig_fetch_kernel     apt-get download + dpkg-deb -x into the cache
#   rig_build_modules    out-of-tree build of our modules, keyed by a hash
#                        of their sources
# Everything lives in $RIG_CACHE/<kver>/, outside the source tree; nothing
# is installed as the machine's kernel.

RIG_CACHE=${IFB_RIG_CACHE:-/var/cache/iio-ffs-bridge/rig}
RIG_KSERIES=6.12
RIG_SRC_TARBALL=${IFB_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
# Debian's kernel flavour, and the :ARCH qualifier apt needs for its image
# and headers when that is a foreign architecture (arm64 on this amd64
# machine: dpkg --add-architecture arm64, tests/install-deps.sh arm).
RIG_KFLAVOUR=amd64
RIG_KPKG_ARCH=
# Kernel lines the rig knows, and the regex (sed, on apt's package names)
# that turns an unsigned image package into a kernel release of that line.
declare -A RIG_KSERIES_IMAGE_RE=(
	[6.12]='s/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)-unsigned$/\1/p'
	[6.1]='s/^linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned$/\1/p'
)

# rig_select_series SERIES: 6.12 or 6.1. linux-source-SERIES provides the
# module sources (IFB_LINUX_SOURCE overrides the tarball).
rig_select_series() {
	[[ -n ${RIG_KSERIES_IMAGE_RE[$1]:-} ]] ||
		rig_die "unknown kernel '$1' (the rig knows: ${!RIG_KSERIES_IMAGE_RE[*]})"
	RIG_KSERIES=$1
	RIG_SRC_TARBALL=${IFB_LINUX_SOURCE:-/usr/src/linux-source-$1.tar.xz}
}

# rig_select_kflavour FLAVOUR: amd64 or arm64. The arm64 headers package is
# made for cross builds (its .kernelvariables set ARCH=arm64 and
# CROSS_COMPILE=aarch64-linux-gnu-) and runs the native linux-kbuild's host
# programs, so the same out-of-tree build works for both.
rig_select_kflavour() {
	case $1 in
	amd64) RIG_KPKG_ARCH= ;;
	arm64) RIG_KPKG_ARCH=:arm64 ;;
	*) rig_die "unknown kernel flavour '$1'" ;;
	esac
	RIG_KFLAVOUR=$1
}

rig_log() { printf 'rig: %s\n' "$*" >&2; }
rig_die() { printf 'rig: error: %s\n' "$*" >&2; exit 2; }

# A package "exists" when apt has a candidate version for it.
rig_pkg_candidate() {
	local v
	v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[[ -n $v && $v != "(none)" ]] && printf '%s\n' "$v"
}

# Prints the kernel release, e.g. 6.12.117+deb12-amd64.
rig_pick_kernel() {
	if [[ -n ${IFB_RIG_KVER:-} ]]; then
		printf '%s\n' "$IFB_RIG_KVER"
		return
	fi
	local kver
	# The candidates come from apt's local package lists only.
	while read -r kver; do
		if rig_pkg_candidate "linux-image-$kver-unsigned$RIG_KPKG_ARCH" >/dev/null &&
		   rig_pkg_candidate "linux-headers-$kver$RIG_KPKG_ARCH" >/dev/null; then
			printf '%s\n' "$kver"
			return
		fi
	done < <(apt-cache pkgnames "linux-image-$RIG_KSERIES." 2>/dev/null |
		 sed -n "${RIG_KSERIES_IMAGE_RE[$RIG_KSERIES]//amd64/$RIG_KFLAVOUR}" |
		 sort -rV)
	rig_die "no linux-image-$RIG_KSERIES.*-$RIG_KFLAVOUR-unsigned with matching headers known to apt (run tests/install-deps.sh, which enables bookworm-security/updates)"
}

# rig_fetch_kernel KVER: makes $RIG_CACHE/KVER/root hold the unpacked image,
# headers, headers-common and kbuild packages. Idempotent.
rig_fetch_kernel() {
	local kver=$1 dir="$RIG_CACHE/$1"
	local stamp="$dir/root/.unpacked"
	[[ -e $stamp ]] && return 0

	local base=${kver%-"$RIG_KFLAVOUR"}  # 6.12.117+deb12, 6.1.0-57
	local kbuild
	case $kver in
	6.12.*) kbuild="linux-kbuild-${base%%+*}+deb12" ;;	# linux-kbuild-6.12.117+deb12
	*) kbuild="linux-kbuild-${kver%%.[0-9]-*}" ;;		# linux-kbuild-6.1
	esac
	local image="linux-image-$kver-unsigned$RIG_KPKG_ARCH" kv
	kv=$(rig_pkg_candidate "$image") || rig_die "package $image not known to apt"
	# (kbuild: the build machine's own, whatever the kernel's architecture)
	local pkgs=("$image" "linux-headers-$kver$RIG_KPKG_ARCH"
		    "linux-headers-$base-common" "$kbuild")
	mkdir -p "$dir/debs" "$dir/root.tmp"
	local p v deb
	for p in "${pkgs[@]}"; do
		v=$(rig_pkg_candidate "$p") || rig_die "package $p not known to apt"
		# 6.1's kbuild package is not versioned by ABI: its candidate can
		# be newer than the image; take it at the image's version.
		[[ $p != "$kbuild" ]] || v=$kv
		deb=$(compgen -G "$dir/debs/${p%:*}_*.deb" | head -n1 || true)
		if [[ -z $deb ]]; then
			rig_log "downloading $p ($v)"
			if ! (cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root "$p=$v" > /dev/null); then
				# stale package lists point at files the mirror dropped
				rig_log "apt-get download $p=$v failed; running apt-get update and retrying"
				apt-get update -q > /dev/null || rig_die "apt-get update failed"
				v=$(rig_pkg_candidate "$p") || rig_die "package $p not known to apt after apt-get update"
				[[ $p != "$kbuild" ]] || v=$(rig_pkg_candidate "$image")
				(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root "$p=$v" > /dev/null) ||
					rig_die "apt-get download $p=$v failed"
			fi
			deb=$(compgen -G "$dir/debs/${p%:*}_*.deb" | head -n1) ||
				rig_die "apt-get download $p left no .deb"
		fi
		dpkg-deb -x "$deb" "$dir/root.tmp" || rig_die "dpkg-deb -x $deb failed"
	done
	[[ -e $dir/root.tmp/boot/vmlinuz-$kver ]] || rig_die "no vmlinuz-$kver in the image package"
	# The headers' Makefile includes the common headers by absolute path.
	local mk="$dir/root.tmp/usr/src/linux-headers-$kver/Makefile"
	[[ -e $mk ]] || rig_die "no $mk in the headers package"
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$mk"
	rm -rf "$dir/root"
	mv "$dir/root.tmp" "$dir/root"
	# The package ships no modules.dep (depmod runs at install time).
	depmod -b "$dir/root" "$kver" || rig_die "depmod for $kver failed"
	: > "$stamp"
}

rig_kernel_image() { printf '%s\n' "$RIG_CACHE/$1/root/boot/vmlinuz-$1"; }
rig_kernel_moddir() { printf '%s\n' "$RIG_CACHE/$1/root/lib/modules/$1"; }
rig_kernel_build_dir() { printf '%s\n' "$RIG_CACHE/$1/root/usr/src/linux-headers-$1"; }

# Files our out-of-tree modules take from the kernel source tarball.
RIG_KSRC_FILES=(
	drivers/iio/buffer/industrialio-buffer-dma.c
	drivers/usb/gadget/udc/dummy_hcd.c
)

# rig_kver_has_dac KVER: does tests/vm/modules/Kbuild build iio-sim-dac for
# kernel release KVER (6.11 and later: the DMA buffer core's output and
# DMABUF support)?
rig_kver_has_dac() {
	local major minor
	IFS=. read -r major minor _ <<< "$1"
	((major > 6 || (major == 6 && minor >= 11)))
}

# rig_build_modules KVER KBUILD_DIR OUTDIR_BASE: builds tests/vm/modules
# against KBUILD_DIR; prints the directory holding the .ko files.
rig_build_modules() {
	local kver=$1 kdir=$2 base=$3
	local moddir="$RIG_VM_DIR/modules"
	local hash
	hash=$( { cat "$moddir"/Kbuild "$moddir"/*.c "$moddir"/*.patch;
		  printf '%s\n' "$kver" "$kdir";
		  stat -c '%s %Y' "$RIG_SRC_TARBALL"; } | sha256sum | cut -c1-16)
	local out="$base/modules-$hash"
	if [[ -e $out/.built ]]; then
		touch "$out/.built"
		printf '%s\n' "$out"
		return 0
	fi
	[[ -r $RIG_SRC_TARBALL ]] || rig_die "$RIG_SRC_TARBALL missing (apt-get install linux-source-$RIG_KSERIES)"
	rm -rf "$out"
	mkdir -p "$out"
	rig_log "building test modules in $out"
	local top
	top=$(basename "$RIG_SRC_TARBALL" .tar.xz)	# linux-source-6.12/..., linux-source-6.1/...
	tar -xJf "$RIG_SRC_TARBALL" -C "$out" --strip-components=1 \
		"${RIG_KSRC_FILES[@]/#/$top/}" || rig_die "cannot extract sources from $RIG_SRC_TARBALL"
	cp "$out/drivers/iio/buffer/industrialio-buffer-dma.c" "$out/"
	cp "$out/drivers/usb/gadget/udc/dummy_hcd.c" "$out/"
	rm -rf "$out/drivers"
	patch -s -d "$out" -p1 --no-backup-if-mismatch < "$moddir/dummy_hcd.patch" ||
		rig_die "dummy_hcd.patch does not apply to $RIG_SRC_TARBALL"
	cp "$moddir"/Kbuild "$moddir"/*.c "$out/"
	# CONFIG_DEBUG_INFO_BTF_MODULES= : no pahole needed, test modules need no BTF.
	if ! make -s -C "$kdir" M="$out" -j"$(nproc)" CONFIG_DEBUG_INFO_BTF_MODULES= modules > "$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		rig_die "module build against $kdir failed"
	fi
	local m
	for m in industrialio-buffer-dma iio-sim-adc dummy_hcd $(rig_kver_has_dac "$kver" && echo iio-sim-dac); do
		[[ -e $out/$m.ko ]] || rig_die "module build produced no $m.ko"
	done
	: > "$out/.built"
	# Builds of module sources no run used for a week (other checkouts may
	# share the cache, so recent ones stay).
	local old
	for old in "$base"/modules-*; do
		if [[ $old != "$out" && -n $(find "$old/.built" -mtime +7 2>/dev/null) ]]; then
			rm -rf "$old"
		fi
	done
	printf '%s\n' "$out"
}

# rig_module_closure MODDIR NAME...: prints the paths (relative to MODDIR) of
# the stock modules NAME... and their dependencies, in load order; built-in
# ones are left out.
rig_module_closure() {
	local moddir=$1
	shift
	awk -v want="$*" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub(/-/, "_", p); return p }
	function load(m,   n, i, d) {
		if (m in done) return
		done[m] = 1
		if (m in builtin) return
		if (!(m in deps)) { missing = missing " " m; return }
		n = split(deps[m], d, " ")
		for (i = n; i >= 1; i--) load(base(d[i]))
		print path[m]
	}
	FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
	{ k = $1; sub(/:$/, "", k); b = base(k); path[b] = k; deps[b] = ""
	  for (i = 2; i <= NF; i++) deps[b] = deps[b] " " $i }
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) { x = w[i]; gsub(/-/, "_", x); load(x) }
		if (missing != "") { print "missing modules:" missing > "/dev/stderr"; exit 1 }
	}' "$moddir/modules.builtin" "$moddir/modules.dep"
}

# The Debian mirror apt uses here (deb822 sources first, then sources.list),
# for the debootstrapped roots (systemd/lib/root.sh, hostroot.sh);
# IFB_SD_MIRROR overrides it.
rig_debian_mirror() {
	if [[ -n ${IFB_SD_MIRROR:-} ]]; then
		printf '%s\n' "$IFB_SD_MIRROR"
		return
	fi
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
	if [[ -z $m ]]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
	fi
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}
