# A thin wrapper: CMake and scripts/ do the work.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build deps configure test unit e2e interop demo asan tsan fuzz bench format check-format clean install package

all: build

deps:
	scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure --no-tests=error -j$(JOBS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure --no-tests=error -L unit

e2e: build
	ctest --test-dir $(BUILD) --output-on-failure --no-tests=error -L e2e

interop: build
	ctest --test-dir $(BUILD) --output-on-failure --no-tests=error -L interop

demo:
	scripts/demo

# Install under PREFIX (default /usr/local; DESTDIR=... is honoured).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The .deb (jq-queue_VERSION-1_ARCH.deb in $(BUILD), lintian-clean).
package: build
	cmake --build $(BUILD) --target package

# ASan + UBSan build (build-asan/) running the whole suite; any sanitizer
# report, from any process, fails it.
asan:
	JOBS=$(JOBS) scripts/asan

# ThreadSanitizer build (build-tsan/) running the unit tests and the e2e
# suites of multi-slot workers; any report fails it.
tsan:
	JOBS=$(JOBS) scripts/tsan

# jq against Node Bull and BullMQ on one Redis, each at its best and Bull also
# with a window of 64; writes bench/results/DATE.{md,png}.
bench:
	scripts/bench

# Each libFuzzer target for FUZZ_SECONDS (needs clang: scripts/install-fuzz-deps).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

format:
	scripts/format

check-format:
	scripts/format --check

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
