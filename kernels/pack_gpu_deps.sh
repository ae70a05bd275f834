#!/usr/bin/env bash
# Packs what the GPU-only build (cmake -DMIXLAW_GPU_ONLY=ON, kernels/check_gpu.sh) needs and a GPU
# machine lacks into third_party_carry/ at the repository root (git-ignored): the headers of abseil,
# nlohmann-json, Eigen, GoogleTest (and CLI11), abseil's shared libraries, GoogleTest's static
# ones, and their CMake package files. It is a prefix laid out like /usr, so that the packages'
# own files find their headers and libraries relative to themselves.
#
# Run it here, on a Debian/Ubuntu machine with those packages, before sending the tree to a GPU
# machine; name third_party_carry in the call's carry list.
#
# abseil's CMake package checks that every one of its libraries exists, so all of them come
# (about 2 MB); only absl::status, absl::statusor and absl::strings (and what they pull in) are
# linked. The libraries' SONAME links are made here and remade by check_gpu.sh in case links do
# not travel.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/third_party_carry
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[[ -n $arch ]] || arch=x86_64-linux-gnu

# Paths relative to /usr, copied to the same place under $dest.
dirs=(
  include/absl include/nlohmann include/eigen3 include/gtest include/gmock include/CLI
  "lib/$arch/cmake/absl" "lib/$arch/cmake/GTest" share/cmake/nlohmann_json share/eigen3/cmake
)
for rel in "${dirs[@]}"; do
  if [[ ! -d /usr/$rel ]]; then
    echo "pack_gpu_deps: /usr/$rel is missing (install the -dev package)" >&2
    exit 1
  fi
done

rm -rf "$dest"
mkdir -p "$dest/lib/$arch"
for rel in "${dirs[@]}"; do
  mkdir -p "$dest/$(dirname "$rel")"
  cp -rL "/usr/$rel" "$dest/$rel"
done

# abseil: the real files (libabsl_x.so.20220623.0.0, which its CMake package names), then the
# SONAME links (libabsl_x.so.20220623) that the loader looks for.
for lib in /usr/lib/"$arch"/libabsl_*.so.*.*.*; do
  cp -L "$lib" "$dest/lib/$arch/"
done
(cd "$dest/lib/$arch" && for lib in libabsl_*.so.*.*.*; do ln -sf "$lib" "${lib%.*.*}"; done)
# GoogleTest: static, as Debian ships it (GMock too: GTest's CMake package imports it).
for lib in libgtest.a libgtest_main.a libgmock.a libgmock_main.a; do
  cp -L "/usr/lib/$arch/$lib" "$dest/lib/$arch/"
done

size_kb=$(du -sk "$dest" | cut -f1)
echo "pack_gpu_deps: $dest: $((size_kb / 1024)) MB ($(find "$dest" -type f | wc -l) files)"
if (( size_kb > 60 * 1024 )); then
  echo "pack_gpu_deps: over 60 MB: too large to carry" >&2
  exit 1
fi
