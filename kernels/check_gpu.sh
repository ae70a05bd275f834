#!/usr/bin/env bash
# The GPU check of the CUDA backend: builds the trainer, the kernels and their tests
# without gRPC, SQLite, protobuf, CLI11 or SentencePiece (cmake -DMIXLAW_GPU_ONLY=ON), runs the
# CTest group `gpu` (tests/kernels/cuda_ops_test.cc: every CUDA kernel and one training step
# against the CPU backend), then the same tests under compute-sanitizer's memcheck, and
# tests/trainer/llama_model_test.cc when /usr/bin/python3 has PyTorch. Prints a short summary;
# exits non-zero when anything failed. Meant to finish in well under 8 minutes on an H100.
#
# The GPU machine has nvcc, CMake and PyTorch but not abseil, nlohmann-json, Eigen or GoogleTest:
# run kernels/pack_gpu_deps.sh first where those are installed, which fills third_party_carry/
# (git-ignored; carry it along). Without that folder the packages must be installed.
#
# Logs: $OUT when set (at most 8 files, all directly in it), else build-gpuonly/logs.
# Environment: MIXLAW_GPU_BUILD_DIR (default build-gpuonly), MIXLAW_GPU_JOBS (default nproc),
# MIXLAW_SKIP_SANITIZER=1.
set -uo pipefail

start=$(date +%s)
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MIXLAW_GPU_BUILD_DIR:-$root/build-gpuonly}
logs=${OUT:-$build/logs}
mkdir -p "$logs" "$build"
summary=$logs/summary.txt
: >"$summary"
status=0

say() { echo "$*" | tee -a "$summary"; }
elapsed() { echo $(($(date +%s) - start)); }
# step NAME LOG TIMEOUT_S COMMAND...: runs COMMAND with its output in LOG; records the outcome.
step() {
  local name=$1 log=$2 limit=$3
  shift 3
  local t0=$(date +%s)
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  if ((rc == 0)); then
    say "ok    $name ($(($(date +%s) - t0)) s)"
  else
    say "FAIL  $name (exit $rc after $(($(date +%s) - t0)) s; see $(basename "$log"))"
    tail -n 30 "$log"
    status=1
  fi
  return $rc
}

# The device.
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
  nvcc --version 2>&1 | tail -n 2
  cmake --version | head -n 1
  "${CXX:-c++}" --version | head -n 1
} >"$logs/device.txt" 2>&1
command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
say "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'none found')"
say "date:   $(date -u +%Y-%m-%dT%H:%MZ)"

# The carried packages: a prefix like /usr (kernels/pack_gpu_deps.sh).
cmake_args=(-DMIXLAW_GPU_ONLY=ON -DCMAKE_BUILD_TYPE=Release)
# CMake 4 refuses the packages' files that still name policies of CMake < 3.5.
cmake_major=$(cmake --version | head -n 1 | grep -o '[0-9]\+' | head -n 1)
((${cmake_major:-3} >= 4)) && cmake_args+=(-DCMAKE_POLICY_VERSION_MINIMUM=3.5)
carry=$root/third_party_carry
if [[ -d $carry ]]; then
  libdir=$(dirname "$(find "$carry/lib" -name 'libgtest.a' -print -quit)")
  # The loader looks abseil up by SONAME: remake the links in case they did not travel.
  for lib in "$libdir"/libabsl_*.so.*.*.*; do
    [[ -e ${lib%.*.*} ]] || ln -sf "$(basename "$lib")" "${lib%.*.*}"
  done
  # Also for libraries that the test binaries do not name themselves (as-needed linking).
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  cmake_args+=(
    "-DCMAKE_PREFIX_PATH=$carry"
    "-Dabsl_DIR=$libdir/cmake/absl"
    "-DGTest_DIR=$libdir/cmake/GTest"
    "-Dnlohmann_json_DIR=$carry/share/cmake/nlohmann_json"
    "-DEigen3_DIR=$carry/share/eigen3/cmake"
  )
  say "deps:   $carry"
else
  say "deps:   no third_party_carry/ (run kernels/pack_gpu_deps.sh first): using installed packages"
fi
command -v ninja >/dev/null && cmake_args+=(-G Ninja)

# Configure and build.
step configure "$logs/build.log" 120 cmake -S "$root" -B "$build" "${cmake_args[@]}" || {
  say "result: FAIL (configure) after $(elapsed) s"
  exit 1
}
if ! grep -q "CUDA kernels enabled" "$logs/build.log"; then
  say "FAIL  nvcc was not found: CUDA is off in this build"
  say "result: FAIL after $(elapsed) s"
  exit 1
fi
targets=(cuda_ops_test)
with_reference=0
if /usr/bin/python3 -c 'import numpy, torch' >/dev/null 2>&1; then
  targets+=(llama_model_test)
  with_reference=1
fi
step build "$logs/build.log" 360 cmake --build "$build" --target "${targets[@]}" -j "${MIXLAW_GPU_JOBS:-$(nproc)}" || {
  say "result: FAIL (build) after $(elapsed) s"
  exit 1
}

# The gpu-labelled tests.
step "ctest -L gpu" "$logs/gpu_tests.log" 240 \
  ctest --test-dir "$build" -L gpu --output-on-failure -V --timeout 200 || true
grep -E "tests passed|largest gradient" "$logs/gpu_tests.log" | sed 's/^[0-9]*: //' |
  sort | uniq | tee -a "$summary"
# This script is for a GPU machine: a skipped GPU test there is a failure (the reason says why).
if grep -q "no CUDA GPU" "$logs/gpu_tests.log"; then
  say "FAIL  GPU tests skipped: $(grep -m 1 -o 'no CUDA GPU.*' "$logs/gpu_tests.log")"
  status=1
fi

# The same tests under memcheck: out-of-bounds or misaligned accesses, in kernels and launches.
if [[ ${MIXLAW_SKIP_SANITIZER:-0} != 1 ]] && command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck" "$logs/sanitizer.log" 180 \
    compute-sanitizer --tool memcheck --error-exitcode 99 \
    "$build/tests/cuda_ops_test" --gtest_brief=1 || true
  grep -E "ERROR SUMMARY" "$logs/sanitizer.log" | tail -n 1 | tee -a "$summary"
else
  say "skip  compute-sanitizer (not found, or MIXLAW_SKIP_SANITIZER=1)"
fi

# The CPU backend against PyTorch (the test runs /usr/bin/python3).
if ((with_reference)); then
  step "llama_model_test (CPU vs PyTorch)" "$logs/llama_model_test.log" 120 \
    ctest --test-dir "$build" -R 'LlamaModelTest|LlamaCheckpointTest' --output-on-failure -V || true
else
  say "skip  llama_model_test: /usr/bin/python3 cannot import torch and numpy"
fi

if ((status == 0)); then
  say "result: PASS after $(elapsed) s"
else
  say "result: FAIL after $(elapsed) s"
fi
exit $status
