# SPDX-License-Identifier: MIT
#
# tcpdoctor: plain GNU make, C11, dependencies through pkg-config.
#
#   make                    build build/tcpdoctor
#   make run                install missing packages, build, run `tcpdoctor check` on this host
#   make check              build and run every unit, golden, integration and conformance test
#   make check SAN=address,undefined   the same under sanitizers, in build-san/
#   make bench              benchmarks against ss and netstat (bench/)
#   make fuzz               every parser under libFuzzer (clang), FUZZ_SECONDS each;
#                           fails on any sanitizer report
#   make install            PREFIX=/usr/local DESTDIR=
#   make clean
#
# Missing Debian packages are installed by scripts/deps.sh (as root), or it
# prints the apt-get command to run.

PKG_CONFIG ?= pkg-config
PKGS       := libmnl jansson libzstd libpcap ncursesw libtracefs libtraceevent
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
BUILD      ?= build
VERSION    := 0.1.0

CFLAGS     ?= -O2 -g
CFLAGS     += -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
              -Wvla -Wno-missing-field-initializers
CPPFLAGS   += -D_GNU_SOURCE -I. -DTD_VERSION='"$(VERSION)"'

ifneq ($(WERROR),)
CFLAGS     += -Werror
endif
ifneq ($(FUZZ),)                      # make fuzz: clang + libFuzzer, in build-fuzz
BUILD      := build-fuzz
CC         := clang
CFLAGS     += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif
ifneq ($(SAN),)
BUILD      := build-san
CFLAGS     += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SAN)
endif

# Package flags are discovered once per build directory, after
# scripts/deps.sh has made sure the packages are there.  GNU make builds an
# included makefile first and restarts, so this happens before any compile.
NEEDS_CONFIG := $(filter-out clean,$(or $(MAKECMDGOALS),all))
ifneq ($(NEEDS_CONFIG),)
include $(BUILD)/config.mk
endif
ifneq ($(filter check bench unit,$(MAKECMDGOALS)),)
include $(BUILD)/config-test.mk
endif

CPPFLAGS   += $(PKG_CFLAGS)
LDLIBS     += $(PKG_LIBS) -lm

SRC     := $(wildcard core/*.c cmd/*.c collectors/*.c analyzers/*.c tcp/*.c sim/*.c lab/*.c)
LIBOBJ  := $(patsubst %.c,$(BUILD)/%.o,$(filter-out cmd/main.c,$(SRC)))
UNITSRC := $(wildcard tests/unit/*/*_test.c)
UNIT    := $(patsubst %.c,$(BUILD)/%,$(UNITSRC))
BENCHSRC := $(wildcard bench/*.c)
BENCH   := $(patsubst %.c,$(BUILD)/%,$(BENCHSRC))
HELPSRC := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst %.c,$(BUILD)/%,$(HELPSRC))
FUZZSRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS := $(patsubst %.c,$(BUILD)/%,$(FUZZSRC))
FUZZ_SECONDS ?= 60

all: $(BUILD)/tcpdoctor

$(BUILD)/config.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh build
	@{ echo "PKG_CFLAGS := $$($(PKG_CONFIG) --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$($(PKG_CONFIG) --libs $(PKGS))"; } > $@.tmp && mv $@.tmp $@

$(BUILD)/config-test.mk: scripts/deps.sh
	@mkdir -p $(@D)
	@scripts/deps.sh test
	@{ echo "CHECK_CFLAGS := $$($(PKG_CONFIG) --cflags check)"; \
	   echo "CHECK_LIBS := $$($(PKG_CONFIG) --libs check)"; } > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libtd.a: $(LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tcpdoctor: $(BUILD)/cmd/main.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: CPPFLAGS += $(CHECK_CFLAGS)
$(BUILD)/tests/unit/%_test: $(BUILD)/tests/unit/%_test.o $(BUILD)/tests/unit/check_main.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
ifeq ($(FUZZ),)
# In tests: each fuzz target with driver.c, replaying its corpus (tests/misc/fuzz-replay.sh).
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o $(BUILD)/tests/fuzz/util.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
else
$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/util.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
endif
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libtd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: all $(UNIT) $(HELPERS) $(FUZZERS) $(BENCH)

check: all $(UNIT) $(HELPERS) $(FUZZERS) $(BENCH)
	@tests/run.sh $(BUILD)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=1] [FUZZ_TARGETS='trace_raw ...']:
# each target under libFuzzer, starting from its seed corpus; new inputs go to
# build-fuzz/corpus/, reproducers to build-fuzz/crash/.  Fails on any crash,
# sanitizer report, leak, timeout or out-of-memory (tests/fuzz/run.sh).
FUZZ_JOBS ?= 1
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run: $(FUZZERS)
	@tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

bench: all $(BENCH) $(HELPERS)
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)


run: all
	@# 1 (WARNING) and 2 (CRITICAL) are findings, not build failures.
	$(BUILD)/tcpdoctor check || [ $$? -le 2 ]

install: all
	install -D -m 0755 $(BUILD)/tcpdoctor $(DESTDIR)$(SBINDIR)/tcpdoctor
	for m in man/*.[1-8]; do \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done

clean:
	rm -rf build build-san build-fuzz

.PHONY: all check unit bench run install clean fuzz fuzz-run
.SECONDARY:
-include $(LIBOBJ:.o=.d) $(BUILD)/cmd/main.d $(UNIT:=.d) $(HELPERS:=.d) $(BENCH:=.d) $(FUZZERS:=.d)
