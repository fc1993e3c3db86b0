{{/*
Names, labels and the few rules every template shares.
The three services are rendered by the same templates, looping over "portico.components":
values key -> resource name suffix. A service's environment is exactly the keys of its
`config` map (ConfigMap) and `secrets` map (Secret); helm/test/env-drift.test.ts checks those
keys against each service's zod config schema.
*/}}

{{- define "portico.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portico.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* values key -> component (resource suffix, label). */}}
{{- define "portico.components" -}}
store: store
keyManager: key-manager
gateway: gateway
{{- end -}}

{{/* Full resource name of a component: (list $ "keyManager") */}}
{{- define "portico.componentFullname" -}}
{{- $root := index . 0 -}}
{{- $component := index (include "portico.components" $root | fromYaml) (index . 1) -}}
{{- printf "%s-%s" (include "portico.fullname" $root | trunc 50 | trimSuffix "-") $component -}}
{{- end -}}

{{- define "portico.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: portico
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of one component: (list $ "keyManager") */}}
{{- define "portico.componentLabels" -}}
{{ include "portico.labels" (index . 0) }}
app.kubernetes.io/component: {{ index (include "portico.components" (index . 0) | fromYaml) (index . 1) }}
{{- end -}}

{{- /*
Selectors are immutable on a Deployment: they never depend on a value an upgrade may change
(nameOverride renames resources, not the chart's labels). helm/test/k8s/install.test.ts upgrades across one.
*/ -}}
{{- define "portico.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index (include "portico.components" $root | fromYaml) (index . 1) }}
{{- end -}}

{{- define "portico.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "portico.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference of a component: (list $ "keyManager"). A digest wins over the tag. */}}
{{- define "portico.image" -}}
{{- $root := index . 0 -}}
{{- $image := (index $root.Values (index . 1)).image -}}
{{- $repo := $image.repository -}}
{{- if $root.Values.image.registry -}}{{- $repo = printf "%s/%s" $root.Values.image.registry $image.repository -}}{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repo $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default (default $root.Chart.AppVersion $root.Values.image.tag) $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* In-cluster URLs of the services, usable in config values as {{ .urls.keyManager }} etc. */}}
{{- define "portico.urls" -}}
{{- $km := .Values.keyManager.config -}}
keyManager: {{ printf "http://%s:%v" (include "portico.componentFullname" (list . "keyManager")) (include "portico.scalar" $km.PORT) }}
keyManagerAdmin: {{ printf "http://%s:%v" (include "portico.componentFullname" (list . "keyManager")) (include "portico.scalar" $km.ADMIN_PORT) }}
store: {{ printf "http://%s:%v" (include "portico.componentFullname" (list . "store")) (include "portico.scalar" .Values.store.config.PORT) }}
gateway: {{ printf "http://%s:%v" (include "portico.componentFullname" (list . "gateway")) (include "portico.scalar" .Values.gateway.config.PORT) }}
{{- with .Values.ingress.keyManager }}
issuer: {{ if .enabled }}{{ printf "%s://%s" (ternary "https" "http" (ne .tlsSecretName "")) .host }}{{ else }}{{ printf "http://%s:%v" (include "portico.componentFullname" (list $ "keyManager")) (include "portico.scalar" $km.PORT) }}{{ end }}
{{- end }}
{{- with .Values.ingress.gateway }}
publicGateway: {{ if .enabled }}{{ printf "%s://%s" (ternary "https" "http" (ne .tlsSecretName "")) .host }}{{ else }}{{ printf "http://%s:%v" (include "portico.componentFullname" (list $ "gateway")) (include "portico.scalar" $.Values.gateway.config.PORT) }}{{ end }}
{{- end }}
{{- with .Values.ingress.portal }}
portal: {{ if .enabled }}{{ printf "%s://%s" (ternary "https" "http" (ne .tlsSecretName "")) .host }}{{ else }}{{ printf "http://%s:%v" (include "portico.componentFullname" (list $ "store")) (include "portico.scalar" $.Values.store.config.PORT) }}{{ end }}
{{- end }}
{{- end -}}

{{/*
A values scalar as the string the service will read. YAML numbers arrive as float64, and
Go would print 1000000 as "1e+06": whole numbers are printed as integers.
*/}}
{{- define "portico.scalar" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
A config or secret value: (dict "root" $ "value" $v). Values may be templates such as
'{{ .Values.kafka.brokers }}' or '{{ .urls.keyManager }}'.
*/}}
{{- define "portico.render" -}}
{{- $root := .root -}}
{{- $value := include "portico.scalar" .value -}}
{{- if contains "{{" $value -}}
{{- $urls := include "portico.urls" $root | fromYaml -}}
{{- $ctx := dict "Values" $root.Values "Release" $root.Release "Chart" $root.Chart "Capabilities" $root.Capabilities "Template" $root.Template "urls" $urls -}}
{{- tpl $value $ctx -}}
{{- else -}}
{{- $value -}}
{{- end -}}
{{- end -}}

{{/*
Where a secret variable of a component comes from: (list $ "keyManager" "NAME") -> yaml {name, key}.
Order: the component's secretKeyRefs entry, (the gateway's REDIS_PASSWORD) redis.auth.passwordSecretRef
while redis.auth.enabled, its existingSecret, the chart-generated Secret (an
empty value of a name listed in generatedSecrets), else the component's own Secret.
*/}}
{{- define "portico.secretSource" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $name := index . 2 -}}
{{- $c := index $root.Values $key -}}
{{- $value := include "portico.scalar" (index $c.secrets $name) -}}
{{- if hasKey $c.secretKeyRefs $name -}}
{{- toYaml (index $c.secretKeyRefs $name) -}}
{{- else if and (eq $key "gateway") (eq $name "REDIS_PASSWORD") $root.Values.redis.auth.enabled -}}
{{- /* Redis authentication is on by default: the password is the Redis operator's Secret. */ -}}
{{- toYaml $root.Values.redis.auth.passwordSecretRef -}}
{{- else if $c.existingSecret -}}
{{- toYaml (dict "name" $c.existingSecret "key" $name) -}}
{{- else if and (eq $value "") (hasKey $root.Values.generatedSecrets $name) -}}
{{- toYaml (dict "name" (printf "%s-generated" (include "portico.fullname" $root)) "key" $name) -}}
{{- else -}}
{{- toYaml (dict "name" (include "portico.componentFullname" (list $root $key)) "key" $name) -}}
{{- end -}}
{{- end -}}

{{/* Names of the generated secrets some component actually reads (yaml list). */}}
{{- define "portico.generatedNames" -}}
{{- $root := . -}}
{{- $names := list -}}
{{- range $key, $_ := include "portico.components" $root | fromYaml -}}
{{- $c := index $root.Values $key -}}
{{- range $name, $value := $c.secrets -}}
{{- $source := include "portico.secretSource" (list $root $key $name) | fromYaml -}}
{{- if eq $source.name (printf "%s-generated" (include "portico.fullname" $root)) -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "names" ($names | uniq | sortAlpha)) -}}
{{- end -}}

{{/*
Checks that JSON schema cannot express; each failure says how to fix it.
*/}}
{{- define "portico.validate" -}}
{{- $root := . -}}
{{- $errors := list -}}
{{- $secretName := "(SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY|_KEYS|KEYRING)$" -}}
{{- range $key, $component := include "portico.components" $root | fromYaml -}}
{{- $c := index $root.Values $key -}}
{{- range $name, $_ := $c.config -}}
{{- if regexMatch $secretName $name -}}
{{- $errors = append $errors (printf "%s.config.%s looks like a secret: move it to %s.secrets so it is stored in a Secret" $key $name $key) -}}
{{- end -}}
{{- if hasKey $c.secrets $name -}}
{{- $errors = append $errors (printf "%s is in both %s.config and %s.secrets: keep it in one of them" $name $key $key) -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := $c.secretKeyRefs -}}
{{- if not (hasKey $c.secrets $name) -}}
{{- $errors = append $errors (printf "%s.secretKeyRefs.%s names a variable the service does not read: add %s to %s.secrets (value may be empty) or remove the reference" $key $name $name $key) -}}
{{- end -}}
{{- end -}}
{{- if not (hasKey $c.config "PORT") -}}
{{- $errors = append $errors (printf "%s.config.PORT is required (the container port)" $key) -}}
{{- end -}}
{{- if and (eq $c.healthPort "admin") (not (hasKey $c.config "ADMIN_PORT")) -}}
{{- $errors = append $errors (printf "%s.healthPort is admin but %s.config has no ADMIN_PORT: set healthPort to http" $key $key) -}}
{{- end -}}
{{- if and (eq $c.metricsPort "admin") (not (hasKey $c.config "ADMIN_PORT")) -}}
{{- $errors = append $errors (printf "%s.metricsPort is admin but %s.config has no ADMIN_PORT: set metricsPort to http" $key $key) -}}
{{- end -}}
{{- $shutdownMs := 15000 -}}
{{- if hasKey $c.config "SHUTDOWN_TIMEOUT_MS" -}}{{- $shutdownMs = include "portico.scalar" $c.config.SHUTDOWN_TIMEOUT_MS | int -}}{{- end -}}
{{- $needed := add (mul $root.Values.preStopSleepSeconds 1000) $shutdownMs -}}
{{- if lt (mul $root.Values.terminationGracePeriodSeconds 1000) $needed -}}
{{- $errors = append $errors (printf "terminationGracePeriodSeconds (%vs) is shorter than preStopSleepSeconds + %s.config.SHUTDOWN_TIMEOUT_MS (%vms): raise it to at least %v so the drain is not cut short" $root.Values.terminationGracePeriodSeconds $key $needed (add1 (div $needed 1000))) -}}
{{- end -}}
{{- if and $c.autoscaling.enabled (lt (int $c.autoscaling.maxReplicas) (int $c.autoscaling.minReplicas)) -}}
{{- $errors = append $errors (printf "%s.autoscaling.maxReplicas must be >= minReplicas" $key) -}}
{{- end -}}
{{- end -}}
{{- $redis := $root.Values.redis -}}
{{- if and (eq $redis.mode "sentinel") (or (not $redis.sentinel.nodes) (not $redis.sentinel.masterName)) -}}
{{- $errors = append $errors "redis.mode is sentinel: set redis.sentinel.nodes (host:port,...) and redis.sentinel.masterName" -}}
{{- end -}}
{{- if and (eq $redis.mode "cluster") (not $redis.cluster.nodes) -}}
{{- $errors = append $errors "redis.mode is cluster: set redis.cluster.nodes (host:port,...)" -}}
{{- end -}}
{{- if and $redis.auth.enabled (not $redis.auth.passwordSecretRef.name) (not (hasKey $root.Values.gateway.secretKeyRefs "REDIS_PASSWORD")) -}}
{{- $errors = append $errors "redis.auth.enabled needs redis.auth.passwordSecretRef.name (the Secret holding the Redis password); set redis.auth.enabled=false only for a Redis nobody else can reach" -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\nPortico values are not valid:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}

{{/*
A per-process limit from a total: (list $ctx total $component). The key-manager keeps these
request windows in each process, so each replica gets total / replicas (with autoscaling: the
fewest replicas, so the total is never exceeded by more than maxReplicas / minReplicas), at least 1.
*/}}
{{- define "portico.perReplica" -}}
{{- $total := index . 1 | int -}}
{{- $c := index . 2 -}}
{{- $replicas := ternary $c.autoscaling.minReplicas $c.replicaCount (and (hasKey $c "autoscaling") $c.autoscaling.enabled) | int -}}
{{- max 1 (div $total (max 1 $replicas)) -}}
{{- end -}}
