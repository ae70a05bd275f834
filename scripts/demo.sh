#!/usr/bin/env bash
# The README's main-job command: installs, builds, and runs `mixlaw demo` (arguments pass on).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec "${BUILD:-build}/cli/mixlaw" demo --dir mixlaw-demo "$@"
