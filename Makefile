# rhq - ask RunningHub for the state of many tasks at once.
# Written for both GNU make and BSD make (bmake): no GNU functions, no
# pattern rules, no conditionals; shell work happens in the recipes.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

# A user's CFLAGS replace these defaults, hardening included; under BSD make
# the system's CFLAGS (sys.mk, mk.conf) do. The fortify define sits here
# rather than in CPPFLAGS so that CFLAGS=-O0 does not leave it without -O.
# RHQ_CFLAGS comes after CFLAGS in every compile, so no user flags drop the
# warnings.
CC ?= cc
CFLAGS ?= -g -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2
RHQ_CFLAGS = -std=c11 -Wall -Wextra
PKG_CONFIG ?= pkg-config
CURL_MIN = 7.81.0

CURL_CFLAGS = $$($(PKG_CONFIG) --cflags libcurl)
CURL_LIBS = $$($(PKG_CONFIG) --libs libcurl)
TEST_CFLAGS = $$($(PKG_CONFIG) --cflags check libmicrohttpd libcurl openssl)
TEST_LIBS = $$($(PKG_CONFIG) --libs check libmicrohttpd libcurl openssl) -pthread

# What `make deps` installs: the libraries, and the tools `make check` uses.
DEPS = libcurl4-openssl-dev libjsmn-dev check libmicrohttpd-dev libssl-dev pkg-config valgrind \
	bash-completion zsh fish
# What `make lint`, `make fuzz` and `make check-build` need on top.
DEV_DEPS = clang libclang-rt-14-dev cppcheck clang-tidy mandoc musl-tools bmake
# What `make deb` and `make check-deb` need on top.
DEB_DEPS = build-essential dpkg-dev debhelper fakeroot lintian devscripts
# What `make bench` needs on top.
BENCH_DEPS = nginx-light wrk curl openssl time util-linux diffutils

# Fortify off: its checked copies of memcpy and the like bypass ASan's.
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-U_FORTIFY_SOURCE
FUZZ_SECONDS = 60
FUZZ_CC = clang

TEST_SRC = tests/check_rhq.c tests/common.c tests/system.c tests/faults.c tests/workflow.c \
	tests/outage.c tests/harness.c tests/results.c tests/state.c
TESTS = $(TEST_SRC) tests/harness.h tests/suites.h tests/seam.h tests/standin.h tests/ids.h

all: rhq

rhq: rhq.c
	@$(PKG_CONFIG) --atleast-version=$(CURL_MIN) libcurl || { \
		echo "rhq needs libcurl $(CURL_MIN) or newer and its development files" \
		    "(make deps on Debian); $(PKG_CONFIG) finds" \
		    "$$($(PKG_CONFIG) --modversion libcurl 2>/dev/null || echo none)" >&2; \
		exit 1; }
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ rhq.c $(LDFLAGS) \
	    $(CURL_LIBS) -lm

tests/standin.o: tests/standin.c tests/standin.h tests/ids.h
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -c -o $@ tests/standin.c

tests/standin: tests/standin_main.c tests/standin.o
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ tests/standin_main.c \
	    tests/standin.o $(LDFLAGS) $(TEST_LIBS)

tests/check_rhq: $(TESTS) rhq.c tests/standin.o
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ $(TEST_SRC) \
	    tests/standin.o $(LDFLAGS) $(TEST_LIBS) -lm

# The same program and tests, built with AddressSanitizer and UBSan.
rhq-asan: rhq.c
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(SAN) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ rhq.c $(LDFLAGS) \
	    $(CURL_LIBS) -lm

tests/check_rhq-asan: $(TESTS) rhq.c tests/standin.c
	$(CC) $(CFLAGS) $(RHQ_CFLAGS) $(SAN) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ $(TEST_SRC) \
	    tests/standin.c $(LDFLAGS) $(TEST_LIBS) -lm

# Every test: unit and system tests, again under the sanitizers, and the
# system tests once more with every rhq run under valgrind; the completions
# in the real shells.  `make check` runs the passes at once (valgrind's split
# in shards), each to a log of its own, and then shows the logs.
CHECK_UNIT = RHQ=./rhq tests/check_rhq
CHECK_ASAN = RHQ=./rhq-asan RHQ_ASAN_OPTIONS=exitcode=99:detect_leaks=1 \
	RHQ_UBSAN_OPTIONS=exitcode=99:print_stacktrace=1 tests/check_rhq-asan
