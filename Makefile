# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing (scripts/install-deps.sh), build, and then serve or test.
BUILD      ?= build
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
PORT       ?= 8080
DEMO_DB    ?= weijian-demo.db
CMAKE_GEN  := -G Ninja

.PHONY: all deps configure build demo test test-asan test-fuzz test-tsan build-asan run-asan \
        build-tsan run-tsan bench clean

all: build

deps:
	@scripts/install-deps.sh

# The test programs' own sources compile at -O1 (WEIJIAN_TEST_CODE_FLAGS; the libraries and the
# server -O2, the analytics engine -O3): a test body is long straight-line code that runs once,
# and -O3 spent a third more CPU on it (http_tests' largest unity file 72.9 -> 47.8 CPU s;
# tests/README.md). At -O0 their build took 42 CPU s less, and the HTTP suite took 24 CPU s more
# to run, on each of its two stores (session 20): -O1 stays.
RELEASE_TEST_CODE_FLAGS ?= -O1
# The unit tests run as 4 gtest shards, one process each, not as one ctest entry and process per
# test: 58 CPU s against 86 for the same tests (tests/README.md, "Session 20"). A failing test is
# named by the shard's output and by make test's summary; `build/tests/unit_tests
# --gtest_filter=...` runs one alone.
RELEASE_UNIT_SHARDS ?= 4
configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release \
	  -DWEIJIAN_TEST_CODE_FLAGS="$(RELEASE_TEST_CODE_FLAGS)" \
	  -DWEIJIAN_UNIT_SHARDS=$(RELEASE_UNIT_SHARDS) >/dev/null

# Leaves the binary at build/weijian.
build: configure
	@cmake --build $(BUILD)

# Creates weijian-demo.db (鄂尔多斯市, three years of data) if it does not exist, then serves it.
demo: build
	./$(BUILD)/weijian demo --db $(DEMO_DB) --port $(PORT)

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer, and the libFuzzer targets,
# from one clang build: every library is compiled once with -fsanitize=fuzzer-no-link,address,
# undefined (the coverage hooks are no-ops outside libFuzzer). -O1 without NDEBUG, so assertions
# (the JSON library's among them) stay on. Each fuzz target runs FUZZ_SECONDS over its corpus in
# tests/fuzz/corpus; `make test-fuzz` runs only the fuzz targets.
FUZZ_SECONDS ?= 25
# The test programs' own sources (not the libraries they test) compile at -O0 and without
# libFuzzer's coverage hooks (test code is never fuzzed) in this build: their compile time falls
# from 220 to 86 CPU s, the unit suite's run rises by about 23 CPU s, and ASan and UBSan check
# unoptimised code as closely (CMakeLists.txt, WEIJIAN_TEST_CODE_FLAGS; tests/README.md). The
# TSan build keeps -O1 for its tests: with GCC the saving was within the noise.
# The unit tests run here as 4 gtest shards, one process each, not one process per test
# (tests/CMakeLists.txt, WEIJIAN_UNIT_SHARDS): a process under ASan costs about 0.25 CPU s.
ASAN_TEST_CODE_FLAGS ?= -O0 -fno-sanitize=fuzzer-no-link
# The libraries no fuzz target reaches (the SQL stores, the tracker, reports, validation) likewise:
# here they serve only the unit tests, which ran no slower (CMakeLists.txt,
# WEIJIAN_UNFUZZED_LIBRARY_FLAGS).
ASAN_UNFUZZED_FLAGS ?= -O0 -fno-sanitize=fuzzer-no-link
# Password hashes in both sanitizer builds use 1 MiB of memory instead of the product's 64
# (src/auth/password.h): under TSan each 64 MiB hash cost half a CPU second of shadow memory (the
# TSan suites 348 -> 200 CPU s with the other cuts of session 20), under ASan the hash itself.
# The Release build, the one shipped, keeps 64 MiB and its suites sign in with it.
SANITIZER_ARGON2_MEMORY_KIB ?= 1024
FUZZ_TARGETS := period_fuzz expression_fuzz data_values_fuzz metadata_fuzz query_fuzz markdown_fuzz
define configure_asan
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DWEIJIAN_FUZZ=ON -DWEIJIAN_UNIT_TESTS_ONLY=ON \
	  -DWEIJIAN_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++ -DFUZZ_SECONDS=$(FUZZ_SECONDS) \
	  -DWEIJIAN_TEST_CODE_FLAGS="$(ASAN_TEST_CODE_FLAGS)" \
	  -DWEIJIAN_UNFUZZED_LIBRARY_FLAGS="$(ASAN_UNFUZZED_FLAGS)" -DWEIJIAN_UNIT_SHARDS=4 \
	  -DWEIJIAN_ARGON2_MEMORY_KIB=$(SANITIZER_ARGON2_MEMORY_KIB) >/dev/null
	@cmake --build $(FUZZ_BUILD) --target unit_tests $(FUZZ_TARGETS)
endef
build-asan: deps
	$(configure_asan)
run-asan:
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j2
test-asan: build-asan
	@$(MAKE) --no-print-directory run-asan
test-fuzz: build-asan
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j2 -L fuzz

