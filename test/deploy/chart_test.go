package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/serverproc"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

const (
	chart         = "charts/aws-rds-operator"
	chartNS       = "aws-rds-operator"
	chartFullname = "rds-aws-rds-operator" // the chart's fullname for release rds, see helmTemplate
	roleARN       = "arn:aws:iam::123456789012:role/aws-rds-operator"
	generatedCRD  = "config/crd/bases/matrixmind.cloud_rdsdatabases.yaml"
	// generatedClassCRD is DatabaseClass's.
	generatedClassCRD = "config/crd/bases/matrixmind.cloud_databaseclasses.yaml"
	generatedRole     = "config/rbac/role.yaml"
)

// credentials is how a rendered chart hands the pod its AWS identity.
type credentials struct {
	ServiceAccountRoleARN string // eks.amazonaws.com/role-arn on the ServiceAccount (IRSA)
	PodRole               string // iam.amazonaws.com/role on the pod template (kube2iam)
	EnvFromSecret         string // a Secret of AWS keys the container takes env from
}

func credentialsOf(sa corev1.ServiceAccount, dep appsv1.Deployment) credentials {
	c := credentials{
		ServiceAccountRoleARN: sa.Annotations["eks.amazonaws.com/role-arn"],
		PodRole:               dep.Spec.Template.Annotations["iam.amazonaws.com/role"],
	}
	for _, ctr := range dep.Spec.Template.Spec.Containers {
		for _, from := range ctr.EnvFrom {
			if from.SecretRef != nil {
				c.EnvFromSecret = from.SecretRef.Name
			}
		}
	}
	return c
}

