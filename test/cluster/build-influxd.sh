#!/usr/bin/env bash
# Builds influxd 1.13.2 (with Flux, which the InfluxDB source speaks) from Go modules into a cache
# outside the repo. influxdata's pkg-config wrapper compiles libflux with cargo; libflux pins Rust
# 1.83, which rustup cannot fetch here, so the installed stable toolchain is used (checked: it builds).
# Idempotent: a binary already in the cache is not rebuilt. Prints the binary's path on its last line.
set -euo pipefail

INFLUXDB_VERSION="${INFLUXDB_VERSION:-v1.13.2}"
PKG_CONFIG_VERSION="${PKG_CONFIG_VERSION:-v0.2.7}"
CACHE_ROOT="${KUBENAP_CACHE:-$HOME/.cache/kubenap}"
OUT="$CACHE_ROOT/influxd-$INFLUXDB_VERSION"
mkdir -p "$OUT/bin"

if [ ! -x "$OUT/bin/influxd" ]; then
  printf '[build-influxd] building influxd %s (about 2 minutes on 2 cores)\n' "$INFLUXDB_VERSION" >&2
  tools="$OUT/tools"
  mkdir -p "$tools"
  GOBIN="$tools" go install "github.com/influxdata/pkg-config@$PKG_CONFIG_VERSION"
  RUSTUP_TOOLCHAIN=stable PATH="$tools:$PATH" GOBIN="$OUT/bin.tmp" \
    go install "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION"
  mv "$OUT/bin.tmp/influxd" "$OUT/bin/influxd"
  rmdir "$OUT/bin.tmp" 2>/dev/null || true
fi
echo "$OUT/bin/influxd"
