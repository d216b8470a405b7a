# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The guest architecture of the VM rig (tests/vm/run --arch), sourced by
# tests/vm/run after kernel.sh:
#   rig_select_arch ARCH  x86_64 (default: everything as it always was),
#                         arm64 (Debian's arm64 kernel in qemu-system-aarch64
#                         -M virt, arm64 userspace) or armhf (the same arm64
#                         kernel, the project's programs built for armhf: a
#                         32-bit userspace through the kernel's compat
#                         syscalls and ioctls). Sets RIG_ARCH, RIG_TRIPLET
#                         (the programs' multiarch triplet; empty on x86_64)
#                         and the kernel flavour.
#   rig_arch_busybox      prints the path of a static busybox for the guest
#   rig_arch_applets      prints that busybox's applet names
#   rig_arch_check BIN... fails unless every ELF BIN is built for RIG_ARCH
#                         (an armhf run must not quietly test arm64 programs)
#   rig_arch_libs BIN...  prints the shared libraries (and the loader) BIN...
#                         need, resolved in the build machine's multiarch
#                         directories, one absolute path a line
#   rig_arch_qemu DIR     sets RIG_QEMU (emulator, machine, CPU), RIG_SERIAL
#                         (console on DIR/console.log, the case's output on
#                         DIR/case.log) and RIG_CMDLINE (console words for
#                         the kernel command line)
# x86_64 uses the machine's own busybox and ldd, as the rig always did.

RIG_ARCH=x86_64
RIG_TRIPLET=

rig_select_arch() {
	case $1 in
	x86_64) RIG_TRIPLET= ; rig_select_kflavour amd64 ;;
	arm64) RIG_TRIPLET=aarch64-linux-gnu; rig_select_kflavour arm64 ;;
	armhf) RIG_TRIPLET=arm-linux-gnueabihf; rig_select_kflavour arm64 ;;
	*) rig_die "unknown --arch '$1' (the rig knows x86_64, arm64, armhf)" ;;
	esac
	RIG_ARCH=$1
}

# Host programs a run on RIG_ARCH needs (tests/install-deps.sh arm has them).
rig_arch_tools() {
	case $RIG_ARCH in
	x86_64) echo qemu-system-x86_64 ;;
	*) echo qemu-system-aarch64 qemu-aarch64-static aarch64-linux-gnu-gcc-12 ;;
	esac
}

# busybox-static:arm64 unpacked (not installed) into the cache, at the
# version apt offers; its applets are listed by running it under
# qemu-user (the list depends on the build's configuration).
rig_arch_busybox() {
	if [[ $RIG_ARCH == x86_64 ]]; then
		echo /bin/busybox
		return
	fi
	local v dir
	v=$(rig_pkg_candidate busybox-static:arm64) || rig_die "busybox-static:arm64 not known to apt (tests/install-deps.sh arm)"
	dir=$RIG_CACHE/busybox-arm64-$v
	if [[ ! -x $dir/bin/busybox ]]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		rig_log "downloading busybox-static:arm64 ($v)"
		(cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User=root "busybox-static:arm64=$v" > /dev/null) ||
			rig_die "apt-get download busybox-static:arm64=$v failed"
		dpkg-deb -x "$dir.tmp"/busybox-static_*.deb "$dir.tmp/root" || rig_die "dpkg-deb -x busybox-static failed"
		rm -rf "$dir"
		mkdir -p "$dir/bin"
		mv "$dir.tmp/root/bin/busybox" "$dir/bin/busybox"
		rm -rf "$dir.tmp"
	fi
	echo "$dir/bin/busybox"
}

rig_arch_applets() {
	if [[ $RIG_ARCH == x86_64 ]]; then
		/bin/busybox --list
	else
		qemu-aarch64-static "$1" --list
	fi
}

rig_arch_check() {
	local want f h
	case $RIG_ARCH in
	arm64) want="ELF64 AArch64" ;;
	armhf) want="ELF32 ARM" ;;
	*) return 0 ;;
	esac
	for f in "$@"; do
		[[ $(head -c 4 "$f") == $'\x7fELF' ]] || continue
		h=$(LC_ALL=C readelf -h "$f" | awk '$1 == "Class:" { c = $2 } $1 == "Machine:" { $1 = ""; m = $0 }
			END { sub(/^ +/, "", m); print c, m }')
		[[ $h == "$want" ]] || rig_die "$f is $h, not $want: not an $RIG_ARCH build"
	done
}

# The dynamic loader (PT_INTERP) and every DT_NEEDED library, transitively,
# looked up where Debian's multiarch packages put them; the guest's glibc
# searches the same directories by default, so the paths are kept.
rig_arch_libs() {
	local -A seen=()
	local todo=("$@") f lib d found interp
	while ((${#todo[@]})); do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		interp=$(LC_ALL=C readelf -lW "$f" 2>/dev/null | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
		if [[ -n $interp && -z ${seen[$interp]:-} ]]; then
			[[ -e $interp ]] || rig_die "$f: loader $interp missing (tests/install-deps.sh arm)"
			seen[$interp]=1
			echo "$interp"
		fi
		while read -r lib; do
			found=
			for d in /lib/$RIG_TRIPLET /usr/lib/$RIG_TRIPLET; do
				if [[ -e $d/$lib ]]; then
					found=$d/$lib
					break
				fi
			done
			[[ -n $found ]] || rig_die "$f needs $lib, not in /usr/lib/$RIG_TRIPLET (a :${RIG_ARCH} package missing?)"
			[[ -z ${seen[$found]:-} ]] || continue
			seen[$found]=1
			echo "$found"
			todo+=("$found")
		done < <(LC_ALL=C readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	done
}

# x86_64: the rig's two 16550s (console, case). arm64 -M virt has one PL011
# (the console); the case's output goes to a virtio console, hvc0 in the
# guest (rig_case_tty=hvc0, see guest/init). -cpu max with QEMU's own
# pointer-authentication algorithm (pauth-impdef): Debian's kernel signs
# return addresses, and with the architected QARMA TCG took 12.5 s instead
# of 4.4 s to reach /init and streamed bridge-zero-copy's 1 GiB at 22
# instead of 27 MiB/s (89 s instead of 66 s for the case).
# shellcheck disable=SC2034 # RIG_QEMU, RIG_SERIAL, RIG_CMDLINE: for tests/vm/run
rig_arch_qemu() {
	local dir=$1
	case $RIG_ARCH in
	x86_64)
		RIG_QEMU=(qemu-system-x86_64 -accel tcg -cpu max)
		RIG_SERIAL=(-serial "file:$dir/console.log" -serial "file:$dir/case.log")
		RIG_CMDLINE="console=ttyS0 no_timer_check"
		;;
	*)
		# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
		RIG_QEMU=(qemu-system-aarch64 -M virt -accel tcg -cpu max,pauth-impdef=on)
		# shellcheck disable=SC2054
		RIG_SERIAL=(-serial "file:$dir/console.log"
			    -device virtio-serial-pci -chardev "file,id=rigcase,path=$dir/case.log"
			    -device virtconsole,chardev=rigcase)
		RIG_CMDLINE="console=ttyAMA0 rig_case_tty=hvc0"
		;;
	esac
}
