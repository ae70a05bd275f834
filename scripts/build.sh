#!/usr/bin/env bash
# Installs what the build needs (scripts/setup.sh), then configures and builds mixlaw into
# ${BUILD:-build}: everything, or only the targets named (`build.sh mixlaw`). Incremental: a
# second run rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${BUILD:-build}
if [ ! -f "$build/build.ninja" ]; then
  # -g1: line tables and functions, enough for backtraces; full debug info costs a third more
  # compile time.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIXLAW_WERROR=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
fi
if [ $# -gt 0 ]; then
  cmake --build "$build" -j "$(nproc)" --target "$@"
else
  cmake --build "$build" -j "$(nproc)"
fi
