# SPDX-License-Identifier: GPL-2.0-or-later
#
# iio-ffs-bridge. `make` builds the daemon and the host tool, `make check`
# runs every test (unit, sanitizer, VM rig), `make demo` streams the
# simulated ADC over emulated USB. Sources are found by wildcard: one
# main.c per program, every other .c in its directory is library code the
# unit tests link against too.

V ?= 0
Q := $(if $(filter 1,$(V)),,@)
# `make` alone builds everything `all` names (the first rule in the file is
# the host library's, which would otherwise be the default).
.DEFAULT_GOAL := all

CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build

PREFIX ?= /usr/local
DESTDIR ?=
bindir ?= $(PREFIX)/bin
sbindir ?= $(PREFIX)/sbin
# The daemon's config is /etc/iio-ffs-bridge.conf whatever the prefix (a
# board has one); the path is compiled in as the default for -c.
sysconfdir ?= /etc
mandir ?= $(PREFIX)/share/man
docdir ?= $(PREFIX)/share/doc/iio-ffs-bridge
# (Paths on the target: a cross build's PKG_CONFIG_SYSROOT_DIR must not
# prefix them.)
systemdunitdir ?= $(or $(shell PKG_CONFIG_SYSROOT_DIR= $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
udevrulesdir ?= $(or $(shell PKG_CONFIG_SYSROOT_DIR= $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter
CFLAGS ?= -O2 -g
# The project's own preprocessor flags, then the builder's CPPFLAGS (a board
# build system passes its own on the command line, which must not replace
# these). 64-bit file offsets everywhere: a 32-bit build's readdir() and
# a capture past 2 GiB need them (static asserts hold the sources to it).
# The release version is written in one place, debian/changelog's first
# line ("iio-ffs-bridge (0.2.0) unstable; ..."), read with sed so that builds
# without dpkg tools (Buildroot, Yocto) get it too. `make IFB_VERSION=...`
# overrides it. Every compile gets it; the man pages get it at install.
IFB_VERSION := $(shell sed -n '1s/^[^ ]* [(]\([^ ]*\)[)] .*/\1/p' debian/changelog 2>/dev/null)
ifeq ($(IFB_VERSION),)
$(error cannot read the version from debian/changelog's first line; give it as IFB_VERSION=...)
endif
BASE_CPPFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DIFB_VERSION='"$(IFB_VERSION)"'
ALL_CPPFLAGS = -Iinclude -Isrc $(BASE_CPPFLAGS) -DIFB_SYSCONFDIR='"$(sysconfdir)"' $(CPPFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS)
# LDFLAGS from the environment reach every installed binary: a
# distribution's hardening flags (dpkg-buildflags: -z relro, -z now).

pc = $(shell $(PKG_CONFIG) --$(1) $(2) 2>/dev/null)

DAEMON_LIBS = $(call pc,libs,libsystemd) $(call pc,libs,inih) -laio -lm
CAPTURE_LIBS = $(call pc,libs,libusb-1.0) -lm
CAPTURE_CFLAGS = $(call pc,cflags,libusb-1.0) $(call pc,cflags,jansson)
# iio-ffs-play reads SigMF metadata (JSON) with jansson
PLAY_LIBS = $(call pc,libs,jansson)
CHECK_LIBS = $(call pc,libs,check)

COMMON_SRCS := $(wildcard src/common/*.c)
DAEMON_LIB_SRCS := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c)) $(COMMON_SRCS)
CAPTURE_LIB_SRCS := $(filter-out src/capture/main.c,$(wildcard src/capture/*.c))
# iio-ffs-play: its own sources and, of iio-ffs-capture's, the JSON writer,
# the value parsers and the SigMF datatypes.
PLAY_LIB_SRCS := $(filter-out src/play/main.c,$(wildcard src/play/*.c))
PLAY_SHARED_SRCS := src/capture/json.c src/capture/util.c src/capture/sigmf.c
UNIT_SRCS := $(wildcard tests/unit/*.c)

# --- libifbhost: the host library (src/host, include/ifbhost.h) ---------------
# A shared library with a soname (exports listed in src/host/libifbhost.map)
# for applications, and the same objects as an archive that iio-ffs-capture
# links, so the tool stays one file the VM rig can copy alone.
HOST_SRCS := $(wildcard src/host/*.c)
IFBH_VERSION := 1.5.0
IFBH_SONAME := libifbhost.so.1
HOST_SO := $(BUILD)/lib/libifbhost.so.$(IFBH_VERSION)
HOST_A := $(BUILD)/lib/libifbhost.a
# The compiler's multiarch triplet, so that a cross build (CC=TRIPLET-gcc)
# installs to its own lib/TRIPLET; a compiler without multiarch (not
# Debian's) says nothing: plain lib/. dpkg-buildpackage sets it itself.
DEB_HOST_MULTIARCH ?= $(shell $(CC) -print-multiarch 2>/dev/null)
libdir ?= $(PREFIX)/lib$(if $(DEB_HOST_MULTIARCH),/$(DEB_HOST_MULTIARCH))
includedir ?= $(PREFIX)/include
pkgconfigdir ?= $(libdir)/pkgconfig

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC-PIC  $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CAPTURE_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(HOST_SO): $(patsubst %.c,$(BUILD)/pic/%.o,$(HOST_SRCS)) src/host/libifbhost.map
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(IFBH_SONAME) \
		-Wl,--version-script=src/host/libifbhost.map -Wl,--no-undefined \
		$(filter %.o,$^) -o $@ $(call pc,libs,libusb-1.0) -lm
	$(Q)ln -sf $(notdir $@) $(BUILD)/lib/$(IFBH_SONAME)
	$(Q)ln -sf $(IFBH_SONAME) $(BUILD)/lib/libifbhost.so

$(HOST_A): $(patsubst %.c,$(BUILD)/obj/%.o,$(HOST_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# SoapySDR module (soapy/) and Python package (python/ifbhost), where
# Debian's SoapySDR and python3 look for them.
SOAPY_ABI := $(shell $(PKG_CONFIG) --modversion SoapySDR 2>/dev/null | cut -d. -f1,2)
soapymoduledir ?= $(libdir)/SoapySDR/modules$(SOAPY_ABI)
PYTHON3 ?= /usr/bin/python3
PY3VER := $(shell $(PYTHON3) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
pythondir ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY3VER)/dist-packages)
SOAPY_MOD := $(BUILD)/soapy/libifbhSupport.so
PY_SRCS := $(wildcard python/ifbhost/*.py)
# WITH_SOAPY=0 leaves the SoapySDR module out of `all` and the install: a
# cross build for a board whose sysroot has no SoapySDR (Debian's
# libsoapysdr-dev cannot be installed for a second architecture).
WITH_SOAPY ?= 1
SOAPY_BUILT := $(if $(filter 1,$(WITH_SOAPY)),$(SOAPY_MOD))

$(SOAPY_MOD): soapy/ifbh-soapy.cpp include/ifbhost.h $(HOST_SO)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CXX     $<")
	$(Q)$(CXX) -std=c++14 -Wall -Wextra -Werror $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -fPIC -shared -Iinclude $< -o $@ \
		$(call pc,cflags,SoapySDR) $(call pc,libs,SoapySDR) -L$(BUILD)/lib -lifbhost -Wl,--no-undefined

# A man page installed with the release version in its .TH line.
define install-man
	install -d $(DESTDIR)$(mandir)/man$(2)
	sed '/^\.TH /s/"iio-ffs-bridge"/"iio-ffs-bridge $(IFB_VERSION)"/' $(1) > $(DESTDIR)$(mandir)/man$(2)/$(notdir $(1))
	chmod 644 $(DESTDIR)$(mandir)/man$(2)/$(notdir $(1))
endef

# The .pc file is written at install time: it names the directories installed to.
install-host: $(HOST_SO) $(SOAPY_BUILT)
	install -Dm644 $(HOST_SO) $(DESTDIR)$(libdir)/libifbhost.so.$(IFBH_VERSION)
	ln -sf libifbhost.so.$(IFBH_VERSION) $(DESTDIR)$(libdir)/$(IFBH_SONAME)
	ln -sf $(IFBH_SONAME) $(DESTDIR)$(libdir)/libifbhost.so
	install -Dm644 include/ifbhost.h $(DESTDIR)$(includedir)/ifbhost.h
	install -Dm644 include/iio-ffs-bridge/protocol.h $(DESTDIR)$(includedir)/iio-ffs-bridge/protocol.h
	install -d $(DESTDIR)$(pkgconfigdir)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(libdir)|g' -e 's|@INCLUDEDIR@|$(includedir)|g' \
		-e 's|@VERSION@|$(IFBH_VERSION)|g' src/host/libifbhost.pc.in > $(DESTDIR)$(pkgconfigdir)/libifbhost.pc
	$(call install-man,docs/man/libifbhost.3,3)
	$(if $(SOAPY_BUILT),install -Dm644 $(SOAPY_MOD) $(DESTDIR)$(soapymoduledir)/libifbhSupport.so)
	install -d $(DESTDIR)$(pythondir)/ifbhost
	install -m644 $(PY_SRCS) $(DESTDIR)$(pythondir)/ifbhost/

uninstall-host:
	rm -f $(DESTDIR)$(libdir)/libifbhost.so.$(IFBH_VERSION) $(DESTDIR)$(libdir)/$(IFBH_SONAME) \
		$(DESTDIR)$(libdir)/libifbhost.so $(DESTDIR)$(includedir)/ifbhost.h \
		$(DESTDIR)$(includedir)/iio-ffs-bridge/protocol.h \
		$(DESTDIR)$(pkgconfigdir)/libifbhost.pc $(DESTDIR)$(mandir)/man3/libifbhost.3 \
		$(DESTDIR)$(soapymoduledir)/libifbhSupport.so
	rm -rf $(DESTDIR)$(pythondir)/ifbhost
	-rmdir $(DESTDIR)$(includedir)/iio-ffs-bridge 2>/dev/null

# libifbhost's pieces without a device: the Python package's dtypes from
# layouts, against the built library.
check-host: deps $(HOST_SO)
	$(Q)IFBHOST_LIBRARY=$(abspath $(BUILD))/lib/$(IFBH_SONAME) PYTHONPATH=python \
		$(PYTHON3) python/tests/run.py

# A staged install (PREFIX=/usr) the VM rig copies into the guest at /stage
# (hostlib-*.sh cases), and an application built as users build one
# (installed header, pkg-config) from it.
HOSTLIB_STAGE := $(abspath $(BUILD))/stage
HOSTLIB_RIG := $(BUILD)/rig/ifbh-read $(BUILD)/rig/ifbh-time
$(HOSTLIB_STAGE)/.done: $(HOST_SO) $(SOAPY_MOD) $(PY_SRCS) include/ifbhost.h src/host/libifbhost.pc.in
	$(Q)rm -rf $(HOSTLIB_STAGE)
	$(Q)$(MAKE) --no-print-directory -s install-host DESTDIR=$(HOSTLIB_STAGE) PREFIX=/usr >/dev/null
	$(Q)touch $@
$(HOSTLIB_RIG): $(BUILD)/rig/%: tests/hostlib/%.c $(HOSTLIB_STAGE)/.done
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (pkg-config libifbhost)")
	$(Q)export PKG_CONFIG_SYSROOT_DIR=$(HOSTLIB_STAGE) \
		PKG_CONFIG_PATH=$(HOSTLIB_STAGE)$(patsubst $(PREFIX)%,/usr%,$(pkgconfigdir)); \
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $$($(PKG_CONFIG) --cflags libifbhost) $< -o $@ \
		$$($(PKG_CONFIG) --libs libifbhost) -lm \
		-Wl,-rpath,$(HOSTLIB_STAGE)$(patsubst $(PREFIX)%,/usr%,$(libdir))

# iio-ffs-capture as a packager builds it: its own sources (src/capture,
# src/common) and the installed library alone (pkg-config libifbhost, the
# installed ifbhost.h and wire-protocol header), linked against the shared
# library. The include path holds only capture/ and common/, so a header
# of the library's insides (src/host) cannot sneak in. hostlib-c.sh runs it.
CAPTURE_INSTALLED := $(BUILD)/rig/iio-ffs-capture-installed
CAPTURE_INC := $(abspath $(BUILD))/capture-inc
$(CAPTURE_INSTALLED): src/capture/main.c $(CAPTURE_LIB_SRCS) $(COMMON_SRCS) $(wildcard src/capture/*.h src/common/*.h) $(HOSTLIB_STAGE)/.done
	@mkdir -p $(dir $@) $(CAPTURE_INC)
	$(if $(Q),@echo "  CC      iio-ffs-capture (pkg-config libifbhost)")
	$(Q)ln -sfn $(abspath src/capture) $(CAPTURE_INC)/capture
	$(Q)ln -sfn $(abspath src/common) $(CAPTURE_INC)/common
	$(Q)export PKG_CONFIG_SYSROOT_DIR=$(HOSTLIB_STAGE) \
		PKG_CONFIG_PATH=$(HOSTLIB_STAGE)$(patsubst $(PREFIX)%,/usr%,$(pkgconfigdir)); \
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(BASE_CPPFLAGS) $(CPPFLAGS) -I$(CAPTURE_INC) $(CAPTURE_CFLAGS) \
		$$($(PKG_CONFIG) --cflags libifbhost) $(filter %.c,$^) -o $@ \
		$$($(PKG_CONFIG) --libs libifbhost) -lm \
		-Wl,-rpath,$(HOSTLIB_STAGE)$(patsubst $(PREFIX)%,/usr%,$(libdir))

# The last protocol-version-1 daemon and host tool, built from git, for the
# rig's old/new pairing case (hostlib-compat.sh).
IFB_V1_COMMIT := f859008108dc80db684dc49f3f505f6681e47bd8
V1_DIR := $(abspath $(BUILD))/v1
V1_RIG := $(BUILD)/rig/iio-ffs-bridge-v1 $(BUILD)/rig/iio-ffs-capture-v1
$(V1_DIR)/.done:
	$(Q)rm -rf $(V1_DIR) && mkdir -p $(V1_DIR)/src
	$(Q)git archive $(IFB_V1_COMMIT) | tar -x -C $(V1_DIR)/src
	$(if $(Q),@echo "  MAKE    protocol version 1 tools from $(IFB_V1_COMMIT)")
	$(Q)$(MAKE) --no-print-directory -s -C $(V1_DIR)/src BUILD=$(V1_DIR)/build \
		$(V1_DIR)/build/bin/iio-ffs-bridge $(V1_DIR)/build/bin/iio-ffs-capture >/dev/null
	$(Q)touch $@
$(BUILD)/rig/%-v1: $(V1_DIR)/.done
	@mkdir -p $(dir $@)
	$(Q)cp $(V1_DIR)/build/bin/$* $@
# ...and the last protocol-version-2 ones (before SET_SAMPLE_RATE and the
# I/Q hint), for hostlib-rate.sh.
IFB_V2_COMMIT := b9406f8fc2a6fce55784526ec28f6d64ec7e9520
V2_DIR := $(abspath $(BUILD))/v2
V2_RIG := $(BUILD)/rig/iio-ffs-bridge-v2 $(BUILD)/rig/iio-ffs-capture-v2
$(V2_DIR)/.done:
	$(Q)rm -rf $(V2_DIR) && mkdir -p $(V2_DIR)/src
	$(Q)git archive $(IFB_V2_COMMIT) | tar -x -C $(V2_DIR)/src
	$(if $(Q),@echo "  MAKE    protocol version 2 tools from $(IFB_V2_COMMIT)")
	$(Q)$(MAKE) --no-print-directory -s -C $(V2_DIR)/src BUILD=$(V2_DIR)/build \
		$(V2_DIR)/build/bin/iio-ffs-bridge $(V2_DIR)/build/bin/iio-ffs-capture >/dev/null
	$(Q)touch $@
$(BUILD)/rig/%-v2: $(V2_DIR)/.done
	@mkdir -p $(dir $@)
	$(Q)cp $(V2_DIR)/build/bin/$* $@
.PHONY: install-host uninstall-host check-host
# --- end of libifbhost -------------------------------------------------------
RIG_TOOL_SRCS := $(wildcard tests/vm/tools/*.c)

obj = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

DAEMON_BIN := $(BUILD)/bin/iio-ffs-bridge
CAPTURE_BIN := $(BUILD)/bin/iio-ffs-capture
PLAY_BIN := $(BUILD)/bin/iio-ffs-play
UNIT_BIN := $(BUILD)/tests/unit-tests
ASAN_UNIT_BIN := $(BUILD)/asan/unit-tests
RIG_TOOLS := $(patsubst tests/vm/tools/%.c,$(BUILD)/rig/%,$(RIG_TOOL_SRCS)) $(HOSTLIB_RIG) $(CAPTURE_INSTALLED) \
	$(V1_RIG) $(V2_RIG)

.PHONY: all deps check check-unit check-asan check-cross cross-bins check-fuzz fuzz fuzz-seeds check-vm check-vm-debug \
	check-vm-arm rig-programs check-systemd check-capture demo bench clean install uninstall board install-board

all: $(DAEMON_BIN) $(CAPTURE_BIN) $(PLAY_BIN) $(HOST_SO) $(SOAPY_BUILT)

# --- objects ---------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CAPTURE_CFLAGS) -MMD -MP -c $< -o $@

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC-ASAN $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(CAPTURE_CFLAGS) $(ASAN_FLAGS) -O1 -MMD -MP -c $< -o $@

# Objects that print the version are rebuilt when it changes.
VERSION_SRCS := $(shell grep -l IFB_VERSION $(wildcard src/*/*.c) 2>/dev/null)
$(call obj,obj,$(VERSION_SRCS)) $(call obj,asan,$(VERSION_SRCS)): debian/changelog

# --- programs --------------------------------------------------------------
$(DAEMON_BIN): $(call obj,obj,src/daemon/main.c $(DAEMON_LIB_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS)

$(CAPTURE_BIN): $(call obj,obj,src/capture/main.c $(CAPTURE_LIB_SRCS) $(COMMON_SRCS)) $(HOST_A)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(CAPTURE_LIBS)

$(PLAY_BIN): $(call obj,obj,src/play/main.c $(PLAY_LIB_SRCS) $(PLAY_SHARED_SRCS) $(COMMON_SRCS)) $(HOST_A)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(CAPTURE_LIBS) $(PLAY_LIBS)

UNIT_OBJS = $(UNIT_SRCS) $(DAEMON_LIB_SRCS) $(CAPTURE_LIB_SRCS) $(PLAY_LIB_SRCS) $(HOST_SRCS)
$(UNIT_BIN): $(call obj,obj,$(UNIT_OBJS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(CHECK_LIBS) $(DAEMON_LIBS) $(CAPTURE_LIBS) $(PLAY_LIBS)

$(ASAN_UNIT_BIN): $(call obj,asan,$(UNIT_OBJS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD-ASAN $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $^ -o $@ $(CHECK_LIBS) $(DAEMON_LIBS) $(CAPTURE_LIBS) $(PLAY_LIBS)

# The daemon's modules as an archive, so the rig's tools use the same
# wrappers (DMABUF, IIO, FunctionFS descriptors) instead of copies.
DAEMON_LIB := $(BUILD)/libifb-daemon.a
$(DAEMON_LIB): $(call obj,obj,$(DAEMON_LIB_SRCS))
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Small C programs the VM rig runs inside the guest (tests only).
$(BUILD)/rig/%: tests/vm/tools/%.c $(wildcard tests/vm/tools/*.h) $(DAEMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $< -o $@ $(DAEMON_LIB) $(DAEMON_LIBS)

# --- tests -----------------------------------------------------------------
deps:
	$(Q)bash tests/install-deps.sh

# Every test: unit (plain and ASan/UBSan; check-cross: the armhf and
# arm64 builds, their unit tests under qemu-user, and the board's part
# built with a target sysroot as Buildroot and Yocto build it), the Debian
# packages' install, upgrade and purge in a chroot, the VM rig on Debian's kernel
# and on the debug kernel (lockdep, DMA-API, scatterlist checks), on
# Debian's arm64 kernel (arm64 and armhf userspace, check-vm-arm), the unit
# under real systemd, and the demo as a newcomer runs it.
check: deps
	$(Q)$(MAKE) --no-print-directory check-unit
	$(Q)$(MAKE) --no-print-directory check-asan
	$(Q)$(MAKE) --no-print-directory check-cross
	$(Q)$(MAKE) --no-print-directory check-fuzz
	$(Q)$(MAKE) --no-print-directory check-host
	$(Q)$(MAKE) --no-print-directory check-deb
	$(Q)$(MAKE) --no-print-directory check-vm
	$(Q)$(MAKE) --no-print-directory check-vm-debug
	$(Q)$(MAKE) --no-print-directory check-vm-arm
	$(Q)$(MAKE) --no-print-directory check-systemd
	$(Q)$(MAKE) --no-print-directory check-capture
	$(Q)$(MAKE) --no-print-directory demo

# deps first (a fresh machine has no libcheck), then build and run.
check-unit: deps
	$(Q)$(MAKE) --no-print-directory $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

check-asan: deps
	$(Q)$(MAKE) --no-print-directory $(ASAN_UNIT_BIN)
	$(Q)CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(ASAN_UNIT_BIN)

# armhf and arm64 with Debian's cross toolchains: tests/cross/run builds
# cross-bins with this Makefile in $(BUILD)/cross/ARCH (CC=TRIPLET-gcc,
# TRIPLET-pkg-config) and runs the unit tests under qemu-user. Not cross
# built here: the SoapySDR module (C++ against SoapySDR, which the cross
# packages leave out), the VM rig's tools (check-vm-arm builds those for
# the arm64 rig) and the fuzzers (clang's libFuzzer, on the build machine).
CROSS_BINS := $(DAEMON_BIN) $(CAPTURE_BIN) $(PLAY_BIN) $(HOST_SO) $(UNIT_BIN)
cross-bins: $(CROSS_BINS)

check-cross:
	$(Q)bash tests/install-deps.sh cross
	$(Q)MAKE="$(MAKE)" BUILD=$(BUILD) bash tests/cross/run
	$(Q)bash tests/cross/sysroot $(BUILD)/sysroot-arm64

# libFuzzer (clang-14) on every parser of untrusted input: the config
# reader, ep0 decoding and replies, the host's GET_INFO/GET_STATS parsers,
# the IIOD command lines a libiio host sends.
# check-fuzz: about a minute in all; make fuzz FUZZ_SECONDS=N: longer.
FUZZ_CC ?= clang-14
# (clang, unlike gcc, flags log.c's vsnprintf of its va_list as a non-literal format.)
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 -Wno-format-nonliteral
FUZZ_SECONDS ?= 600
FUZZERS := config control capture-proto iiod-parse
fuzz_srcs_config := src/daemon/config.c src/daemon/log.c src/daemon/usb-desc.c src/common/size.c
fuzz_srcs_control := src/daemon/control.c
fuzz_srcs_capture-proto := src/host/proto.c src/host/times.c src/host/timemodel.c src/host/gaps.c
fuzz_libs_capture-proto := -lm
fuzz_srcs_iiod-parse := src/daemon/iiod-parse.c
fuzz_libs_config := $(call pc,libs,inih)
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZERS))

.SECONDEXPANSION:
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $$(fuzz_srcs_$$*) $(wildcard src/*/*.h include/*/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZ-CC $@")
	$(Q)$(FUZZ_CC) $(ALL_CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) $(filter %.c,$^) -o $@ $(fuzz_libs_$*)

check-fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) bash tests/fuzz/run 20

fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)BUILD=$(BUILD) bash tests/fuzz/run $(FUZZ_SECONDS)

# Refresh the committed seeds: the shipped config and every unit-test input.
fuzz-seeds: $(UNIT_BIN)
	$(Q)IFB_UNIT_SEEDS=tests/fuzz/corpus CK_FORK=no $(UNIT_BIN) >/dev/null
	$(Q)cp conf/iio-ffs-bridge.conf tests/fuzz/corpus/config/shipped.conf

# Debian's 6.12 (every case) and 6.1 (the cases marked "# kernels: 6.1"),
# each run with its own summary line; fails if either failed.
check-vm: deps all $(RIG_TOOLS)
	$(Q)r=0; bash tests/vm/run || r=1; bash tests/vm/run --kernel 6.1 || r=1; exit $$r

check-vm-debug: deps all $(RIG_TOOLS)
	$(Q)bash tests/vm/run --debug-kernel

# The rig on Debian's arm64 kernel (issue 20; in make check): the
# daemon, host tool and rig probes cross-built for arm64 into
# $(BUILD)/arm64, and for armhf into $(BUILD)/armhf (32-bit userspace on the
# arm64 kernel: compat ioctls), each run on the cases below.
ARM64_CASES ?= bridge-zero-copy bridge-copy bridge-hybrid bridge-reconnect-zero-copy libiio-readdev-zero-copy \
	streams-two tx-zero-copy tx-cyclic
# armhf: 32-bit userspace through the arm64 kernel's compat ioctls, both ways
ARMHF_CASES ?= bridge-zero-copy tx-zero-copy
# e.g. ARM_RIG_FLAGS="-j 1 --stream"
ARM_RIG_FLAGS ?=
# What the rig copies into the guest: no shared library, no SoapySDR module.
RIG_PROGRAMS := $(DAEMON_BIN) $(CAPTURE_BIN) $(PLAY_BIN) $(patsubst tests/vm/tools/%.c,$(BUILD)/rig/%,$(RIG_TOOL_SRCS))
rig-programs: $(RIG_PROGRAMS)
# The rig's programs for ARCH ($(1)) with triplet $(2)'s cross toolchain,
# into $(BUILD)/ARCH, where tests/vm/run --arch ARCH looks for them.
arm_rig_programs = $(MAKE) --no-print-directory BUILD=$(BUILD)/$(1) CC=$(2)-gcc AR=$(2)-ar \
	PKG_CONFIG=$(2)-pkg-config DEB_HOST_MULTIARCH=$(2) rig-programs
check-vm-arm:
	$(Q)bash tests/install-deps.sh arm
	$(Q)$(call arm_rig_programs,arm64,aarch64-linux-gnu)
	$(Q)$(call arm_rig_programs,armhf,arm-linux-gnueabihf)
	$(Q)r=0; BUILD=$(BUILD) bash tests/vm/run --arch arm64 $(ARM_RIG_FLAGS) $(ARM64_CASES) || r=1; \
		BUILD=$(BUILD) bash tests/vm/run --arch armhf $(ARM_RIG_FLAGS) $(ARMHF_CASES) || r=1; exit $$r

# Captures cut short (Ctrl-C, device unplugged) leave valid SigMF pairs:
# made in the rig, checked here on the host.
check-capture: deps all $(RIG_TOOLS)
	$(Q)rm -rf $(BUILD)/vm-out/interrupted
	$(Q)bash tests/vm/run tests/vm/capture/interrupted.sh
	$(Q)pass=0; fail=0; for rec in sigint unplug; do \
		if python3 tests/sigmf-check $(BUILD)/vm-out/interrupted/$$rec; then \
			pass=$$((pass + 1)); else fail=$$((fail + 1)); fi; \
	done; echo "$$pass passed, $$fail failed"; [ $$fail = 0 ]

# The unit under real systemd (PID 1) in a Debian 12 root, installed with
# make install, against the same kernel and simulated hardware.
check-systemd: deps all
	$(Q)bash tests/vm/systemd/run

# The Debian packages (debian/), built from a clean copy of the tracked
# files into $(BUILD)/deb/ and checked with lintian (tests/deb/build); the
# boards' (armhf, arm64: cross-built, without the SoapySDR module) into
# $(BUILD)/deb/armhf/ and $(BUILD)/deb/arm64/.
deb: deps
	$(Q)bash tests/deb/build --lintian $(BUILD)/deb
	$(Q)bash tests/install-deps.sh cross
	$(Q)bash tests/deb/build --lintian --arch armhf $(BUILD)/deb/armhf
	$(Q)bash tests/deb/build --lintian --arch arm64 $(BUILD)/deb/arm64

# Their install, upgrade, removal and purge in a clean Debian 12 root.
check-deb: deps
	$(Q)bash tests/install-deps.sh cross
	$(Q)BUILD=$(BUILD) bash tests/deb/run
.PHONY: deb check-deb

# Zero-copy, hybrid and copy mode, and the pipeline's two halves, in the
# rig. BENCH_ROWS=MODE[:SIZE:COUNT[:ALLOC]],... runs a subset.
bench: deps all $(RIG_TOOLS)
	$(Q)RIG_EXTRA_BINS=$$(command -v strace) $(if $(BENCH_ROWS),RIG_APPEND=bench_rows=$(BENCH_ROWS)) \
		bash tests/vm/run --stream tests/vm/bench/bench.sh
	$(Q)echo "bench: table saved in $(BUILD)/vm-out/bench/bench.txt"

# make bench's zero-copy and copy rows in the arm64 rig (the arch column
# says aarch64): udmabuf, since Debian's arm64 kernel has no DMA heap.
BENCH_ARM_ROWS ?= zero-copy:64K:8:udmabuf,zero-copy:1M:8:udmabuf,copy:64K:8,copy:1M:8
bench-arm:
	$(Q)bash tests/install-deps.sh arm
	$(Q)$(call arm_rig_programs,arm64,aarch64-linux-gnu)
	$(Q)RIG_APPEND=bench_rows=$(BENCH_ARM_ROWS) BUILD=$(BUILD) \
		bash tests/vm/run --arch arm64 --stream tests/vm/bench/bench.sh
	$(Q)echo "bench-arm: table saved in $(BUILD)/arm64/vm-out/bench/bench.txt"
.PHONY: bench-arm

# The daemon streams the simulated ADC over emulated USB to the host tool,
# live rate on screen; the SigMF capture is left in build/demo/.
demo: deps all $(RIG_TOOLS)
	$(Q)bash tests/vm/run --stream tests/vm/demo/demo.sh
	$(Q)mkdir -p $(BUILD)/demo
	$(Q)cp $(BUILD)/vm-out/demo/capture.sigmf-meta $(BUILD)/vm-out/demo/capture.sigmf-data $(BUILD)/demo/
	$(Q)python3 tests/sigmf-check $(BUILD)/demo/capture
	$(Q)echo "demo: capture in $(BUILD)/demo/capture.sigmf-meta and $(BUILD)/demo/capture.sigmf-data"

# --- installation -------------------------------------------------------------
UNIT := $(BUILD)/iio-ffs-bridge.service
$(UNIT): systemd/iio-ffs-bridge.service.in
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' $< > $@

# The board's part alone: the daemon, its unit, config and man pages. What
# a board's build system (Buildroot, Yocto) builds for the target: it needs
# libsystemd, inih and libaio, nothing of the host side (README, "Building
# for a board").
board: $(DAEMON_BIN) $(UNIT)

install-board: board
	install -Dm755 $(DAEMON_BIN) $(DESTDIR)$(sbindir)/iio-ffs-bridge
	install -Dm644 $(UNIT) $(DESTDIR)$(systemdunitdir)/iio-ffs-bridge.service
	@if [ -e $(DESTDIR)$(sysconfdir)/iio-ffs-bridge.conf ]; then \
		echo "keeping the existing $(DESTDIR)$(sysconfdir)/iio-ffs-bridge.conf"; \
	else \
		echo "install -Dm644 conf/iio-ffs-bridge.conf $(DESTDIR)$(sysconfdir)/iio-ffs-bridge.conf"; \
		install -Dm644 conf/iio-ffs-bridge.conf $(DESTDIR)$(sysconfdir)/iio-ffs-bridge.conf; \
	fi
	$(call install-man,docs/man/iio-ffs-bridge.8,8)
	$(call install-man,docs/man/iio-ffs-bridge.conf.5,5)
	install -Dm644 docs/protocol.md $(DESTDIR)$(docdir)/protocol.md

install: all install-board install-host
	install -Dm755 $(CAPTURE_BIN) $(DESTDIR)$(bindir)/iio-ffs-capture
	$(call install-man,docs/man/iio-ffs-capture.1,1)
	install -Dm755 $(PLAY_BIN) $(DESTDIR)$(bindir)/iio-ffs-play
	$(call install-man,docs/man/iio-ffs-play.1,1)
	install -Dm644 conf/60-iio-ffs-bridge.rules $(DESTDIR)$(udevrulesdir)/60-iio-ffs-bridge.rules

# The configuration is the owner's: uninstall leaves it.
uninstall: uninstall-host
	rm -f $(DESTDIR)$(sbindir)/iio-ffs-bridge $(DESTDIR)$(bindir)/iio-ffs-capture \
		$(DESTDIR)$(bindir)/iio-ffs-play $(DESTDIR)$(mandir)/man1/iio-ffs-play.1 \
		$(DESTDIR)$(systemdunitdir)/iio-ffs-bridge.service \
		$(DESTDIR)$(mandir)/man8/iio-ffs-bridge.8 $(DESTDIR)$(mandir)/man5/iio-ffs-bridge.conf.5 \
		$(DESTDIR)$(mandir)/man1/iio-ffs-capture.1 \
		$(DESTDIR)$(udevrulesdir)/60-iio-ffs-bridge.rules $(DESTDIR)$(docdir)/protocol.md
	-rmdir $(DESTDIR)$(docdir) 2>/dev/null
	@echo "kept $(DESTDIR)$(sysconfdir)/iio-ffs-bridge.conf (remove it by hand if unwanted)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/asan $(BUILD)/pic -type f -name '*.d' 2>/dev/null)