# The unit tests and the HTTP suite under ThreadSanitizer (races between queries, writers,
# rebuilds and the store's connections). -O1 -g1: TSan needs optimisation for speed and line
# tables for its reports, not full debug information (which costs compile time and link time).
# TSan reports races between threads, and most unit tests run on one: the unit suite runs here
# only the suites whose tests start threads or run code that does (TSAN_UNIT_FILTER: the engine
# host and its builder, the Basic-auth cache beside an import, reads beside an open import,
# copy-on-write columns, Markdown's first renders, the coverage builder, analytics queries, which
# spread their operands over threads, a store's table scan beside writers, servers on one store,
# an engine build beside a lagging replica, a tracker import's forecasts beside its writes). A new test that starts threads belongs in one of
# these suites or in this list, and its source in WEIJIAN_THREADED_UNIT_SOURCES
# (tests/CMakeLists.txt): this build compiles only those sources, as unit_tests_threads. Every
# unit test runs in the Release and ASan builds; the HTTP suite, whose every request crosses the
# server's threads, runs here but for four tests (below).
# Both suites run as gtest shards from one queue, two at a time (scripts/tsan-suites.sh; the
# tests are independent, and the HTTP suite's shards each start their own server on their own
# copy of one demo database).
TSAN_UNIT_TESTS := EngineHostTest.* BasicAuthCacheTest.ARightPasswordIsAnsweredWhileAnImportHoldsTheWriter DurabilityTest.* ColumnTest.* \
  MarkdownThreads.* ImmunizationCoverage.* AnalyticsTest.* AnalyticsFigureTest.* ApprovedDataTest.* \
  *DataValueStoreTest.AWholeTableScanHoldsABatchNotTheTable/* *SeveralServersTest.* \
  *DataValueStoreTest.SavesWaitingForTheWriterAreWrittenTogether/* \
  *DataValueStoreTest.SavesBeyondAGroupsSixtyFourAreTheNextGroup/* \
  *DataValueStoreTest.AGroupWhoseCommitFailsIsWrittenAgainSaveBySave/* \
  PostgresOpenTest.AnEngineBuildTheReplicaCannotFinishIsMadeFromThePrimary \
  *StoreContractTest.ALargeBatchOfDosesIndexesEachChildFromAllOfHisDoses/* \
  TrackerExchange.ImportWarningsAreThoseOfRecordingEachDoseInTurn \
  TrackerExchange.OneBadEventAmongTwoThousand
empty :=
TSAN_UNIT_FILTER ?= $(subst $(empty) $(empty),:,$(strip $(TSAN_UNIT_TESTS)))
# Left out of the HTTP suite here: its two immunization tests that build the demo's 8.8k children
# into a store of their own and compute on it in one thread (no server, no concurrency: 15+
# minutes of CPU here), and its two sweeps of every route, one request after another
# (PermissionMatrix: every route, role and relation, 66 s here, a quarter of the stage's CPU;
# HostileOutput's wrong JSON to every route, 21 s). A sweep's requests never overlap, and what
# they could meet beside them (a write's engine rebuild, the change-log poller) is what the
# suite's concurrency tests run on purpose. All four run in the Release build on both stores.
TSAN_HTTP_FILTER ?= -ImmunizationDue.TheIndexedListIsTheFullComputation:ImmunizationDue.DemoChildrenOfOtog:PermissionMatrix.EveryRouteRoleAndRelationBehavesAsTheTableSays:HostileOutput.NoRouteAnswersWrongJsonWithA500
TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
build-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIJIAN_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
	  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DWEIJIAN_ARGON2_MEMORY_KIB=$(SANITIZER_ARGON2_MEMORY_KIB) >/dev/null
	@cmake --build $(TSAN_BUILD) --target unit_tests_threads http_tests
test-tsan: build-tsan
	@$(MAKE) --no-print-directory run-tsan
# The http_tests that writes the demo the HTTP shards start from (scripts/tsan-suites.sh):
# `make test` passes the Release build's.
TSAN_DEMO_WRITER ?=
run-tsan:
	$(TSAN_ENV) DEMO_WRITER=$(TSAN_DEMO_WRITER) scripts/tsan-suites.sh $(TSAN_BUILD) '$(TSAN_UNIT_FILTER)' '$(TSAN_HTTP_FILTER)'

# Every suite: the Release build through ctest (unit, HTTP, server limits, crash and CLI on
# loopback, DHIS2's files, the browser, the format check), then the unit tests under ASan+UBSan
# with the fuzz targets for FUZZ_SECONDS_CI each, then the unit and HTTP suites under TSan. The
# sanitizer builds run at nice 19 beside the Release suites (scripts/test-all.sh says why).
# CI allows 30 minutes on 2 cores: tests/README.md ("Sanitizers and fuzzing") has the timings.
# 10 s each: 6 targets, about 30 CPU s less than at 15 (session 20); every corpus file and every
# regression case still runs first, whatever the seconds.
FUZZ_SECONDS_CI ?= 10
test: build
	@MAKE="$(MAKE)" scripts/test-all.sh $(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS_CI) \
	  TSAN_DEMO_WRITER=$(abspath $(BUILD))/tests/http_tests

bench: build
	@scripts/install-deps.sh --bench
	@cmake --build $(BUILD) --target bench_programs
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
