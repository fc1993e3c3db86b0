#!/usr/bin/env bash
# A Kubernetes control plane without a container runtime, for the chart tests (issue 12, ADR 0044):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, which plays the nodes and
# marks pods Running/Ready. Binaries from scripts/setup-k8s.sh; certificates, kubeconfig and data are
# generated per run under .portico/k8s/; everything listens on 127.0.0.1 on free ports.
#   scripts/k8s.sh start   start it (idempotent) and wait until the nodes are Ready
#   scripts/k8s.sh stop    stop what start started (by pid), remove its state
#   scripts/k8s.sh env     print KUBECONFIG=... for eval
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="$TOOLS/k8s/bin"
state="$RUN/k8s"
kubeconfig="$state/admin.kubeconfig"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
NODES="${PORTICO_K8S_NODES:-3}"

pidfile() { printf '%s/k8s-%s.pid' "$PIDS" "$1"; }
alive() { local p; p="$(cat "$(pidfile "$1")" 2>/dev/null)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

launch() { # <name> <args...>: runs in the background, pid file, log under .portico/logs
  local name="$1"; shift
  nohup "$bin/$name" "$@" >"$LOGS/k8s-$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
}

certs() {
  local d="$state/pki"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=portico-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  issue() { # <name> <subject> [subjectAltName]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      ${3:+-extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth' "$3")} \
      -out "$d/$1.crt" 2>/dev/null
  }
  issue apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  issue admin "/O=system:masters/CN=portico-test-admin"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

write_kubeconfig() { # <api port>
  local d="$state/pki"
  cat >"$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: portico-test
    cluster: { server: "https://127.0.0.1:$1", certificate-authority: "$d/ca.crt" }
users:
  - name: admin
    user: { client-certificate: "$d/admin.crt", client-key: "$d/admin.key" }
contexts:
  - name: portico-test
    context: { cluster: portico-test, user: admin }
current-context: portico-test
KUBECONFIG
}

wait_for() { # <seconds> <what> <command...>
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after ${deadline}s (logs: $LOGS/k8s-*.log)"
    sleep 0.5
  done
}

start() {
  [ -x "$bin/kube-apiserver" ] || "$ROOT/scripts/setup-k8s.sh"
  if alive kube-apiserver && alive kwok && [ -f "$kubeconfig" ]; then log "control plane already running"; return 0; fi
  stop_all quiet
  rm -rf "$state" && mkdir -p "$state"
  certs
  local etcd_port etcd_peer api_port kcm_port sched_port kwok_port d="$state/pki"
  etcd_port="$(free_port)"; etcd_peer="$(free_port)"; api_port="$(free_port)"
  kcm_port="$(free_port)"; sched_port="$(free_port)"; kwok_port="$(free_port)"
  write_kubeconfig "$api_port"
  launch etcd --name portico-test --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "portico-test=http://127.0.0.1:$etcd_peer" --quota-backend-bytes 536870912
  # --endpoint-reconciler-type none: the API server advertises 127.0.0.1, which the default reconciler
  # refuses to write into the kubernetes Service's endpoints. --allow-privileged as kubeadm's clusters:
  # PodSecurity admission, not the API server's flag, is what must keep privileged pods out.
  launch kube-apiserver --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$state/apiserver" --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" \
    --client-ca-file "$d/ca.crt" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$d/sa.pub" \
    --service-account-signing-key-file "$d/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
    --endpoint-reconciler-type none --enable-priority-and-fairness=false --profiling=false \
    --allow-privileged=true
  wait_for 120 "kube-apiserver" kubectl get --raw /readyz
  launch kube-controller-manager --kubeconfig "$kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
    --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
    --cluster-signing-cert-file "$d/ca.crt" --cluster-signing-key-file "$d/ca.key" \
    --use-service-account-credentials=false --profiling=false
  launch kube-scheduler --kubeconfig "$kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port "$sched_port" \
    --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" --profiling=false
  # kwok manages only the Nodes annotated kwok.x-k8s.io/node=fake; its stages (the ones kwok ships plus
  # ours for `helm test`) make them Ready and move their pods to Running/Ready.
  launch kwok --kubeconfig "$kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --config "$TOOLS/k8s/kwok-stages.yaml" --config "$ROOT/helm/test/k8s/kwok-stages.yaml" \
    --server-address "127.0.0.1:$kwok_port" --node-ip 127.0.0.1 --cidr 10.244.0.0/16
  local i zone
  for i in $(seq 1 "$NODES"); do
    zone="zone-$(( (i - 1) % 3 + 1 ))"
    kubectl apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: $zone
    type: kwok
NODE
  done
  wait_for 120 "kwok nodes" kubectl wait --for=condition=Ready node --all --timeout=5s
  wait_for 60 "default service account" kubectl get serviceaccount default -n default
  log "control plane ready: $(kubectl version -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).serverVersion.gitVersion))'), $NODES kwok nodes (KUBECONFIG=$kubeconfig)"
}

stop_all() {
  local c p i
  # Reverse order; the API server can take over 30 s to exit on SIGTERM.
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    c="${components[$i]}"
    p="$(cat "$(pidfile "$c")" 2>/dev/null)" || continue
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
      for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
    fi
    rm -f "$(pidfile "$c")"
  done
  [ "${1:-}" = quiet ] || log "control plane stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop_all; rm -rf "$state" ;;
  env) printf 'export KUBECONFIG=%q\n' "$kubeconfig" ;;
  status) for c in "${components[@]}"; do alive "$c" || exit 1; done ;;
  *) die "usage: scripts/k8s.sh start|stop|env|status" ;;
esac
