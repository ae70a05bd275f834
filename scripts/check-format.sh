#!/usr/bin/env bash
# Checks that every C++ and CUDA source of the project is formatted as .clang-format says; prints
# each file that is not, with clang-format's first differences, and exits 1. Run by CTest
# (format_check). `scripts/check-format.sh --fix` formats them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is missing (scripts/setup.sh installs it)" >&2; exit 2; }
fix=0
[ "${1:-}" = "--fix" ] && fix=1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cc' '*.h' '*.cu' '*.cuh')
else
  mapfile -t files < <(find . -path './build*' -prune -o -path ./.venv -prune -o \
    \( -name '*.cc' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -type f -print | sort)
fi
if [ "$fix" = 1 ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (scripts/check-format.sh --fix formats it)"
    clang-format --dry-run "$f" 2>&1 | head -6
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "format: all ${#files[@]} files formatted as .clang-format says"
exit "$bad"
