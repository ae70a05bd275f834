#!/usr/bin/env bash
# The README's main-job command: installs, builds the mixlaw binary, and runs `mixlaw demo`
# (arguments pass on: `bash scripts/demo.sh --preset full`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh mixlaw
exec "${BUILD:-build}/cli/mixlaw" demo --dir mixlaw-demo "$@"
