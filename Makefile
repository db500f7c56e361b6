# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing (scripts/install-deps.sh), build, and then serve or test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PORT       ?= 8080
DEMO_DB    ?= weijian-demo.db
CMAKE_GEN  := -G Ninja

.PHONY: all deps configure build demo test test-unit-asan test-fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null

# Leaves the binary at build/weijian.
build: configure
	@cmake --build $(BUILD)

# Creates weijian-demo.db (鄂尔多斯市, three years of data) if it does not exist, then serves it.
demo: build
	./$(BUILD)/weijian demo --db $(DEMO_DB) --port $(PORT)

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-unit-asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DWEIJIAN_UNIT_TESTS_ONLY=ON \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" >/dev/null
	@cmake --build $(ASAN_BUILD)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j2

# libFuzzer targets (clang) over the corpora in tests/fuzz/corpus, each for FUZZ_SECONDS.
test-fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIJIAN_FUZZ=ON \
	  -DWEIJIAN_UNIT_TESTS_ONLY=ON -DWEIJIAN_BENCH=OFF -DWEIJIAN_WERROR=OFF \
	  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build $(FUZZ_BUILD)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j2

# Every suite through ctest: unit (Release and ASan+UBSan), HTTP on a loopback port, CLI, fuzzing.
test: build test-unit-asan test-fuzz
	ctest --test-dir $(BUILD) --output-on-failure -j2

bench: build
	@scripts/install-deps.sh --bench
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
