#!/usr/bin/env bash
# Builds the local control plane's binaries from Go modules, pinned, into a cache outside the repo.
# Idempotent: a binary already in the cache is not rebuilt. Prints the cache folder on its last line.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.35.4}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
CACHE_ROOT="${KUBENAP_CACHE:-$HOME/.cache/kubenap}"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
mkdir -p "$OUT/bin" "$OUT/stages"
# Parallel test lanes each start a plane and run this script at once: one at a time, the others wait
# (and then find everything built).
exec 9>"$CACHE_ROOT/.build-binaries.lock"
flock 9

log() { printf '[build-binaries] %s\n' "$*" >&2; }
have() { [ -x "$OUT/bin/$1" ]; }

STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
  cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver)

build_kubernetes() {
  # kube-proxy serves the e2e world only (test/e2e): it gives ClusterIPs their real meaning.
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubectl kube-proxy) missing=()
  for b in "${want[@]}"; do have "$b" || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "building ${missing[*]} $K8S_VERSION (cold build: tens of minutes on 2 cores)"
  local dir="$CACHE_ROOT/src/k8s-$K8S_VERSION"
  mkdir -p "$dir"
  {
    echo "module kubenap.local/k8sbuild"
    echo "go 1.25"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    for s in "${STAGING[@]}"; do echo "replace k8s.io/$s => k8s.io/$s $STAGING_VERSION"; done
  } >"$dir/go.mod"
  printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >"$dir/tools.go"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local pkg="k8s.io/component-base/version"
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  (
    cd "$dir"
    go mod tidy >&2
    local pkgs=()
    for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
    CGO_ENABLED=0 go build -mod=mod -p 2 -tags=selinux,notest -ldflags "$ldflags" -o "$OUT/bin/" "${pkgs[@]}"
  )
}

build_etcd() {
  have etcd && return 0
  log "building etcd $ETCD_VERSION"
  local dir="$CACHE_ROOT/src/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  printf 'module kubenap.local/etcdbuild\n\ngo 1.25\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$dir/go.mod"
  cat >"$dir/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$dir" && go mod tidy >&2 && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$OUT/bin/etcd" .)
}

build_kwok() {
  if ! have kwok; then
    log "building kwok $KWOK_VERSION"
    GOBIN="$OUT/bin" CGO_ENABLED=0 go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  # Stage configs ship inside the kwok module; pass them explicitly (v0.8 requires it).
  local mod
  mod="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION"
  [ -d "$mod" ] || (cd /tmp && go mod download "sigs.k8s.io/kwok@$KWOK_VERSION" >&2)
  local f
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-complete pod/fast/pod-delete; do
    cmp -s "$mod/kustomize/stage/$f.yaml" "$OUT/stages/$(basename "$f").yaml" ||
      install -m 0644 "$mod/kustomize/stage/$f.yaml" "$OUT/stages/"
  done
}

build_etcd
build_kwok
build_kubernetes
echo "$OUT"
