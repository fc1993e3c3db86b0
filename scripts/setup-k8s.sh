#!/usr/bin/env bash
# Builds a Kubernetes control plane without a container runtime into .tools/k8s (issue 12, ADR 0044):
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl, etcd, and kwok, which plays the
# nodes. All from the Go module proxy with the machine's Go; idempotent: binaries already built at the
# pinned versions are left alone (a stamp beside each records version and flags). Cold about 15 minutes
# on 2 cores, seconds when cached. Pinned here and nowhere else.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION="v1.37.2"
# The staging modules k8s.io/<name> are published as v0.<minor>.<patch>.
K8S_STAGING_VERSION="v0.37.2"
ETCD_VERSION="v3.7.3"
KWOK_VERSION="v0.8.0"

dir="$TOOLS/k8s"
bin="$dir/bin"
mkdir -p "$bin"
command -v go >/dev/null 2>&1 || die "go is needed to build the Kubernetes control plane (install the Go toolchain)"
# Other work shares the machine: build at low priority.
build() { CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath -mod=mod" nice -n 10 go "$@"; }

has_build() { # <binary> <module path> <version> <stamp>
  [ -x "$1" ] && [ "$(cat "$1.build" 2>/dev/null)" = "$4" ] &&
    go version -m "$1" 2>/dev/null | grep -qF "$(printf '\t%s\t%s' "$2" "$3")"
}

# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces each staging module with a directory.
# A wrapper module requires it and replaces each staging module with its published version instead.
# Without the version stamps the server says v0.0.0-master and helm refuses the chart's kubeVersion.
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
k8s_ldflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
k8s_ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
k8s_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
k8s_ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
k8s_stamp="$K8S_VERSION $k8s_ldflags"
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
k8s_ready=1
for c in "${k8s_cmds[@]}"; do has_build "$bin/$c" k8s.io/kubernetes "$K8S_VERSION" "$k8s_stamp" || k8s_ready=0; done
if [ "$k8s_ready" = 0 ]; then
  log "building Kubernetes $K8S_VERSION (kube-apiserver, controller-manager, scheduler, kubectl): about 15 minutes the first time"
  mod="$dir/src/kubernetes"
  rm -rf "$mod" && mkdir -p "$mod"
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes $K8S_VERSION"
  {
    printf 'module portico.local/k8s-build\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
      "$(sed -n 's/^go //p' "$gomod")" "$K8S_VERSION"
    # sample-cli-plugin and sample-controller are not published, and nothing we build imports them.
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}' |
      grep -vxE 'k8s\.io/sample-(cli-plugin|controller)' |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$K8S_STAGING_VERSION"; done
    printf ')\n'
  } >"$mod/go.mod"
  printf 'package tools\n\nimport (\n' >"$mod/tools.go"
  for c in "${k8s_cmds[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c" >>"$mod/tools.go"; done
  printf ')\n' >>"$mod/tools.go"
  sed -i '1i //go:build tools\n' "$mod/tools.go"
  (cd "$mod" && build mod tidy -e >/dev/null 2>&1 || true)
  pkgs=(); for c in "${k8s_cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$mod" && build build -ldflags "$k8s_ldflags" -o "$bin/" "${pkgs[@]}")
  for c in "${k8s_cmds[@]}"; do
    printf '%s' "$k8s_stamp" >"$bin/$c.build"
    has_build "$bin/$c" k8s.io/kubernetes "$K8S_VERSION" "$k8s_stamp" || die "$c $K8S_VERSION did not build"
  done
fi

# etcd's server module has replace directives of its own too: the same wrapper trick.
if ! has_build "$bin/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION"; then
  log "building etcd $ETCD_VERSION"
  mod="$dir/src/etcd"
  rm -rf "$mod" && mkdir -p "$mod"
  printf 'module portico.local/etcd-build\n\ngo 1.25\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$mod/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$mod/tools.go"
  (cd "$mod" && build mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && build build -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  printf '%s' "$ETCD_VERSION" >"$bin/etcd.build"
  has_build "$bin/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION" || die "etcd $ETCD_VERSION did not build"
fi

# kwok marks Nodes Ready and Pods Running/Ready by stages; the ones its module ships ("fast": at once).
if ! has_build "$bin/kwok" sigs.k8s.io/kwok "$KWOK_VERSION" "$KWOK_VERSION" || [ ! -s "$dir/kwok-stages.yaml" ]; then
  log "building kwok $KWOK_VERSION"
  CGO_ENABLED=0 GOBIN="$bin" GOFLAGS="-buildvcs=false -trimpath" nice -n 10 go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  printf '%s' "$KWOK_VERSION" >"$bin/kwok.build"
  src="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  : >"$dir/kwok-stages.yaml"
  for f in "$src"/kustomize/stage/node/fast/*.yaml "$src"/kustomize/stage/pod/fast/*.yaml; do
    grep -q '^kind: Stage' "$f" || continue
    { printf -- '---\n'; cat "$f"; } >>"$dir/kwok-stages.yaml"
  done
  [ -s "$dir/kwok-stages.yaml" ] || die "no kwok stages found under $src/kustomize/stage"
  has_build "$bin/kwok" sigs.k8s.io/kwok "$KWOK_VERSION" "$KWOK_VERSION" || die "kwok $KWOK_VERSION did not install"
fi
log "Kubernetes control plane ready in $dir: $("$bin/kube-apiserver" --version), etcd $ETCD_VERSION, kwok $KWOK_VERSION"
