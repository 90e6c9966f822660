{{/* Names, labels and the pieces every workload shares. */}}

{{- define "lp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "lp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "registry"). */}}
{{- define "lp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "lp.labels" -}}
{{ include "lp.selectorLabels" . }}
app.kubernetes.io/part-of: lora-platform
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels shared by every pod of the release (NetworkPolicy peers). */}}
{{- define "lp.releaseLabels" -}}
app.kubernetes.io/name: {{ include "lp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* A base model name as a DNS label. */}}
{{- define "lp.modelSlug" -}}
{{- . | lower | replace "_" "-" | replace "." "-" | replace "/" "-" | trunc 20 | trimSuffix "-" -}}
{{- end -}}

{{- define "lp.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if .gpu }}{{ $tag = printf "%s%s" $tag .root.Values.gpu.imageTagSuffix }}{{ end -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .service $tag -}}
{{- end -}}

{{- define "lp.databaseSecret" -}}
{{- default (printf "%s-database" (include "lp.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}
{{- define "lp.s3Secret" -}}
{{- default (printf "%s-s3" (include "lp.fullname" .)) .Values.s3.existingSecret -}}
{{- end -}}
{{- define "lp.adminTokenSecret" -}}
{{- default (printf "%s-admin-token" (include "lp.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* Environment of every service container: settings from the ConfigMap, credentials from Secrets only. */}}
{{- define "lp.backendEnv" -}}
- name: SPRING_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "lp.databaseSecret" . }}
      key: {{ .Values.database.usernameKey }}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "lp.databaseSecret" . }}
      key: {{ .Values.database.passwordKey }}
- name: PLATFORM_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "lp.s3Secret" . }}
      key: {{ .Values.s3.accessKeyKey }}
- name: PLATFORM_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "lp.s3Secret" . }}
      key: {{ .Values.s3.secretKeyKey }}
- name: PLATFORM_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "lp.adminTokenSecret" . }}
      key: {{ .Values.auth.adminTokenKey }}
{{- if .Values.kafka.existingSecret }}
- name: SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.existingSecret }}
      key: {{ .Values.kafka.jaasConfigKey }}
{{- end }}
{{- end -}}

