# User-facing targets; CMake is the real build (see README).
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build, run every test (plain, ASan+UBSan, TSan, valgrind, fuzz)
#   make build | bench | install PREFIX=/usr/local | clean
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
BUILD ?= build
CMAKE_FLAGS ?=
CTEST = ctest --output-on-failure --no-tests=error

.PHONY: all deps build run test test-plain test-asan test-tsan test-valgrind test-fuzz bench install clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	scripts/main-job.sh $(BUILD)

test: deps
	@scripts/test-all.sh

bench: deps build
	scripts/bench-all.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-fuzz build-release build-clang