# The last two options make each of valgrind's many short rhq runs start a
# fifth faster; it finds the same errors, but leaves inlined frames out of
# its stack traces.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible \
	--read-inline-info=no --vex-guest-chase=no
CHECK_VALGRIND = RHQ=./rhq RHQ_WRAPPER='$(VALGRIND)' tests/check_rhq
CHECK_VALGRIND_SHARDS = "valgrind 1/3: RHQ_SHARD=1/3 $(CHECK_VALGRIND)" \
	"valgrind 2/3: RHQ_SHARD=2/3 $(CHECK_VALGRIND)" \
	"valgrind 3/3: RHQ_SHARD=3/3 $(CHECK_VALGRIND)"

# The four programs build two at a time, unless make already runs in parallel.
check:
	@case "$$MAKEFLAGS" in *j*) jobs= ;; *) jobs=-j2 ;; esac; \
	    $(MAKE) $$jobs check-programs
	@sh tests/run.sh "plain: $(CHECK_UNIT)" "asan: $(CHECK_ASAN)" \
	    $(CHECK_VALGRIND_SHARDS) "completions: sh tests/completions.sh"

check-programs: rhq rhq-asan tests/check_rhq tests/check_rhq-asan

check-unit: rhq tests/check_rhq
	$(CHECK_UNIT)

check-asan: rhq-asan tests/check_rhq-asan
	$(CHECK_ASAN)

check-valgrind: rhq tests/check_rhq
	@sh tests/run.sh $(CHECK_VALGRIND_SHARDS)

# What a TAB offers in bash, with and without bash-completion, zsh and fish.
check-completions: rhq
	sh tests/completions.sh

# The Makefile under BSD make, the compile flags, and install and uninstall
# under umask 077, in a copy of the tree under tests/tmp/build.
check-build:
	sh tests/build.sh

# libFuzzer targets for the reply parsers, the input reader and the state
# file's loader, run from the committed seeds for FUZZ_SECONDS each; new
# corpus entries go to tests/tmp.
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

tests/fuzz_reply: tests/fuzz_reply.c tests/fuzz.h rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_reply.c \
	    $(CURL_LIBS) -lm

tests/fuzz_results: tests/fuzz_results.c tests/fuzz.h rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_results.c \
	    $(CURL_LIBS) -lm

tests/fuzz_input: tests/fuzz_input.c tests/fuzz.h rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_input.c \
	    $(CURL_LIBS) -lm

tests/fuzz_state: tests/fuzz_state.c tests/fuzz.h rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_state.c \
	    $(CURL_LIBS) -lm

# Each run's log goes to tests/tmp; its last lines are shown, all of it on a crash.
fuzz: tests/fuzz_reply tests/fuzz_results tests/fuzz_input tests/fuzz_state
	mkdir -p tests/tmp/reply tests/tmp/results tests/tmp/input tests/tmp/state
	@for t in reply results input state; do \
		echo "fuzz: $$t parser for $(FUZZ_SECONDS) s"; \
		max=4096; [ $$t = results ] && max=16384; [ $$t = input ] && max=300000; \
		[ $$t = state ] && max=16384; \
		if tests/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$max \
		    -artifact_prefix=tests/tmp/ tests/tmp/$$t tests/corpus/$$t \
		    >tests/tmp/fuzz-$$t.log 2>&1; then \
			tail -n 1 tests/tmp/fuzz-$$t.log; \
		else \
			cat tests/tmp/fuzz-$$t.log; exit 1; \
		fi; \
	done

# Static checks of rhq.c.
CPPCHECK_FLAGS = --enable=warning,style,performance,portability --std=c11 \
	--error-exitcode=1 --inline-suppr --quiet --suppress=missingIncludeSystem --suppress=variableScope
# Left out: checks that flag every memcpy and snprintf, _GNU_SOURCE, the
# int-to-char narrowing that byte-level code does on purpose, and padding.
TIDY_CHECKS = bugprone-*,cert-*,clang-analyzer-*,misc-*,performance-*,portability-*,\
-bugprone-easily-swappable-parameters,-cert-err33-c,-misc-include-cleaner,\
-clang-analyzer-security.insecureAPI.*,-clang-analyzer-optin.performance.Padding,\
-bugprone-reserved-identifier,-cert-dcl37-c,-cert-dcl51-cpp,-bugprone-narrowing-conversions

