#!/usr/bin/env bash
# Builds, with no image registry, the images that stand in for the upstream ones in docker-compose.yml:
#   parley/debian    Debian 12 from Debian's packages (mmdebstrap + docker import), with a Java 17 runtime
#   parley/kafka     Apache Kafka from its Maven Central jars (deploy/images/kafka)
#   parley/ferretdb  FerretDB, the MongoDB wire protocol over SQLite (built by ./parley setup)
#   parley/livekit   the LiveKit server (built by ./parley setup)
# Each is tagged with a hash of what it is made of and built only when that tag is missing, so a
# machine builds them once. Prints the settings for docker-compose (NAME=value lines) on stdout.
# With --models it builds only parley/models (the offline engines for Kubernetes) and prints its tag.
# Usage: tools/build-images.sh <state-dir> [--models]
set -euo pipefail
state="$(cd "$1" && pwd)"
only_models="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
images="$root/deploy/images"
log() { printf '[images] %s\n' "$*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

# 1. the Debian base
base="parley/debian:bookworm-$(hash_of "$images/base/packages")"
if ! have "$base"; then
  command -v mmdebstrap >/dev/null || { echo "mmdebstrap is required (apt-get install mmdebstrap)" >&2; exit 1; }
  log "building $base from Debian's packages (mmdebstrap; about a minute)..."
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mmdebstrap --variant=apt --include="$(tr -s ' \n' ',' < "$images/base/packages" | sed 's/,$//')" \
    bookworm "$work/rootfs.tar" > "$work/mmdebstrap.log" 2>&1 \
    || { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
  docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' "$work/rootfs.tar" "$base" >/dev/null
  rm -rf "$work"
  trap - EXIT
fi

build_image() { # tag context
  local tag="$1" context="$2"
  if ! have "$tag"; then
    log "building $tag..."
    docker build --build-arg "BASE_IMAGE=$base" -t "$tag" "$context" > "$context.build.log" 2>&1 \
      || { tail -20 "$context.build.log" >&2; exit 1; }
  fi
}

if [ "$only_models" = --models ]; then
  ctx="$state/images/models"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp -al "$state/models" "$ctx/models" 2>/dev/null || cp -r "$state/models" "$ctx/models"
  cp "$state/bin/llama-server" "$images/models/Dockerfile" "$ctx/"
  tag="parley/models:$(cd "$ctx" && find . -type f -printf '%p %s\n' | sort | sha256sum | cut -c1-12)"
  build_image "$tag" "$ctx"
  rm -rf "$ctx"
  echo "$tag"
  exit 0
fi

# 2. Kafka from Maven jars
kafka_ctx="$state/images/kafka"
kafka="parley/kafka:4.4.0-$(hash_of "$images/kafka/"* <(echo "$base"))"
if ! have "$kafka"; then
  rm -rf "$kafka_ctx" && mkdir -p "$kafka_ctx"
  cp "$images/kafka/"* "$kafka_ctx/"
  mvn -B -q -f "$images/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$kafka_ctx/libs" >&2
  build_image "$kafka" "$kafka_ctx"
fi

# 3. FerretDB and 4. LiveKit, from the binaries ./parley setup built
for name in ferretdb livekit; do
  bin="$state/bin/$([ "$name" = ferretdb ] && echo parley-ferretdb || echo livekit-server)"
  [ -x "$bin" ] || { echo "$bin is missing: run ./parley setup" >&2; exit 1; }
  ctx="$state/images/$name"
  tag="parley/$name:$(hash_of "$bin" "$images/$name/Dockerfile" <(echo "$base"))"
  if ! have "$tag"; then
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$images/$name/Dockerfile" "$bin" "$ctx/"
    build_image "$tag" "$ctx"
  fi
  [ "$name" = ferretdb ] && ferretdb="$tag" || livekit="$tag"
done

echo "BASE_IMAGE=$base"
echo "KAFKA_IMAGE=$kafka"
echo "MONGO_IMAGE=$ferretdb"
echo "LIVEKIT_IMAGE=$livekit"
echo "MONGO_HEALTHCHECK=\"bash -c 'echo > /dev/tcp/127.0.0.1/27017'\""