// helmTemplate renders the chart as `helm install` would in namespace chartNS, CRDs included.
func helmTemplate(set ...string) ([]byte, error) {
	args := []string{"template", "rds", chart, "--namespace", chartNS, "--include-crds"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return tool(nil, "helm", args...)
}

func TestChartLints(t *testing.T) {
	requireCluster(t)
	if out, err := tool(nil, "helm", "lint", "--strict", chart); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

func TestChartInstallsInEveryCredentialsMode(t *testing.T) {
	requireCluster(t)
	ensureNamespace(t, chartNS)
	cases := map[string]struct {
		reason  string
		set     []string
		want    credentials
		leader  bool
		wantArg string
		wantErr string
	}{
		"IRSA": {
			reason: "IRSA annotates the ServiceAccount with the role and adds nothing to the pod.",
			set:    []string{"credentials.mode=irsa", "credentials.roleArn=" + roleARN, "aws.region=eu-west-1"},
			want:   credentials{ServiceAccountRoleARN: roleARN},
		},
		"PodIdentity": {
			reason: "EKS Pod Identity is the default and puts nothing in the ServiceAccount or the pod.",
			want:   credentials{},
		},
		"Kube2iam": {
			reason:  "kube2iam annotates the pod template; two replicas turn leader election on.",
			set:     []string{"credentials.mode=kube2iam", "credentials.roleArn=" + roleARN, "replicas=2"},
			want:    credentials{PodRole: roleARN},
			leader:  true,
			wantArg: "--leader-elect",
		},
		"Secret": {
			reason:  "Secret mode takes the AWS keys as env vars from the named Secret; operator defaults become flags.",
			set:     []string{"credentials.mode=secret", "credentials.secretName=aws-keys", "operator.postgresVersion=16"},
			want:    credentials{EnvFromSecret: "aws-keys"},
			wantArg: "--default-postgres-version=16",
		},
		"IRSAWithoutRole": {
			reason:  "IRSA without a role ARN fails at install time, not with AccessDenied later.",
			set:     []string{"credentials.mode=irsa"},
			wantErr: "credentials.roleArn is required",
		},
		"UnknownMode": {
			reason:  "A misspelt mode is refused with the list of valid ones.",
			set:     []string{"credentials.mode=irsaa"},
			wantErr: "credentials.mode must be one of",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			manifests, err := helmTemplate(tc.set...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nhelm template: want an error containing %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			objs, err := decode(manifests)
			if err != nil {
				t.Fatal(err)
			}
			// The operator's ClusterRole and the users' editor and viewer roles.
			wantKinds := []string{"CustomResourceDefinition", "CustomResourceDefinition", "ServiceAccount", "Secret", "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "RoleBinding", "Service", "Service", "Deployment", "APIService", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
			if diff := cmp.Diff(wantKinds, kinds(objs)); diff != "" {
				t.Errorf("%s\nrendered kinds: -want +got:\n%s", tc.reason, diff)
			}
			if err := dryRunApply(manifests); err != nil {
				t.Fatalf("%s\nthe apiserver refuses the rendered chart: %v", tc.reason, err)
			}
			var sa corev1.ServiceAccount
			var dep appsv1.Deployment
			if err := find(objs, "ServiceAccount", &sa); err != nil {
				t.Fatal(err)
			}
			if err := find(objs, "Deployment", &dep); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, credentialsOf(sa, dep)); diff != "" {
				t.Errorf("%s\ncredentials: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(hardened(tc.leader), shapeOf(dep)); diff != "" {
				t.Errorf("%s\nmanager pod: -want +got:\n%s", tc.reason, diff)
			}
			if tc.wantArg != "" && !slices.Contains(dep.Spec.Template.Spec.Containers[0].Args, tc.wantArg) {
				t.Errorf("%s\nmanager args %q lack %q", tc.reason, dep.Spec.Template.Spec.Containers[0].Args, tc.wantArg)
			}
		})
	}
}

// TestChartCRDIsTheGeneratedOne keeps the chart's CRDs copies of what controller-gen writes.
func TestChartCRDIsTheGeneratedOne(t *testing.T) {
	root := harness.Root()
	for _, crd := range []string{generatedCRD, generatedClassCRD} {
		want, err := os.ReadFile(filepath.Join(root, crd))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, chart, "crds", filepath.Base(crd)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("the chart's CRD differs from %s; after make manifests run\n  cp %s %s/crds/\n-want +got:\n%s",
				crd, crd, chart, diff)
		}
	}
}

// TestChartClusterRoleIsTheGeneratedOne keeps the chart's RBAC exactly the rules controller-gen
// derives from the controller's markers: no more (least privilege), no fewer (it works).
func TestChartClusterRoleIsTheGeneratedOne(t *testing.T) {
	requireCluster(t)
	raw, err := os.ReadFile(filepath.Join(harness.Root(), generatedRole))
	if err != nil {
		t.Fatal(err)
	}
	generated, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var want rbacv1.ClusterRole
	if err := find(generated, "ClusterRole", &want); err != nil {
		t.Fatal(err)
	}
	manifests, err := helmTemplate()
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := decode(manifests)
	if err != nil {
		t.Fatal(err)
	}
	var got rbacv1.ClusterRole
	if err := findNamed(rendered, "ClusterRole", chartFullname, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Rules, got.Rules); diff != "" {
		t.Errorf("charts/aws-rds-operator/templates/clusterrole.yaml differs from %s; copy its rules over:\n-want +got:\n%s", generatedRole, diff)
	}
}

// TestChartGKEWorkloadIdentity: with gcp.serviceAccount set, the operator's ServiceAccount
// carries GKE Workload Identity's annotation, so Application Default Credentials in the pod
// act as that Google service account; the Cloud SQL endpoint override reaches the container.
func TestChartGKEWorkloadIdentity(t *testing.T) {
	requireCluster(t)
	const gsa = "rds-operator@acme-prod.iam.gserviceaccount.com"
	_, objs := renderChart(t, "gcp.serviceAccount="+gsa, "gcp.sqladminEndpoint=http://cloudsql.test:8443")
	var sa corev1.ServiceAccount
	if err := findNamed(objs, "ServiceAccount", chartFullname, &sa); err != nil {
		t.Fatal(err)
	}
	if got := sa.Annotations["iam.gke.io/gcp-service-account"]; got != gsa {
		t.Errorf("ServiceAccount annotation iam.gke.io/gcp-service-account = %q, want %q", got, gsa)
	}
	var dep appsv1.Deployment
	if err := findNamed(objs, "Deployment", chartFullname, &dep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		found = found || e.Name == "GCP_SQLADMIN_ENDPOINT" && e.Value == "http://cloudsql.test:8443"
	}
	if !found {
		t.Errorf("the container has no GCP_SQLADMIN_ENDPOINT from gcp.sqladminEndpoint: %+v", dep.Spec.Template.Spec.Containers[0].Env)
	}
}

// TestChartAdmissionPolicy: the chart installs the same admission policy and binding as
// config/admission (which the e2e tests run against), and none with admissionPolicies off.
func TestChartAdmissionPolicy(t *testing.T) {
	requireCluster(t)
	raw, err := os.ReadFile(filepath.Join(harness.Root(), "config", "admission", "deletionpolicy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	config, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, rendered := renderChart(t)
	var wantPolicy, gotPolicy admissionv1.ValidatingAdmissionPolicy
	var wantBinding, gotBinding admissionv1.ValidatingAdmissionPolicyBinding
	for _, f := range []error{
		find(config, "ValidatingAdmissionPolicy", &wantPolicy), find(rendered, "ValidatingAdmissionPolicy", &gotPolicy),
		find(config, "ValidatingAdmissionPolicyBinding", &wantBinding), find(rendered, "ValidatingAdmissionPolicyBinding", &gotBinding),
	} {
		if f != nil {
			t.Fatal(f)
		}
	}
	if diff := cmp.Diff(wantPolicy.Spec, gotPolicy.Spec); diff != "" || wantPolicy.Name != gotPolicy.Name {
		t.Errorf("charts/aws-rds-operator/templates/admissionpolicy.yaml's policy differs from config/admission; copy it over:\n-want +got:\n%s", diff)
	}
	if diff := cmp.Diff(wantBinding.Spec, gotBinding.Spec); diff != "" || wantBinding.Name != gotBinding.Name {
		t.Errorf("the chart's policy binding differs from config/admission's:\n-want +got:\n%s", diff)
	}
	_, off := renderChart(t, "admissionPolicies=false")
	for _, k := range kinds(off) {
		if strings.HasPrefix(k, "ValidatingAdmissionPolicy") {
			t.Errorf("admissionPolicies=false still renders a %s", k)
		}
	}
}

// TestChartAKSWorkloadIdentity: with azure.clientId set, the operator's ServiceAccount
// carries AKS Workload Identity's annotations and its pod the label the identity webhook
// looks for, so DefaultAzureCredential in the pod acts as that managed identity; the
// Resource Manager endpoint override reaches the container.
func TestChartAKSWorkloadIdentity(t *testing.T) {
	requireCluster(t)
	const clientID, tenantID = "00000000-1111-2222-3333-444444444444", "55555555-6666-7777-8888-999999999999"
	_, objs := renderChart(t, "azure.clientId="+clientID, "azure.tenantId="+tenantID, "azure.armEndpoint=http://arm.test:4568")
	var sa corev1.ServiceAccount
	if err := findNamed(objs, "ServiceAccount", chartFullname, &sa); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"azure.workload.identity/client-id": clientID, "azure.workload.identity/tenant-id": tenantID} {
		if got := sa.Annotations[k]; got != want {
			t.Errorf("ServiceAccount annotation %s = %q, want %q", k, got, want)
		}
	}
	var dep appsv1.Deployment
	if err := findNamed(objs, "Deployment", chartFullname, &dep); err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Labels["azure.workload.identity/use"]; got != "true" {
		t.Errorf("pod label azure.workload.identity/use = %q, want true: without it the webhook injects no token", got)
	}
	if _, ok := dep.Spec.Selector.MatchLabels["azure.workload.identity/use"]; ok {
		t.Error("the Workload Identity label is in the Deployment's selector, which cannot change on upgrade")
	}
	found := false
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		found = found || e.Name == "AZURE_ARM_ENDPOINT" && e.Value == "http://arm.test:4568"
	}
	if !found {
		t.Errorf("the container has no AZURE_ARM_ENDPOINT from azure.armEndpoint: %+v", dep.Spec.Template.Spec.Containers[0].Env)
	}
	_, plain := renderChart(t)
	if err := findNamed(plain, "Deployment", chartFullname, &dep); err != nil {
		t.Fatal(err)
	}
	if _, ok := dep.Spec.Template.Labels["azure.workload.identity/use"]; ok {
		t.Error("without azure.clientId the pod must not ask for an Azure token")
	}
}

// TestChartEngineCABundle: engineCABundle (given with --set-file, as a platform engineer
// passes AWS's global-bundle.pem) reaches the manager as --engine-ca-bundle, and
// azure.caBundle (Azure's roots) as --azure-ca-bundle, each through a key of one ConfigMap
// mounted read-only where the flag points; a new bundle rolls the pods.
func TestChartEngineCABundle(t *testing.T) {
	requireCluster(t)
	cases := []struct {
		name, value, flag, key, checksum, reason string
	}{
		{name: "RDS", value: "engineCABundle", flag: "--engine-ca-bundle=", key: "ca.pem", checksum: "checksum/engine-ca",
			reason: "RDS servers are verified against AWS's bundle"},
		{name: "Azure", value: "azure.caBundle", flag: "--azure-ca-bundle=", key: "azure-ca.pem", checksum: "checksum/azure-ca",
			reason: "Azure flexible servers are verified against Azure's roots"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := serverproc.NewCA("test " + tc.name + " CA")
			if err != nil {
				t.Fatal(err)
			}
			bundle := filepath.Join(t.TempDir(), "bundle.pem")
			if err := os.WriteFile(bundle, ca.PEM, 0o600); err != nil {
				t.Fatal(err)
			}
			manifests, err := tool(nil, "helm", "template", "rds", chart, "--namespace", chartNS, "--set-file", tc.value+"="+bundle)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(manifests)
			if err != nil {
				t.Fatal(err)
			}
			var cm corev1.ConfigMap
			if err := findNamed(objs, "ConfigMap", chartFullname+"-engine-ca", &cm); err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(cm.Data[tc.key]) != strings.TrimSpace(string(ca.PEM)) || len(cm.Data) != 1 {
				t.Errorf("%s: the ConfigMap holds %v; want only %s, the bundle given", tc.reason, cm.Data, tc.key)
			}
			var dep appsv1.Deployment
			if err := findNamed(objs, "Deployment", chartFullname, &dep); err != nil {
				t.Fatal(err)
			}
			pod := dep.Spec.Template.Spec
			c := pod.Containers[0]
			var flag string
			for _, a := range c.Args {
				if v, ok := strings.CutPrefix(a, tc.flag); ok {
					flag = v
				}
			}
			mounted := false
			for _, m := range c.VolumeMounts {
				for _, v := range pod.Volumes {
					mounted = mounted || v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && m.ReadOnly &&
						flag == filepath.Join(m.MountPath, tc.key)
				}
			}
			if !mounted {
				t.Errorf("%s: %s%q is not the ConfigMap's %s mounted read-only: mounts %+v, volumes %+v", tc.reason, tc.flag, flag, tc.key, c.VolumeMounts, pod.Volumes)
			}
			if dep.Spec.Template.Annotations[tc.checksum] == "" {
				t.Errorf("%s: no checksum of the bundle on the pod template: a new bundle would not restart the manager", tc.reason)
			}
			if err := dryRunApply(manifests); err != nil {
				t.Fatalf("the apiserver refuses the rendered chart: %v", err)
			}
		})
	}

	plain, err := helmTemplate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "engine-ca") || strings.Contains(string(plain), "azure-ca") {
		t.Errorf("without a bundle the chart still renders the bundles' ConfigMap, mount or flag")
	}
}
