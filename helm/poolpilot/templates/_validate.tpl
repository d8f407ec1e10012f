{{/*
Checks across values that values.schema.json cannot express; each fails the install with a
message that names the values to change. Included once, from configmap.yaml.
*/}}
{{- define "poolpilot.validate" -}}
{{- $v := .Values -}}
{{- if eq $v.auth.apiTokenKey $v.auth.serviceTokenKey -}}
{{- fail (printf "auth.apiTokenKey and auth.serviceTokenKey must differ, both are %q" $v.auth.apiTokenKey) -}}
{{- end -}}
{{- if and $v.auth.existingSecret (or $v.auth.apiToken $v.auth.serviceToken) -}}
{{- fail "auth.apiToken and auth.serviceToken are not used with auth.existingSecret: set the tokens in that Secret, and remove them from the values" -}}
{{- end -}}
{{- if and $v.serviceMonitor.enabled (not $v.service.enabled) -}}
{{- fail "serviceMonitor.enabled needs service.enabled: the ServiceMonitor scrapes the pods behind the Service" -}}
{{- end -}}
{{- if $v.example.enabled -}}
{{- if eq (int $v.example.port) (int $v.sidecar.port) -}}
{{- fail (printf "example.port and sidecar.port must differ: both containers share the pod's network, and both are %d" (int $v.sidecar.port)) -}}
{{- end -}}
{{- if and $v.state.persistence.enabled (gt (int $v.example.replicas) 1) -}}
{{- fail "state.persistence serves one pod: with example.replicas > 1 the sidecars would write the same state directory. Keep one replica, or turn persistence off" -}}
{{- end -}}
{{- end -}}
{{- end }}
