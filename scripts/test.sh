#!/usr/bin/env bash
# The README's test command: installs, builds, and runs every test through CTest; then the same
# tests built with the sanitizers, and the fuzz targets (scripts/sanitize.sh, docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir "${BUILD:-build}" --output-on-failure -j "$(nproc)" --timeout 600
bash scripts/sanitize.sh
