package localstack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestSamplesNameTheLocalClouds proves that the DatabaseClass samples a user applies to the
// local stack name what its emulators serve, its env file exports and it creates; the Azure
// emulator serves no other subscription or resource group.
func TestSamplesNameTheLocalClouds(t *testing.T) {
	cases := map[string]struct {
		reason string
		file   string
		want   map[string]string
	}{
		"GCP": {
			reason: "The gcp class names the project of GCP_PROJECT.",
			file:   "gcp/matrixmind_v1_databaseclass_gcp.yaml",
			want:   map[string]string{"project": localProject},
		},
		"Azure": {
			reason: "The azure class names the subscription of AZURE_SUBSCRIPTION_ID and the resource group azure-emulator serves.",
			file:   "azure/matrixmind_v1_databaseclass_azure.yaml",
			want:   map[string]string{"subscriptionId": AzureSubscription, "resourceGroup": AzureResourceGroup},
		},
		"Existing": {
			reason: "The existing class names the Secret the stack keeps db1's administrator's login in.",
			file:   "onprem/matrixmind_v1_databaseclass_existing.yaml",
			want:   map[string]string{"namespace": ExistingAdminNamespace, "name": ExistingAdminSecret},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var class struct {
				Spec struct {
					GCP      map[string]any `json:"gcp"`
					Azure    map[string]any `json:"azure"`
					Existing struct {
						AdminSecretRef map[string]any `json:"adminSecretRef"`
					} `json:"existing"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(raw, &class); err != nil {
				t.Fatalf("parse %s: %v", tc.file, err)
			}
			got := map[string]string{}
			for k := range tc.want {
				for _, params := range []map[string]any{class.Spec.GCP, class.Spec.Azure, class.Spec.Existing.AdminSecretRef} {
					if v, ok := params[k].(string); ok {
						got[k] = v
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n%s: -want +got:\n%s", tc.reason, tc.file, diff)
			}
		})
	}
}
