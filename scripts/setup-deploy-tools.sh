#!/usr/bin/env bash
# Installs the deployment tools the chart tests run (helm, kustomize, kubecheck, promtool) into .tools/bin,
# built from the Go module proxy with the machine's Go. Idempotent: a tool already at the pinned version is
# left alone. The versions are pinned here and nowhere else (ADR 0041).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELM_VERSION="v3.22.0"
# v5.8.3 needs Go 1.27; v5.8.2 builds with the Go 1.26 this machine has.
KUSTOMIZE_VERSION="v5.8.2"
# Prometheus 3.16.0 (its Go module versions are v0.3xx): promtool unit-tests the chart's alert rules.
PROMETHEUS_VERSION="v0.316.0"

bin="$TOOLS/bin"
mkdir -p "$bin"
command -v go >/dev/null 2>&1 || die "go is needed to build helm, kustomize and promtool (install the Go toolchain)"

# `go version -m` reads the module version a binary was built from; a stamp beside it records the
# flags (-trimpath keeps them out of the binary), so a re-run knows whether to build again.
has_build() { # <binary> <module path> <version> <ldflags> [build tags]
  [ -x "$1" ] && [ "$(cat "$1.build" 2>/dev/null)" = "$3 $4${5:+ tags=$5}" ] &&
    go version -m "$1" 2>/dev/null | grep -qF "$(printf 'mod\t%s\t%s' "$2" "$3")"
}

install_tool() { # <binary name> <module path> <package path> <version> [ldflags] [build tags]
  local name="$1" module="$2" pkg="$3" version="$4" ldflags="${5:-}" tags="${6:-}"
  if has_build "$bin/$name" "$module" "$version" "$ldflags" "$tags"; then return 0; fi
  log "building $name $version from the Go module proxy (a few minutes the first time)"
  # -trimpath keeps the binary free of local paths; CGO off gives a static binary.
  CGO_ENABLED=0 GOBIN="$bin" GOFLAGS="-buildvcs=false -trimpath" go install -ldflags "$ldflags" -tags "$tags" "$pkg@$version"
  printf '%s %s%s' "$version" "$ldflags" "${tags:+ tags=$tags}" >"$bin/$name.build"
  has_build "$bin/$name" "$module" "$version" "$ldflags" "$tags" || die "$name $version did not install"
}

# What helm's own Makefile stamps in: its version, and the Kubernetes version that `helm template`
# and `helm lint` assume (that of its client-go, v0.37 -> 1.37). Without it they assume 1.20.
helm_ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
helm_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
helm_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
install_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$helm_ldflags"
install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
# remove_all_sd: without the cloud service-discovery plugins (AWS, Azure, GCE, Kubernetes...), which
# checking and unit-testing rules never uses; it builds in a fraction of the time.
install_tool promtool github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_VERSION" "" remove_all_sd
# kubecheck (helm/test/kubecheck): strict decoding with Kubernetes' own Go types. Rebuilt when its
# sources change; its dependencies are pinned by its go.sum.
kubecheck_src="$ROOT/helm/test/kubecheck"
kubecheck_id="$(cat "$kubecheck_src/go.mod" "$kubecheck_src/go.sum" "$kubecheck_src"/*.go | sha256sum | cut -c1-16)"
if [ ! -x "$bin/kubecheck" ] || [ "$(cat "$bin/kubecheck.build" 2>/dev/null)" != "$kubecheck_id" ]; then
  log "building kubecheck (Kubernetes client-go types from the Go module proxy)"
  (cd "$kubecheck_src" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath -mod=readonly" go build -o "$bin/kubecheck" .)
  printf '%s' "$kubecheck_id" >"$bin/kubecheck.build"
fi
log "deploy tools ready: $("$bin/helm" version --short), kustomize $("$bin/kustomize" version), promtool $PROMETHEUS_VERSION"
