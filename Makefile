# rhq - ask RunningHub for the state of many tasks at once.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man/man1
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC ?= cc
CFLAGS ?= -g -O2
PKG_CONFIG ?= pkg-config
override CFLAGS += -std=c11 -Wall -Wextra

CURL_CFLAGS = $$($(PKG_CONFIG) --cflags libcurl)
CURL_LIBS = $$($(PKG_CONFIG) --libs libcurl)
TEST_CFLAGS = $$($(PKG_CONFIG) --cflags check libmicrohttpd libcurl)
TEST_LIBS = $$($(PKG_CONFIG) --libs check libmicrohttpd libcurl) -pthread

# What `make deps` installs: the libraries, and the tools `make check` uses.
DEPS = libcurl4-openssl-dev libjsmn-dev check libmicrohttpd-dev pkg-config valgrind
# What `make lint` and `make fuzz` need on top.
DEV_DEPS = clang libclang-rt-14-dev cppcheck clang-tidy mandoc
# What `make bench` needs on top.
BENCH_DEPS = nginx-light wrk curl openssl time util-linux diffutils

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SECONDS = 60
FUZZ_CC = clang

TEST_SRC = tests/check_rhq.c tests/system.c tests/faults.c tests/workflow.c tests/harness.c \
	tests/results.c
TESTS = $(TEST_SRC) tests/harness.h tests/suites.h tests/standin.h

all: rhq

rhq: rhq.c
	$(CC) $(CFLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ rhq.c $(LDFLAGS) $(CURL_LIBS) -lm

tests/standin.o: tests/standin.c tests/standin.h
	$(CC) $(CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -c -o $@ tests/standin.c

tests/standin: tests/standin_main.c tests/standin.o
	$(CC) $(CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ tests/standin_main.c \
	    tests/standin.o $(LDFLAGS) $(TEST_LIBS)

tests/check_rhq: $(TESTS) rhq.c tests/standin.o
	$(CC) $(CFLAGS) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ $(TEST_SRC) \
	    tests/standin.o $(LDFLAGS) $(TEST_LIBS) -lm

# The same program and tests, built with AddressSanitizer and UBSan.
rhq-asan: rhq.c
	$(CC) $(CFLAGS) $(SAN) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ rhq.c $(LDFLAGS) \
	    $(CURL_LIBS) -lm

tests/check_rhq-asan: $(TESTS) rhq.c tests/standin.c
	$(CC) $(CFLAGS) $(SAN) $(CPPFLAGS) $(TEST_CFLAGS) -o $@ $(TEST_SRC) \
	    tests/standin.c $(LDFLAGS) $(TEST_LIBS) -lm

# Every test: unit and system tests, again under the sanitizers, and the
# system tests once more with every rhq run under valgrind.
check: check-unit check-asan check-valgrind

check-unit: rhq tests/check_rhq
	RHQ=./rhq tests/check_rhq

check-asan: rhq-asan tests/check_rhq-asan
	RHQ=./rhq-asan RHQ_ASAN_OPTIONS=exitcode=99:detect_leaks=1 \
	    RHQ_UBSAN_OPTIONS=exitcode=99:print_stacktrace=1 tests/check_rhq-asan

VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible

check-valgrind: rhq tests/check_rhq
	for suite in system faults workflow results; do \
		RHQ=./rhq RHQ_WRAPPER="$(VALGRIND)" CK_RUN_SUITE=$$suite tests/check_rhq || exit 1; \
	done

# libFuzzer targets for the reply parsers and the input reader, run from the
# committed seeds for FUZZ_SECONDS each; new corpus entries go to tests/tmp.
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

tests/fuzz_reply: tests/fuzz_reply.c rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_reply.c \
	    $(CURL_LIBS) -lm

tests/fuzz_results: tests/fuzz_results.c rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_results.c \
	    $(CURL_LIBS) -lm

tests/fuzz_input: tests/fuzz_input.c rhq.c
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(CURL_CFLAGS) -o $@ tests/fuzz_input.c \
	    $(CURL_LIBS) -lm

# Each run's log goes to tests/tmp; its last lines are shown, all of it on a crash.
fuzz: tests/fuzz_reply tests/fuzz_results tests/fuzz_input
	mkdir -p tests/tmp/reply tests/tmp/results tests/tmp/input
	@for t in reply results input; do \
		echo "fuzz: $$t parser for $(FUZZ_SECONDS) s"; \
		max=4096; [ $$t = results ] && max=16384; [ $$t = input ] && max=300000; \
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

lint:
	mandoc -Tlint -Wwarning rhq.1
	cppcheck $(CPPCHECK_FLAGS) rhq.c
	clang-tidy --quiet --warnings-as-errors='*' --checks='$(TIDY_CHECKS)' rhq.c -- \
	    -std=c11 $(CURL_CFLAGS)

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

install: rhq
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	cp -f rhq $(DESTDIR)$(BINDIR)/rhq
	chmod 755 $(DESTDIR)$(BINDIR)/rhq
	cp -f rhq.1 $(DESTDIR)$(MANDIR)/rhq.1
	chmod 644 $(DESTDIR)$(MANDIR)/rhq.1
	cp -f completions/rhq.bash $(DESTDIR)$(BASHCOMPDIR)/rhq
	cp -f completions/_rhq $(DESTDIR)$(ZSHCOMPDIR)/_rhq
	cp -f completions/rhq.fish $(DESTDIR)$(FISHCOMPDIR)/rhq.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rhq $(DESTDIR)$(MANDIR)/rhq.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/rhq $(DESTDIR)$(ZSHCOMPDIR)/_rhq \
	    $(DESTDIR)$(FISHCOMPDIR)/rhq.fish

clean:
	rm -f rhq rhq-asan tests/standin tests/*.o tests/check_rhq tests/check_rhq-asan \
	    tests/fuzz_reply tests/fuzz_results tests/fuzz_input
	rm -rf tests/tmp

.PHONY: all check check-unit check-asan check-valgrind demo deps deps-dev deps-bench \
	fuzz lint bench install uninstall clean
