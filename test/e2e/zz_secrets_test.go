package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
	"github.com/matrixmind-cloud/aws-rds-operator/test/harness"
)

// TestNoPasswordLeaks runs after the whole suite: no password the operator ever generated
// appears in the operator's log, in an Event, in an object's status, in the operator's
// metrics, in a ConfigMap, or in what the cloud was told and logged (the emulator's call
// log). The passwords are those in the operator's Secrets now, plus every value a Secret of
// its own story held: a master and a user rotated (their previous passwords are gone from
// the Secrets by now) and a user removed (its Secret is deleted).
func TestNoPasswordLeaks(t *testing.T) {
	ctx := context.Background()
	passwords := passwordStory(t)
	storyCount := len(passwords)

	var secrets corev1.SecretList
	if err := stack.Client.List(ctx, &secrets, client.HasLabels{v1.LabelDatabase}); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		checkSecretNamesItsObject(t, s)
		for _, key := range []string{"password", "password-previous"} {
			if pw := string(s.Data[key]); pw != "" {
				passwords[pw] = true
			}
		}
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
	logs, files := databaseLogs(t)
	places["the databases' own logs, as the cloud serves them"] = logs
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	places["the operator's metrics"] = mustJSON(t, families)
	// A ConfigMap is readable by far more people than a Secret: the operator makes none.
	var configMaps corev1.ConfigMapList
	if err := stack.Client.List(ctx, &configMaps); err != nil {
		t.Fatal(err)
	}
	for _, cm := range configMaps.Items {
		places["ConfigMap "+cm.Namespace+"/"+cm.Name] = mustJSON(t, cm)
		if cm.Labels[v1.LabelManagedBy] == v1.ManagedByValue || cm.Labels[v1.LabelDatabase] != "" {
			t.Errorf("the operator made ConfigMap %s/%s", cm.Namespace, cm.Name)
		}
	}

	for where, text := range places {
		for pw := range passwords {
			if strings.Contains(text, pw) {
				t.Errorf("a generated password appears in %s", where)
			}
		}
	}
	t.Logf("looked for %d passwords (%d from this test's rotations and removal) in %d places (%d bytes of operator log, %d Events, %d metric families, %d ConfigMaps, %d database log files)",
		len(passwords), storyCount, len(places), len(stack.Logs()), len(events.Items), len(families), len(configMaps.Items), files)
}

// databaseLogs reads every log file of every database still in the cloud, whole, as the
// cloud serves it (DescribeDBLogFiles, DownloadDBLogFilePortion from the start): what a
// person reading the database's log sees.
func databaseLogs(t *testing.T) (string, int) {
	t.Helper()
	ctx := context.Background()
	api, err := stack.RDS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	files := 0
	pages := awsrds.NewDescribeDBInstancesPaginator(api, &awsrds.DescribeDBInstancesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.DBInstances {
			id := in.DBInstanceIdentifier
			list, err := api.DescribeDBLogFiles(ctx, &awsrds.DescribeDBLogFilesInput{DBInstanceIdentifier: id})
			if err != nil {
				continue // gone meanwhile
			}
			for _, f := range list.DescribeDBLogFiles {
				files++
				marker := aws.String("0")
				for range 10000 {
					part, err := api.DownloadDBLogFilePortion(ctx, &awsrds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: id, LogFileName: f.LogFileName, Marker: marker})
					if err != nil {
						break
					}
					out.WriteString(aws.ToString(part.LogFileData))
					if !aws.ToBool(part.AdditionalDataPending) {
						break
					}
					marker = part.Marker
				}
			}
		}
	}
	return out.String(), files
}

// passwordStory creates a database with two users, rotates the master's and one user's
// password, removes the other user, and returns every password any of its Secrets held on
// the way, watched as the apiserver saw them.
func passwordStory(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	ns := namespace(t, "leaks")
	wc, err := client.NewWithWatch(stack.Config, client.Options{Scheme: stack.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &corev1.SecretList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*corev1.Secret)
			if !ok || ev.Type == watch.Error {
				continue
			}
			mu.Lock()
			for _, key := range []string{"password", "password-previous"} {
				if pw := string(s.Data[key]); pw != "" {
					seen[pw] = true
				}
			}
			mu.Unlock()
		}
	}()

	db := &v1.RDSDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leaky"}}
	db.Spec.DeletionPolicy = v1.DeletionDelete
	db.Spec.Users = map[string]v1.UserRoles{"app": {v1.RoleCreateDB}, "gone": {}}
	db.Spec.Databases = map[string]v1.DatabaseUsers{"orders": {"app", "gone"}}
	if err := stack.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	waitReady(t, db)
	if err := annotate(ctx, db, map[string]string{v1.AnnotationRotatePrefix + v1.RotateMaster: "leak-1", v1.AnnotationRotatePrefix + "app": "leak-1"}); err != nil {
		t.Fatal(err)
	}
	waitRotated(t, ns, naming.MasterSecretName(db.Name), "leak-1")
	waitRotated(t, ns, naming.UserSecretName(db.Name, "app"), "leak-1")
	if err := update(ctx, db, func(s *v1.RDSDatabaseSpec) {
		delete(s.Users, "gone")
		s.Databases = map[string]v1.DatabaseUsers{"orders": {"app"}}
	}); err != nil {
		t.Fatal(err)
	}
	gone := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.UserSecretName(db.Name, "gone")}}
	err = harness.WaitFor(ctx, readyTimeout, func(ctx context.Context) (bool, error) {
		err := stack.Client.Get(ctx, client.ObjectKeyFromObject(gone), gone)
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("the removed user's Secret stays: %v", err)
	}
	waitReady(t, db)
	w.Stop()
	<-done

	// Three Secrets made, two rotated: at least five passwords, three of them no longer in
	// any Secret.
	if len(seen) < 5 {
		t.Fatalf("the story's Secrets held %d passwords, want at least 5 (3 made, 2 rotated)", len(seen))
	}
	return seen
}

// checkSecretNamesItsObject checks a credential Secret says whose it is: the object's label
// and the operator's, and annotations naming the object and the user, since no owner
// reference does (Secrets outlive their object).
func checkSecretNamesItsObject(t *testing.T, s corev1.Secret) {
	t.Helper()
	owner := s.Annotations[v1.AnnotationOwner]
	ns, name, _ := strings.Cut(owner, "/")
	switch {
	case s.Labels[v1.LabelManagedBy] != v1.ManagedByValue:
		t.Errorf("Secret %s/%s lacks the label %s=%s", s.Namespace, s.Name, v1.LabelManagedBy, v1.ManagedByValue)
	case ns != s.Namespace || name != s.Labels[v1.LabelDatabase]:
		t.Errorf("Secret %s/%s: annotation %s=%q does not name its object %s", s.Namespace, s.Name, v1.AnnotationOwner, owner, s.Labels[v1.LabelDatabase])
	case s.Annotations[v1.AnnotationUser] == "" || s.Annotations[v1.AnnotationUser] != string(s.Data["username"]):
		t.Errorf("Secret %s/%s: annotation %s=%q does not name its user %q", s.Namespace, s.Name, v1.AnnotationUser, s.Annotations[v1.AnnotationUser], s.Data["username"])
	case len(s.OwnerReferences) != 0:
		t.Errorf("Secret %s/%s has owner references: it would go with its object", s.Namespace, s.Name)
	case s.Type != corev1.SecretTypeOpaque:
		t.Errorf("Secret %s/%s is of type %s, want Opaque", s.Namespace, s.Name, s.Type)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
