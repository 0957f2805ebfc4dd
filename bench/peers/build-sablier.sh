#!/usr/bin/env bash
# Builds Sablier v1.16.2 (the peer of `npm run bench -- peer`) from the source tarball in ../shared/peers,
# into a cache outside the repo. Idempotent: a binary already in the cache is not rebuilt. Not part of CI:
# only the peer benchmark runs it. Prints the binary's path on its last line.
set -euo pipefail

VERSION="v1.16.2"
CACHE_ROOT="${KUBENAP_CACHE:-$HOME/.cache/kubenap}"
OUT="$CACHE_ROOT/peers/sablier-$VERSION"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARBALL="${SABLIER_SRC:-$HERE/../../../shared/peers/sablier-src.tar.gz}"

if [ ! -x "$OUT/sablier" ]; then
  [ -f "$TARBALL" ] || { echo "[build-sablier] source not found: $TARBALL (set SABLIER_SRC)" >&2; exit 1; }
  echo "[build-sablier] building Sablier $VERSION from $TARBALL" >&2
  mkdir -p "$OUT/src"
  tar -xzf "$TARBALL" -C "$OUT/src"
  (cd "$OUT/src/sablier" && CGO_ENABLED=0 go build -p 2 -o "$OUT/sablier.tmp" ./cmd/sablier >&2)
  mv "$OUT/sablier.tmp" "$OUT/sablier"
fi
echo "$OUT/sablier"
