#!/usr/bin/env bash
# Builds llama.cpp's llama-server for this machine's CPU (GGML_NATIVE: AVX2/AVX-512 where the CPU has them;
# about 3x the generation speed of a generic build on 2 cores). The source is the llama.cpp that the
# llama-cpp-python 0.3.36 sdist on PyPI carries (checksum pinned). The binary is kept in a cache outside
# the work tree, keyed by source version and CPU flags, so a fresh clone on the same machine reuses it.
# Usage: tools/build-llama-server.sh <output-binary>
set -euo pipefail
out="$1"
version="0.3.36"
sdist_sha="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
cpu="$(grep -m1 '^flags' /proc/cpuinfo | sha256sum | cut -c1-12)"
cache="${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/llama-server-$version-$cpu"
if [ -x "$cache" ] && "$cache" --version >/dev/null 2>&1; then
  mkdir -p "$(dirname "$out")"; cp "$cache" "$out.tmp"; mv "$out.tmp" "$out"; exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$work" "llama-cpp-python==$version" 2>/dev/null \
  || python3 -m pip download -q --no-deps --no-binary :all: -d "$work" "llama-cpp-python==$version"
sdist="$work/llama_cpp_python-$version.tar.gz"
[ "$(sha256sum "$sdist" | cut -d' ' -f1)" = "$sdist_sha" ] || { echo "llama-cpp-python sdist checksum mismatch" >&2; exit 1; }
tar -xzf "$sdist" -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$work/build" --target llama-server -j "$(nproc)" >/dev/null
mkdir -p "$(dirname "$cache")" "$(dirname "$out")"
cp "$work/build/bin/llama-server" "$cache.tmp" && mv "$cache.tmp" "$cache"
cp "$cache" "$out.tmp" && mv "$out.tmp" "$out"
