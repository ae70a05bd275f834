#!/usr/bin/env bash
# Installs every Debian package that mixlaw's build, tests, demo and benchmarks need.
# Idempotent: when all packages are present it changes nothing and touches no network.
# Run as root (or through sudo) on Debian 12.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates openssl
  # RPC and storage
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3
  # numerics, formats and CLI
  libceres-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libsentencepiece-dev
  # the report: Chart.js is compiled into report.html (libjs-chart.js, read at build time)
  libjs-chart.js
  # tests and benchmarks; chromium opens the report headless in its test, zlib reads the screenshot
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-optuna python3-numpy python3-scipy python3-torch
  libopenblas0-pthread chromium zlib1g-dev
  # demo corpora: English and Chinese text
  fortunes fortunes-zh
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
