# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Debug-kernel variant of the rig (placeholder until implemented).

rig_debug_kernel_prepare() {
	rig_log "the debug kernel variant (--debug-kernel) is not implemented yet"
	return 1
}
