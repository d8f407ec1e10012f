{{/*
Names and labels. Every helper here needs only .Values and .Release, so that another chart can
call the sidecar templates with (dict "Values" .Values.poolpilot "Release" .Release).
*/}}

{{- define "poolpilot.name" -}}
{{- default "poolpilot" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* <release>-poolpilot, or the release name alone when it already holds the chart name. */}}
{{- define "poolpilot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "poolpilot.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/* A name derived from the full name: (list . "suffix"). */}}
{{- define "poolpilot.suffixed" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- $base := include "poolpilot.fullname" $root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base $suffix -}}
{{- end }}

{{- define "poolpilot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "poolpilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "poolpilot.labels" -}}
{{ include "poolpilot.selectorLabels" . }}
{{- with .Chart }}
helm.sh/chart: {{ printf "%s-%s" .Name .Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service | default "Helm" }}
{{- end }}

{{/*
The label the Service selects pods by. Put it on the template of every pod that carries the
sidecar: labels: {{- include "poolpilot.podLabels" $ctx | nindent 8 }}
*/}}
{{- define "poolpilot.podLabels" -}}
poolpilot.io/sidecar: {{ include "poolpilot.fullname" . }}
{{- end }}

{{/*
Pod annotations: a checksum of the token settings, so that pods restart when the tokens set in
the values change (the NAS service reads its token once, at start). The policy is left out on
purpose: the controller reloads it without a restart.
*/}}
{{- define "poolpilot.podAnnotations" -}}
checksum/poolpilot-tokens: {{ list .Values.auth.existingSecret .Values.auth.apiToken .Values.auth.serviceToken | toJson | sha256sum }}
{{- end }}

{{/* The Service's selector: service.selector, or the label of poolpilot.podLabels. */}}
{{- define "poolpilot.serviceSelector" -}}
{{- if .Values.service.selector -}}
{{- toYaml .Values.service.selector -}}
{{- else -}}
{{- include "poolpilot.podLabels" . -}}
{{- end -}}
{{- end }}

{{/* repository:tag or repository@digest; the tag defaults to the chart's appVersion. */}}
{{- define "poolpilot.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- $tag := $image.tag -}}
{{- if not $tag -}}{{- with .Chart -}}{{- $tag = .AppVersion -}}{{- end -}}{{- end -}}
{{- $tag = required "image.tag is required when the sidecar is included from another chart (or set image.digest)" $tag -}}
{{- printf "%s:%s" $image.repository (toString $tag) -}}
{{- end -}}
{{- end }}

{{- define "poolpilot.configMapName" -}}
{{- include "poolpilot.fullname" . -}}
{{- end }}

{{- define "poolpilot.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{- .Values.auth.existingSecret -}}
{{- else -}}
{{- include "poolpilot.suffixed" (list . "tokens") -}}
{{- end -}}
{{- end }}

{{- define "poolpilot.stateClaimName" -}}
{{- if .Values.state.persistence.existingClaim -}}
{{- .Values.state.persistence.existingClaim -}}
{{- else -}}
{{- include "poolpilot.suffixed" (list . "state") -}}
{{- end -}}
{{- end }}

{{- define "poolpilot.exampleName" -}}
{{- include "poolpilot.suffixed" (list . "nas-example") -}}
{{- end }}

{{- define "poolpilot.exampleSelectorLabels" -}}
{{ include "poolpilot.selectorLabels" . }}
app.kubernetes.io/component: nas-example
{{- end }}

{{/* A token, base64: the value set, else the one already in the cluster, else a new one. */}}
{{- define "poolpilot.token" -}}
{{- $set := index . 0 -}}
{{- $existing := index . 1 -}}
{{- if $set -}}
{{- $set | b64enc -}}
{{- else if $existing -}}
{{- $existing -}}
{{- else -}}
{{- randAlphaNum 40 | b64enc -}}
{{- end -}}
{{- end }}
