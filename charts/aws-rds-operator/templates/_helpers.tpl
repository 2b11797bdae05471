{{/* fullname is the release's name for every object, at most 63 characters. */}}
{{- define "aws-rds-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* selectorLabels select the manager pods; they never change across upgrades. */}}
{{- define "aws-rds-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "aws-rds-operator.labels" -}}
{{ include "aws-rds-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "aws-rds-operator.serviceAccountName" -}}
{{- default (include "aws-rds-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/*
credentialsMode returns credentials.mode after checking it and the values it needs, so a
wrong install fails at `helm install` rather than with AccessDenied at the first reconcile.
*/}}
{{- define "aws-rds-operator.credentialsMode" -}}
{{- $c := .Values.credentials -}}
{{- if not (has $c.mode (list "irsa" "podIdentity" "kube2iam" "secret")) -}}
{{- fail (printf "credentials.mode must be one of irsa, podIdentity, kube2iam, secret; got %q" $c.mode) -}}
{{- end -}}
{{- if and (has $c.mode (list "irsa" "kube2iam")) (not $c.roleArn) -}}
{{- fail (printf "credentials.roleArn is required with credentials.mode=%s" $c.mode) -}}
{{- end -}}
{{- if and (eq $c.mode "secret") (not $c.secretName) -}}
{{- fail "credentials.secretName is required with credentials.mode=secret" -}}
{{- end -}}
{{- $c.mode -}}
{{- end -}}
