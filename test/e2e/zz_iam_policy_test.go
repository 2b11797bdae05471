package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIAMPolicyAllowsEveryCall runs last (files run in name order): every RDS action the
// operator called during the whole integration suite must be allowed by the published
// least-privilege policy. (Tests also call a few actions themselves to arrange cloud state;
// those fall within the policy too.)
func TestIAMPolicyAllowsEveryCall(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(stack.Root, "docs", "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatalf("docs/iam-policy.json: %v", err)
	}
	allowed := map[string]bool{}
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			continue
		}
		switch a := st.Action.(type) {
		case string:
			allowed[a] = true
		case []any:
			for _, x := range a {
				allowed[x.(string)] = true
			}
		}
	}
	used := map[string]bool{}
	for _, action := range stack.ActionsCalled() {
		used["rds:"+action] = true
		if !allowed["rds:"+action] {
			t.Errorf("the operator called rds:%s, which docs/iam-policy.json does not allow", action)
		}
	}
	for action := range allowed {
		// iam:PassRole and the kms: actions are checked when RDS acts on a call of the
		// operator's (an export's role and key); the emulator's log shows only RDS actions.
		if strings.HasPrefix(action, "rds:") && !used[action] {
			t.Logf("docs/iam-policy.json allows %s, which this run never called", action)
		}
	}
	t.Logf("actions called in this run: %v", stack.ActionsCalled())
}
