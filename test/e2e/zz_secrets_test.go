package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// TestNoPasswordLeaks runs after the whole suite: no password held in any of the operator's
// Secrets appears in the operator's log, in an Event, in an object's status, or in what the
// cloud was told and logged (the emulator's call log).
func TestNoPasswordLeaks(t *testing.T) {
	ctx := context.Background()
	var secrets corev1.SecretList
	if err := stack.Client.List(ctx, &secrets, client.HasLabels{v1.LabelDatabase}); err != nil {
		t.Fatal(err)
	}
	var passwords []string
	for _, s := range secrets.Items {
		for _, key := range []string{"password", "password-previous"} {
			if pw := string(s.Data[key]); pw != "" {
				passwords = append(passwords, pw)
			}
		}
	}
	if len(passwords) == 0 {
		t.Fatal("no passwords to look for: no other test ran, this one proves nothing")
	}

	places := map[string]string{"the operator's log": stack.Logs()}
	var events eventsv1.EventList
	if err := stack.Client.List(ctx, &events); err != nil {
		t.Fatal(err)
	}
	places["Events"] = mustJSON(t, events.Items)
	var dbs v1.RDSDatabaseList
	if err := stack.Client.List(ctx, &dbs); err != nil {
		t.Fatal(err)
	}
	for _, db := range dbs.Items {
		places["status of "+db.Namespace+"/"+db.Name] = mustJSON(t, db.Status)
	}
	places["the emulator's call log"] = mustJSON(t, stack.Emulator.Stats())

	for where, text := range places {
		for _, pw := range passwords {
			if strings.Contains(text, pw) {
				t.Errorf("a password from a Secret appears in %s", where)
			}
		}
	}
	t.Logf("looked for %d passwords in %d places (%d bytes of operator log, %d Events)", len(passwords), len(places), len(stack.Logs()), len(events.Items))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
