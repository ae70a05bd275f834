#!/usr/bin/env bash
# Installs every Debian package that mixlaw's build, tests, demo and benchmarks need, then the
# PyTorch trainer package's PyPI dependencies (python/requirements.txt, pinned) into .venv.
# Idempotent: when all packages are present it changes nothing and touches no network.
# Run as root (or through sudo) on Debian 12.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates openssl
  # the formatting and lock-contract checks (tests: format_check, thread_safety_check), and the
  # sanitized and fuzzing builds (scripts/sanitize.sh): clang's sanitizer and libFuzzer runtimes,
  # clang's OpenMP, and llvm-symbolizer for their reports
  clang-format clang libclang-rt-14-dev libomp-14-dev llvm-14
  # RPC and storage
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libsqlite3-dev sqlite3
  # numerics, formats and CLI
  libceres-dev libeigen3-dev nlohmann-json3-dev libcli11-dev libsentencepiece-dev
  # the report: Chart.js is compiled into report.html (libjs-chart.js, read at build time)
  libjs-chart.js
  # the dashboard of `serve --http` (cpp-httplib); its test parses /metrics with Prometheus'
  # own Python parser
  libcpp-httplib-dev python3-prometheus-client
  # tests and benchmarks; chromium opens the report headless in its test, zlib reads the screenshot
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-optuna python3-numpy python3-scipy python3-torch
  # the PyTorch trainer package (python/): its virtual environment and its tests
  python3-venv python3-pytest
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
else
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The virtual environment of the PyTorch trainer package: Debian's python3 with its torch and
# numpy (--system-site-packages), plus the pinned PyPI packages. Rebuilt when the pins change.
cd "$(dirname "$0")/.."
venv=.venv
requirements=python/requirements.txt
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned PyPI packages of $requirements into $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$want" > "$venv/.requirements.sha256"
else
  echo "setup: $venv up to date"
fi
# The package itself, from the source tree (python/), importable in the environment.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ "$(cat "$site/mixlaw_torch.pth" 2>/dev/null)" != "$PWD/python" ]; then
  echo "$PWD/python" > "$site/mixlaw_torch.pth"
fi
# torchrun with the environment's python, so that every rank it starts sees the same packages
# (python/mixlaw_torch/torchrun.py says why it is not torch's own launcher as it is).
torchrun="#!/bin/sh
# torchrun with this environment's python: every rank sees its packages.
exec \"\$(dirname \"\$0\")/python\" -m mixlaw_torch.torchrun \"\$@\""
if [ "$(cat "$venv/bin/torchrun" 2>/dev/null)" != "$torchrun" ]; then
  printf '%s\n' "$torchrun" > "$venv/bin/torchrun"
  chmod +x "$venv/bin/torchrun"
fi
echo "setup: done"
