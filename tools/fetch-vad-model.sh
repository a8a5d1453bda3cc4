#!/usr/bin/env bash
# Fetches the Silero VAD model (ONNX, MIT-licensed, 2.3 MB) from the PyPI package that ships it
# (livekit-plugins-silero, Apache-2.0) and checks its SHA-256. Usage: tools/fetch-vad-model.sh <out.onnx>
set -euo pipefail
out="$1"
expected="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$expected" ]; then exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps -d "$work/wheels" livekit-plugins-silero==1.8.9
python3 -m zipfile -e "$work"/wheels/livekit_plugins_silero-1.8.9-py3-none-any.whl "$work/unpacked"
mkdir -p "$(dirname "$out")"
cp "$work/unpacked/livekit/plugins/silero/resources/silero_vad.onnx" "$out.tmp"
actual="$(sha256sum "$out.tmp" | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
  rm -f "$out.tmp"
  echo "Silero VAD model checksum mismatch: got $actual, expected $expected" >&2
  exit 1
fi
mv "$out.tmp" "$out"
