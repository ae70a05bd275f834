#!/usr/bin/env bash
# The sanitized and fuzzing builds (docs/testing.md), run by scripts/test.sh after the main tests:
#   asan  build-asan: clang with AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's
#         coverage; the unit and end-to-end tests, then every fuzz target for MIXLAW_FUZZ_SECONDS
#         (default 20) from its corpus.
#   tsan  build-tsan: clang with ThreadSanitizer; the store, orchestrator, worker and dashboard
#         tests and the sweeps end to end.
# Left out of both: the Python tests and the PyTorch sweeps (no C++ of ours runs there beyond what
# the other tests run), the format and lock-contract checks (compiler-independent), and the GPU
# tests. A report from any process, a test or a child it started, fails the run: each sanitizer
# writes its reports into BUILD/sanitizer-logs, which must stay empty.
# `sanitize.sh asan` or `sanitize.sh tsan` runs one; BUILD_ASAN and BUILD_TSAN name the folders.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
suppressions=$root/tests/sanitizers
which=${1:-all}

# DRIVER_OPT: the tests' and cli/'s own code (MIXLAW_DRIVER_OPT). -O0 under ASan, where clang
# spends most of a compile generating code; -O1 under TSan, since at -O0 the binary's own copies
# of std::string's members are what Debian's uninstrumented gRPC calls, and TSan then reports
# gRPC's internal copies as races of the project's code.
configure() {  # DIR SANITIZERS FUZZ DRIVER_OPT
  if [ ! -f "$1/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DMIXLAW_DRIVER_OPT="$4" \
      -DMIXLAW_WERROR=ON \
      -DMIXLAW_SANITIZE="$2" -DMIXLAW_FUZZ="$3" -DMIXLAW_WITH_CUDA=OFF -DMIXLAW_BENCH=OFF
  fi
}

# Runs ctest in DIR with the remaining arguments; fails on a failed test or on any report.
run_tests() {
  local dir=$1
  shift
  local logs=$root/$dir/sanitizer-logs status=0
  rm -rf "$logs" && mkdir -p "$logs"
  ASAN_OPTIONS="log_path=$logs/asan:detect_stack_use_after_return=1:strict_string_checks=1" \
  UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1" \
  TSAN_OPTIONS="log_path=$logs/tsan:second_deadlock_stack=1:suppressions=$suppressions/tsan.supp" \
  ASAN_SYMBOLIZER_PATH=$symbolizer TSAN_SYMBOLIZER_PATH=$symbolizer \
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900 "$@" || status=$?
  if compgen -G "$logs/*" >/dev/null; then
    echo "sanitize: reports in $logs:" >&2
    for f in "$logs"/*; do echo "== $f" >&2; head -c 20000 "$f" >&2; done
    status=1
  fi
  return $status
}

export ASAN_OPTIONS="detect_leaks=0" TSAN_OPTIONS="report_bugs=0"  # while building (test discovery)
# The studies' accuracy tests fit the coupling law with a bootstrap hundreds of times: under ASan
# at -O1 a fit is some fifty times slower, so they would cost half an hour; the lighter study tests
# (two rounds, few resamples, the command end to end) run the same code. Early stopping end to end
# races its curve fits against 3 s runs: under ASan the fits lose and the runs end unstopped (its
# StopRun, monitor and loop pieces run here in their own tests).
heavy='^StudyTest\.(AnAdaptive|AGridStudy|AStudyStopped)|^DesignTest\.APlanned|^EarlyStopTest\.'
heavy+='|^StudyE2ETest\.(AnAdaptive|EarlyStopping)|^CliE2ETest\.AdaptiveDemo|^TargetTest\.'
skipped="^python\.|^TorchSweepE2ETest\.|^format_check$|^thread_safety_check$|$heavy"

if [ "$which" = all ] || [ "$which" = asan ]; then
  dir=${BUILD_ASAN:-build-asan}
  configure "$dir" address,undefined ON -O0
  cmake --build "$dir" -j "$(nproc)"
  run_tests "$dir" -E "$skipped" -LE fuzz
  run_tests "$dir" -L fuzz
fi

if [ "$which" = all ] || [ "$which" = tsan ]; then
  dir=${BUILD_TSAN:-build-tsan}
  configure "$dir" thread OFF -O1
  cmake --build "$dir" -j "$(nproc)" --target mixlaw store_test store_tools_test auth_test \
    failure_backoff_test sweep_e2e_test views_test fit_view_test dashboard_e2e_test
  run_tests "$dir" -R '^(StoreTest|DatabaseTest|StoreToolsTest|AuthTest|FailureBackoffTest|SweepE2ETest|ViewsTest|FitViewTest|DashboardE2ETest)\.'
fi
