# The README's two commands: `make demo` (the main job) and `make test` (every test).
# Each installs the Debian packages it needs (scripts/setup.sh) and builds what is stale.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: setup build demo test bench clean

setup:
	bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIXLAW_WERROR=ON

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/cli/mixlaw demo --dir mixlaw-demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	bash bench/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD)
