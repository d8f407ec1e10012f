{{/*
The sidecar, for your own NAS pod spec. Each template takes the chart's context: `.` inside this
chart, or (dict "Values" .Values.poolpilot "Release" .Release) from a chart that has poolpilot as
a dependency. Each renders list items, to indent under the pod spec's lists:

  containers:
    - name: nas
      ...
      volumeMounts:
        {{- include "poolpilot.serviceTokenMount" $ctx | nindent 8 }}
    {{- include "poolpilot.sidecar" $ctx | nindent 4 }}
  volumes:
    {{- include "poolpilot.volumes" $ctx | nindent 4 }}

Paths inside the sidecar: the policy at /etc/poolpilot/policy.yaml, the tokens under
/var/run/secrets/poolpilot/, the state directory at /var/lib/poolpilot. No subPath anywhere: the
kubelet updates a ConfigMap or Secret only in a mount of the whole volume.
*/}}

{{- define "poolpilot.sidecar" -}}
- name: {{ .Values.sidecar.name }}
  image: {{ include "poolpilot.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- /* The node flags of the poolpilot bin's shebang, as the image's ENTRYPOINT has them. */}}
  command: ["node", "--max-semi-space-size=1", "/app/dist/controller/cli/main.js"]
  args: ["run"]
  env:
    - name: POOLPILOT_CONFIG
      value: /etc/poolpilot/policy.yaml
    - name: POOLPILOT_HOST
      value: {{ .Values.sidecar.host | quote }}
    - name: POOLPILOT_PORT
      value: {{ .Values.sidecar.port | int | quote }}
    - name: POOLPILOT_API_TOKEN_FILE
      value: /var/run/secrets/poolpilot/api-token
    - name: POOLPILOT_STATE_DIR
      value: /var/lib/poolpilot
    - name: POOLPILOT_LOG_LEVEL
      value: {{ .Values.sidecar.logLevel | quote }}
    - name: POOLPILOT_SHUTDOWN_TIMEOUT_MS
      value: {{ .Values.sidecar.shutdownTimeoutMs | int | quote }}
    {{- if .Values.cgroup.enabled }}
    - name: POD_UID
      valueFrom:
        fieldRef:
          fieldPath: metadata.uid
    - name: POOLPILOT_CGROUP_ROOT
      value: {{ .Values.cgroup.root | default .Values.cgroup.mountPath | quote }}
    {{- end }}
    {{- with .Values.sidecar.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: poolpilot
      containerPort: {{ .Values.sidecar.port | int }}
      protocol: TCP
  livenessProbe:
    httpGet:
      path: /healthz
      port: poolpilot
    {{- toYaml .Values.sidecar.livenessProbe | nindent 4 }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: poolpilot
    {{- toYaml .Values.sidecar.readinessProbe | nindent 4 }}
  resources:
    {{- toYaml .Values.sidecar.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.sidecar.securityContext | nindent 4 }}
  volumeMounts:
    - name: poolpilot-config
      mountPath: /etc/poolpilot
      readOnly: true
    - name: poolpilot-tokens
      mountPath: /var/run/secrets/poolpilot
      readOnly: true
    - name: poolpilot-state
      mountPath: /var/lib/poolpilot
    - name: poolpilot-tmp
      mountPath: /tmp
    {{- if .Values.cgroup.enabled }}
    - name: poolpilot-cgroup
      mountPath: {{ .Values.cgroup.mountPath }}
      readOnly: true
    {{- end }}
    {{- with .Values.sidecar.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
The sidecar's volumes, plus `poolpilot-service-token` (the service token alone) for the NAS
container. Names start with poolpilot- to stay clear of yours.
*/}}
{{- define "poolpilot.volumes" -}}
- name: poolpilot-config
  configMap:
    name: {{ include "poolpilot.configMapName" . }}
- name: poolpilot-tokens
  secret:
    secretName: {{ include "poolpilot.secretName" . }}
    defaultMode: 0444
    items:
      - key: {{ .Values.auth.apiTokenKey }}
        path: api-token
      - key: {{ .Values.auth.serviceTokenKey }}
        path: service-token
- name: poolpilot-service-token
  secret:
    secretName: {{ include "poolpilot.secretName" . }}
    defaultMode: 0444
    items:
      - key: {{ .Values.auth.serviceTokenKey }}
        path: service-token
- name: poolpilot-state
  {{- if .Values.state.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "poolpilot.stateClaimName" . }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ .Values.state.sizeLimit }}
  {{- end }}
- name: poolpilot-tmp
  emptyDir:
    sizeLimit: {{ .Values.sidecar.tmpSizeLimit }}
{{- if .Values.cgroup.enabled }}
- name: poolpilot-cgroup
  hostPath:
    path: {{ .Values.cgroup.hostPath }}
    type: Directory
{{- end }}
{{- end }}

{{/*
The NAS container's mount of the service token, at /var/run/secrets/poolpilot/service-token
(give that path to the service, as the example does with --token-file).
*/}}
{{- define "poolpilot.serviceTokenMount" -}}
- name: poolpilot-service-token
  mountPath: /var/run/secrets/poolpilot
  readOnly: true
{{- end }}
