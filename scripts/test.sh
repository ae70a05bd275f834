#!/usr/bin/env bash
# The README's test command: installs, builds, and runs every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd "${BUILD:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 600