{{/*
One service container with probes, lifecycle and security; call with
(dict "root" $ "name" "registry" "service" "registry" "spec" .Values.registry "gpu" false "gpuCount" 0 "env" map "startup" seconds).
*/}}
{{- define "lp.container" -}}
{{- $root := .root -}}
- name: {{ .name }}
  image: {{ include "lp.image" (dict "root" $root "service" .service "gpu" .gpu) }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  ports:
    - name: http
      containerPort: {{ $root.Values.port }}
      protocol: TCP
  envFrom:
    - configMapRef:
        name: {{ include "lp.fullname" $root }}-config
  env:
    {{- include "lp.backendEnv" $root | nindent 4 }}
    {{- /* Spring's graceful shutdown ends before the kubelet's SIGKILL: grace minus the preStop pause and a margin. */}}
    - name: SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE
      value: {{ printf "%ds" (max 5 (sub (sub .spec.terminationGracePeriodSeconds .spec.preStopSleepSeconds) 5)) | quote }}
    {{- if .gpu }}
    {{- /* The engine picks its device from a system property (docs/engine.md); the ConfigMap's flags stay. */}}
    - name: JAVA_TOOL_OPTIONS
      value: {{ trim (printf "-Dadapterplatform.device=gpu %s" $root.Values.jvm.extraOptions) | quote }}
    {{- end }}
    {{- range $key, $value := .env }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
  {{- /* Spring Boot's health groups: liveness is the process, readiness includes what the service needs to serve. */}}
  startupProbe:
    httpGet:
      path: /actuator/health/liveness
      port: http
    periodSeconds: 5
    failureThreshold: {{ div (default 120 .startup) 5 }}
  livenessProbe:
    httpGet:
      path: /actuator/health/liveness
      port: http
    periodSeconds: 10
    timeoutSeconds: 3
    failureThreshold: 3
  readinessProbe:
    httpGet:
      path: /actuator/health/readiness
      port: http
    periodSeconds: 5
    timeoutSeconds: 3
    failureThreshold: 2
  lifecycle:
    preStop:
      {{- /* Endpoints drop the pod while it still serves; then Spring's graceful shutdown finishes in-flight work. */}}
      sleep:
        seconds: {{ .spec.preStopSleepSeconds }}
  resources:
    {{- $resources := deepCopy .spec.resources }}
    {{- if .gpu }}
    {{- $_ := set $resources "limits" (merge (dict $root.Values.gpu.resourceName .gpuCount) (default dict $resources.limits)) }}
    {{- $_ := set $resources "requests" (merge (dict $root.Values.gpu.resourceName .gpuCount) (default dict $resources.requests)) }}
    {{- end }}
    {{- toYaml $resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    - name: cache
      mountPath: /var/cache/platform
{{- end -}}

{{/* Pod-level settings every workload shares; call with (dict "root" $ "spec" ... "gpu" bool). */}}
{{- define "lp.podSpec" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "lp.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
terminationGracePeriodSeconds: {{ .spec.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.image.pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $nodeSelector := .spec.nodeSelector | default dict -}}
{{- $tolerations := .spec.tolerations | default list -}}
{{- $affinity := .spec.affinity | default dict -}}
{{- if .gpu }}
{{- $nodeSelector = merge (deepCopy $nodeSelector) ($root.Values.gpu.nodeSelector | default dict) }}
{{- $tolerations = concat $tolerations ($root.Values.gpu.tolerations | default list) }}
{{- if not $affinity }}{{ $affinity = $root.Values.gpu.affinity | default dict }}{{ end }}
{{- end }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 1Gi
  - name: cache
    emptyDir:
      sizeLimit: {{ .spec.cacheSizeLimit | default "1Gi" }}
{{- end -}}

{{/*
A Deployment, and its Service and PodDisruptionBudget; call with (dict "root" $ "component" "registry"
"resource" "registry" "service" "registry" "spec" ... "gpu" bool "gpuCount" n "env" map "startup" seconds
"extraLabels" map "withService" bool).
*/}}
{{- define "lp.workload" -}}
{{- $root := .root -}}
{{- $fullname := printf "%s-%s" (include "lp.fullname" $root) .resource -}}
{{- $selector := include "lp.selectorLabels" (dict "root" $root "component" .component) | fromYaml -}}
{{- $selector = merge $selector (.extraLabels | default dict) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "lp.labels" (dict "root" $root "component" .component) | nindent 4 }}
    {{- with .extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if not (and .spec.autoscaling .spec.autoscaling.enabled) }}
  replicas: {{ .spec.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "lp.labels" (dict "root" $root "component" .component) | nindent 8 }}
        {{- with .extraLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "lp.podSpec" (dict "root" $root "spec" .spec "gpu" .gpu) | nindent 6 }}
      containers:
        {{- include "lp.container" (dict "root" $root "name" .component "service" .service "spec" .spec "gpu" .gpu "gpuCount" .gpuCount "env" .env "startup" .startup) | nindent 8 }}
{{- if .withService }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "lp.labels" (dict "root" $root "component" .component) | nindent 4 }}
    {{- with .extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  type: ClusterIP
  selector:
    {{- toYaml $selector | nindent 4 }}
  ports:
    - name: http
      port: {{ $root.Values.port }}
      targetPort: http
      protocol: TCP
{{- end }}
{{- if and .spec.pdb .spec.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "lp.labels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  maxUnavailable: {{ .spec.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
{{- end }}
{{- end -}}

{{/* A CPU-based HorizontalPodAutoscaler with optional extra metrics; call with (dict "root" $ "component" c "resource" r "autoscaling" a "metrics" list). */}}
{{- define "lp.hpa" -}}
{{- $root := .root -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "lp.fullname" $root }}-{{ .resource }}
  labels:
    {{- include "lp.labels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "lp.fullname" $root }}-{{ .resource }}
  minReplicas: {{ .autoscaling.minReplicas }}
  maxReplicas: {{ .autoscaling.maxReplicas }}
  metrics:
    {{- with .metrics }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    # CPU is always there: with the custom metrics missing the HPA still scales on it.
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .autoscaling.targetCPUUtilizationPercentage }}
{{- end -}}