# musl-gcc sees musl's libc headers and, through a directory of links to where
# the system compiler finds them, the curl and jsmn headers: nothing else of
# glibc's, so a glibc-only call or header fails here.
MUSL_INC = tests/tmp/musl-include

lint:
	mandoc -Tlint -Wwarning rhq.1
	cppcheck $(CPPCHECK_FLAGS) rhq.c
	clang-tidy --quiet --warnings-as-errors='*' --checks='$(TIDY_CHECKS)' rhq.c -- \
	    -std=c11 $(CURL_CFLAGS)
	rm -rf $(MUSL_INC) && mkdir -p $(MUSL_INC)
	for h in $$($(CC) $(CURL_CFLAGS) -M -include curl/curl.h -include jsmn.h \
	    -x c /dev/null); do \
		case $$h in \
		*/curl/curl.h) l=$(MUSL_INC)/curl t=$${h%/curl.h} ;; \
		*/jsmn.h) l=$(MUSL_INC)/jsmn.h t=$$h ;; \
		*) continue ;; \
		esac; \
		[ -e $$l ] || ln -s $$t $$l; \
	done
	musl-gcc $(RHQ_CFLAGS) -Werror -fsyntax-only -I$(MUSL_INC) rhq.c

demo: rhq tests/standin
	sh tests/demo.sh

# rhq against nginx, curl and wrk on loopback; the table goes to bench/out.
bench: rhq tests/standin
	sh bench/run.sh


deps:
	@sh tests/deps.sh $(DEPS)

deps-dev:
	@sh tests/deps.sh $(DEV_DEPS)

deps-bench:
	@sh tests/deps.sh $(BENCH_DEPS)

deps-deb:
	@sh tests/deps.sh $(DEB_DEPS)

# The Debian source and binary packages, built by dpkg-buildpackage in a copy
# of the tree under tests/tmp/deb, so that the build leaves this tree as it
# was and its results do not land in the parent directory. The build runs
# make check-unit. The .deb is copied here.
deb:
	rm -rf tests/tmp/deb && mkdir -p tests/tmp/deb/rhq
	tar cf - --exclude=./.git --exclude=./tests/tmp --exclude=./bench/out \
	    --exclude='./rhq_*.deb' --exclude='crash-*' --exclude='leak-*' \
	    --exclude='timeout-*' . | (cd tests/tmp/deb/rhq && tar xf -)
	cd tests/tmp/deb/rhq && dpkg-buildpackage -us -uc
	cp tests/tmp/deb/rhq_*.deb .

# The package holds what it should, lintian and hardening-check pass.
check-deb: deb
	sh tests/deb.sh

# Modes are explicit, and the umask covers the parent directories that
# install -d makes on the way, so a umask of 077 still gives a usable install.
install: rhq
	umask 022 && install -d -m 755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 rhq $(DESTDIR)$(BINDIR)/rhq
	install -m 644 rhq.1 $(DESTDIR)$(MANDIR)/man1/rhq.1
	install -m 644 completions/rhq.bash $(DESTDIR)$(BASHCOMPDIR)/rhq
	install -m 644 completions/_rhq $(DESTDIR)$(ZSHCOMPDIR)/_rhq
	install -m 644 completions/rhq.fish $(DESTDIR)$(FISHCOMPDIR)/rhq.fish

# The files install put there; the directories stay, as they may be shared.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rhq $(DESTDIR)$(MANDIR)/man1/rhq.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/rhq $(DESTDIR)$(ZSHCOMPDIR)/_rhq \
	    $(DESTDIR)$(FISHCOMPDIR)/rhq.fish

clean:
	rm -f rhq rhq-asan tests/standin tests/*.o tests/check_rhq tests/check_rhq-asan \
	    tests/fuzz_reply tests/fuzz_results tests/fuzz_input tests/fuzz_state
	rm -rf tests/tmp rhq_*.deb

.PHONY: all check check-build check-completions check-programs check-unit check-asan check-valgrind \
	check-deb deb demo deps deps-deb deps-dev deps-bench fuzz lint bench \
	install uninstall clean
