# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The rig's debug kernel (tests/vm/run --debug-kernel): built once from
# linux-source-6.12 with tinyconfig + tests/vm/debug-kernel/config (lockdep,
# DMA-API debug, DEBUG_SG, DEBUG_LIST, debug objects, UBSAN; DMABUF_DEBUG
# off) and cached in $RIG_CACHE/debug-<version>-<config hash>/. About 8 min
# on 2 cores the first time. Needs kernel.sh sourced first.
#
# rig_debug_kernel_prepare sets RIG_DBG_DIR, RIG_DBG_KVER, RIG_DBG_IMAGE,
# RIG_DBG_MODDIR and RIG_DBG_BUILD (the tree to build modules against).
# shellcheck disable=SC2034  # the variables are read by tests/vm/run

rig_debug_kernel_prepare() {
	local frag=$RIG_VM_DIR/debug-kernel/config
	[[ -r $RIG_SRC_TARBALL ]] || rig_die "$RIG_SRC_TARBALL missing (apt-get install linux-source-6.12)"
	local srcver hash
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		rig_die "linux-source-6.12 is not installed"
	hash=$( { cat "$frag"; printf '%s\n' "$srcver"; } | sha256sum | cut -c1-12)
	RIG_DBG_DIR=$RIG_CACHE/debug-$srcver-$hash
	local src=$RIG_DBG_DIR/src out=$RIG_DBG_DIR/build

	if [[ ! -e $RIG_DBG_DIR/.built ]]; then
		rig_log "building the debug kernel from $RIG_SRC_TARBALL ($srcver) in $RIG_DBG_DIR (about 8 min on 2 cores, once)"
		rm -rf "$RIG_DBG_DIR"
		mkdir -p "$src" "$out" "$RIG_DBG_DIR/root"
		tar -xJf "$RIG_SRC_TARBALL" -C "$src" --strip-components=1 ||
			rig_die "extracting $RIG_SRC_TARBALL failed"
		local log=$RIG_DBG_DIR/build.log
		if ! { make -C "$src" O="$out" tinyconfig &&
		       "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" &&
		       make -C "$src" O="$out" olddefconfig; } > "$log" 2>&1; then
			tail -n 30 "$log" >&2
			rig_die "configuring the debug kernel failed (log: $log)"
		fi
		local line missing=()
		while IFS= read -r line; do
			grep -qxF "$line" "$out/.config" || missing+=("$line")
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag")
		grep -qx '# CONFIG_DMABUF_DEBUG is not set' "$out/.config" || missing+=("DMABUF_DEBUG off")
		((${#missing[@]} == 0)) || rig_die "debug kernel config lost: ${missing[*]}"
		if ! make -C "$src" O="$out" -j"$(nproc)" bzImage modules >> "$log" 2>&1 ||
		   ! make -C "$src" O="$out" INSTALL_MOD_PATH="$RIG_DBG_DIR/root" modules_install >> "$log" 2>&1; then
			tail -n 40 "$log" >&2
			rig_die "building the debug kernel failed (log: $log)"
		fi
		# Only the build tree is needed from now on (modules build against it).
		: > "$RIG_DBG_DIR/.built"
	fi
	RIG_DBG_KVER=$(make -s -C "$src" O="$out" kernelrelease 2>/dev/null) ||
		rig_die "cannot read the debug kernel's release"
	RIG_DBG_IMAGE=$out/arch/x86/boot/bzImage
	RIG_DBG_MODDIR=$RIG_DBG_DIR/root/lib/modules/$RIG_DBG_KVER
	RIG_DBG_BUILD=$out
	[[ -e $RIG_DBG_IMAGE && -e $RIG_DBG_MODDIR/modules.dep ]] ||
		rig_die "the debug kernel in $RIG_DBG_DIR is incomplete; delete that directory"
}
