# mlrun - the one build entry point.  `make`, `make check`, `make asan`, `make install`, `make bench`.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share/mlrun
LIBEXECDIR ?= $(PREFIX)/libexec/mlrun
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
PKGS       := libseccomp libnl-3.0 libnl-route-3.0 inih json-c

ifeq ($(V),1)
Q :=
else
Q := @
endif

# libsystemd (sd-bus, for a delegated scope when rootless: cgroup/systemd.c) is not linked but
# loaded with dlopen when a run needs it: its headers come from libsystemd-dev, the library from
# libsystemd0 at run time; runs that never ask systemd do not pay for loading it.
PKGS_DLOPEN := libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_DLOPEN) 2>/dev/null)
# The five libraries are linked statically (their Debian -dev packages ship the archives):
# loading and binding them (-z now) at every start cost ~0.6 ms of a ~7 ms sandbox start.
# mlrun itself is a static PIE, glibc included (libc6-dev ships libc.a): no dynamic loader, no
# libc.so mapped whole by fault-around (peak RSS under 2 MB; docs/performance.md, fifth round);
# the NSS lookups as root run in mlrun-ids below, else in the host's getent (runtime/prepare.c),
# and libsystemd, loaded only for a rootless scope, comes in with dlopen (cgroup/systemd.c). The
# sanitizer, fuzzing and valgrind builds link glibc dynamically. libm is not linked (lib/num.h).
# The link fails on any warning but glibc's notes on dlopen and libnl's unused getaddrinfo.
# See docs/performance.md.
PKG_LIBS   := -Wl,-Bstatic $(shell pkg-config --libs $(PKGS) 2>/dev/null) -Wl,-Bdynamic -lpthread -ldl
STATIC_LIBS := $(shell pkg-config --libs --static $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu17 $(WARN) $(HARDEN) $(PKG_CFLAGS) -I. \
            -DMLRUN_VERSION='"$(VERSION)"' -DMLRUN_DATADIR='"$(DATADIR)"' -DMLRUN_LIBEXECDIR='"$(LIBEXECDIR)"'
override LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed

BUILD    ?= build
PROBE    := $(BUILD)/tests/probe
MODULES  := lib policy cgroup ns rootfs security runtime tools
SRCS     := $(sort $(wildcard $(addsuffix /*.c,$(MODULES))))
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/runtime/main.o,$(OBJS))

# The probe too: `mlrun audit` runs it, so a plain `make` leaves a build tree that audits.
all: mlrun mlrun-oci mlrun-ids $(PROBE)

mlrun: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -static-pie -o $@ $^ $(STATIC_LIBS) 2>$@.ld-warnings || { cat $@.ld-warnings; exit 1; }
	$(Q)! grep -v "requires at runtime the shared libraries from the glibc version used for linking\|: in function" $@.ld-warnings
	$(Q)rm -f $@.ld-warnings

# mlrun-ids: the NSS lookups of the sandbox ids as root (runtime/ids/mlrun-ids.c), linked against
# the shared glibc so that NSS can load its modules; mlrun runs getent twice when it is missing.
mlrun-ids: runtime/ids/mlrun-ids.c
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The same objects linked against the shared glibc, for valgrind (tests/valgrind.bats): memcheck
# replaces malloc through a preloaded library, which a static binary never loads.
$(BUILD)/mlrun-dynamic: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# mlrun-oci: the same binary, started under the name an OCI engine is given (docs/oci.md).
mlrun-oci: mlrun
	$(Q)ln -sf mlrun $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

# The built-in profiles' seccomp filters, compiled at build time (security/builtin.c): a
# generator linked from this build's own profile and compiler objects and its static libseccomp
# writes them as C arrays. Valid for this build's libseccomp and architecture only, which is
# the only binary that embeds them.
GEN_OBJS := $(BUILD)/security/filter.o $(BUILD)/policy/syscalls.o $(BUILD)/lib/error.o

$(BUILD)/gen/builtin_filters: security/gen/builtin_filters.c $(GEN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/gen/builtin_filters.h: $(BUILD)/gen/builtin_filters
	$(Q)$< > $@.tmp && mv $@.tmp $@

$(BUILD)/security/builtin.o: $(BUILD)/gen/builtin_filters.h
$(BUILD)/security/builtin.o: override CFLAGS += -I$(BUILD)/gen

# ---- tests ---------------------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The probe is static so it runs in any sandbox root, whatever that root holds.
$(PROBE): $(wildcard tests/probes/*.c)
	@mkdir -p $(dir $@)
	@echo "  PROBE   $@"
	$(Q)$(CC) -std=gnu17 -O2 -Wall -Wextra -Werror -static -o $@ $^

test-deps: mlrun mlrun-oci mlrun-ids $(BUILD)/mlrun-dynamic $(UNIT_BINS) $(PROBE)

# check: unit tests + host BATS suites (plain and ASan+UBSan) + the cgroup v2 VM suites;
# one closing summary line.
# check and demo install the packages first, then build in a new make: this one computed the
# pkg-config flags when it read the Makefile, before a fresh machine had the -dev packages.
check: deps
	$(Q)$(MAKE) --no-print-directory test-deps asan
	$(Q)MLRUN_ASAN=$(CURDIR)/mlrun-asan tests/run-all.sh

check-host: test-deps
	$(Q)MLRUN_SKIP_VM=1 tests/run-all.sh

# soak: the long soak (docs/testing.md): SOAK_RUNS sequential runs on the host, then
# SOAK_VM_RUNS runs 8 at a time in the cgroup v2 VM (root and rootless passes; one soak test is
# one TAP line, so the VM's no-progress limit grows with the runs). The short form
# is part of check (tests/soak.bats, tests/vm/soak.bats).
SOAK_RUNS ?= 10000
SOAK_VM_RUNS ?= 1000
soak: test-deps
	$(Q)tests/soak.sh $(SOAK_RUNS) 1
	$(Q)MLRUN_SOAK_VM_RUNS=$(SOAK_VM_RUNS) MLRUN_VM_TIMEOUT=$$(($(SOAK_VM_RUNS) * 6)) \
		MLRUN_VM_MAX_TIME=$$(($(SOAK_VM_RUNS) * 12 + 600)) tests/vm/run.sh tests/vm/soak.bats

asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" mlrun-asan

mlrun-asan: $(OBJS)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

check-asan: deps
	$(MAKE) asan
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined" $(UNIT_BINS:build/%=build-asan/%) build-asan/tests/probe
	$(Q)MLRUN=$(CURDIR)/mlrun-asan BUILD=build-asan MLRUN_SKIP_VM=1 tests/run-all.sh

# ---- set-up ---------------------------------------------------------------------------------
DEB_BUILD := build-essential pkg-config libseccomp-dev libnl-3-dev libnl-route-3-dev libinih-dev libjson-c-dev libsystemd-dev
DEB_TEST  := bats bats-assert bats-support python3 libxml2-utils strace python3-numpy python3-scipy python3-sklearn python3-pytest nodejs \
             python3-pandas python3-torch libopenblas0-pthread \
             util-linux mount e2fsprogs iproute2 procps valgrind \
             qemu-system-x86 busybox-static cpio xz-utils podman crun containerd uidmap slirp4netns python3-grpcio \
             golang-github-containers-common \
             systemd dbus dbus-user-session libpam-systemd
# (the last line: the systemd VM boot of tests/vm/run.sh --systemd starts this root's own systemd
# as PID 1, with a system bus and a user manager whose bus a rootless run asks for a scope)
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)

deps:
	$(Q)if ! dpkg-query -W -f='$${Status}\n' $(DEB_ALL) 2>/dev/null | grep -qv 'install ok installed' \
	     && [ "$$(dpkg-query -W -f='$${Status}\n' $(DEB_ALL) 2>/dev/null | wc -l)" -eq "$(words $(DEB_ALL))" ]; then \
	   echo "  DEPS    all installed"; \
	 else \
	   SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	   $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_ALL); \
	 fi

demo: deps
	$(Q)$(MAKE) --no-print-directory mlrun
	./mlrun --policy policies/strict.ini --report - --summary -- examples/hello.py

install: mlrun mlrun-ids $(PROBE)
	install -Dm755 mlrun $(DESTDIR)$(BINDIR)/mlrun
	install -Dm755 mlrun-ids $(DESTDIR)$(LIBEXECDIR)/mlrun-ids
	ln -sf mlrun $(DESTDIR)$(BINDIR)/mlrun-oci
	install -Dm755 $(PROBE) $(DESTDIR)$(DATADIR)/probes/probe
	install -d $(DESTDIR)$(DATADIR)/policies
	install -m644 policies/*.ini $(DESTDIR)$(DATADIR)/policies/
	install -Dm644 tools/scan/mlrun_scan.py $(DESTDIR)$(DATADIR)/scan/mlrun_scan.py
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m644 docs/mlrun.1 $(DESTDIR)$(MANDIR)/man1/
	install -m644 docs/mlrun-policy.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf build build-asan build-fuzz mlrun mlrun-oci mlrun-ids mlrun-asan

.PHONY: all check check-host soak asan check-asan deps demo install clean test-deps

# ---- benchmarks (bench/, docs/performance.md) -------------------------------------------------
# bench: side-by-side start-up against unshare, bubblewrap, crun, firejail; memory, throughput,
# bind scaling, start-up breakdown; results in bench/results/. bench-smoke: one short pass of
# all of it (CI keeps the scripts working; asserts no timing). Both run as root.
DEB_BENCH := hyperfine bubblewrap crun firejail uidmap strace linux-perf gcc libc6-dev python3-numpy podman busybox-static

deps-bench:
	$(Q)if dpkg-query -W -f='$${Status}\n' $(DEB_BENCH) 2>/dev/null | grep -c 'install ok installed' \
	     | grep -qx "$(words $(DEB_BENCH))"; then \
	   echo "  DEPS    bench: all installed"; \
	 else \
	   SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	   $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_BENCH); \
	 fi

bench: mlrun
	$(Q)bench/run.sh

bench-smoke: mlrun
	$(Q)bench/run.sh --smoke

.PHONY: bench bench-smoke deps-bench

# ---- fuzzing (tests/fuzz/, docs/testing.md) ---------------------------------------------------
# One libFuzzer harness per parser of outside input, linked against the project's objects built
# with clang and ASan+UBSan in build-fuzz/ (never part of all/check). fuzz: FUZZ_SECONDS (60) per
# harness, new inputs kept in build-fuzz/corpus/; fuzz-smoke: every corpus file once, then a few
# seconds each (what .ci/run runs). Crashes land in build-fuzz/artifacts/.
# Debian 12: clang is clang-14; libclang-rt-14-dev ships its libFuzzer and sanitizer runtimes.
DEB_FUZZ     := clang libclang-rt-14-dev
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# clang's -Wformat=2 also flags vsnprintf(fmt) wrappers and "" formats, which gcc's does not.
FUZZ_WARN    := $(WARN) -Wno-format-nonliteral -Wno-format-zero-length
FUZZ_NAMES   := $(sort $(basename $(notdir $(wildcard tests/fuzz/*.c))))
# state: the state file reaches state.c through json-c's readers, which the harness replaces.

deps-fuzz:
	$(Q)if dpkg-query -W -f='$${Status}\n' $(DEB_FUZZ) 2>/dev/null | grep -c 'install ok installed' \
	     | grep -qx "$(words $(DEB_FUZZ))"; then \
	   echo "  DEPS    fuzz: all installed"; \
	 else \
	   SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	   $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_FUZZ); \
	 fi

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) $(FUZZ_LDFLAGS_$*) -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) WARN="$(FUZZ_WARN)" \
		CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" LDFLAGS="$(FUZZ_SAN)" \
		fuzz-bins

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_BUILD) $(or $(FUZZ_SMOKE_SECONDS),5) $(FUZZ_NAMES)

.PHONY: deps-fuzz fuzz-build fuzz-bins fuzz fuzz-smoke
