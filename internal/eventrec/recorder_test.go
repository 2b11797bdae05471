package eventrec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

func scheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEventf checks the Event a call makes: what client-go's recorder would write.
func TestEventf(t *testing.T) {
	var got []*eventsv1.Event
	r := New(func(_ context.Context, ev *eventsv1.Event) error {
		got = append(got, ev)
		return nil
	}, scheme(t), "aws-rds-operator", logr.Discard())
	at := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return at }
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders", UID: "u1"}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	r.Eventf(secret, node, corev1.EventTypeWarning, "PasswordRefused", "Check", "user %s refused", "app")
	r.Eventf(node, nil, corev1.EventTypeNormal, "Seen", "", "100% %s")
	r.Eventf(secret, nil, corev1.EventTypeNormal, "Long", "", strings.Repeat("é", 600))
	for len(r.queue) > 0 {
		r.record(context.Background(), <-r.queue)
	}
	if len(got) != 3 {
		t.Fatalf("%d Events written, want 3", len(got))
	}
	ev := got[0]
	for _, c := range []struct{ reason, got, want string }{
		{"the name is the object's and the time's, as client-go names it", ev.Name, fmt.Sprintf("orders.%x", at.UnixNano())},
		{"the namespace is the object's", ev.Namespace, "shop"},
		{"the note is formatted", ev.Note, "user app refused"},
		{"the reporter is the controller", ev.ReportingController, "aws-rds-operator"},
		{"the instance names the controller", strings.SplitN(ev.ReportingInstance, "-", 4)[0], "aws"},
		{"the object is referred to", ev.Regarding.Kind + "/" + string(ev.Regarding.UID), "Secret/u1"},
		{"the related object is referred to", ev.Related.Kind + "/" + ev.Related.Name, "Node/n1"},
		{"type, reason and action are kept", ev.Type + " " + ev.Reason + " " + ev.Action, "Warning PasswordRefused Check"},
		{"a cluster-scoped object's Event goes to default", got[1].Namespace, "default"},
		{"a note without arguments is not formatted", got[1].Note, "100% %s"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.reason, c.got, c.want)
		}
	}
	if long := got[2].Note; len(long) > noteLimit || !utf8.ValidString(long) || !strings.HasSuffix(long, "...") {
		t.Errorf("a long note is cut to %d bytes at a character, with ...: %d bytes, valid %v", noteLimit, len(long), utf8.ValidString(long))
	}
	if !got[0].EventTime.Time.Equal(at) {
		t.Errorf("EventTime %v, want %v", got[0].EventTime, at)
	}
}

// TestRecordRetries checks which failures are written again and which are given up.
func TestRecordRetries(t *testing.T) {
	gr := schema.GroupResource{Group: "events.k8s.io", Resource: "events"}
	for name, c := range map[string]struct {
		reason string
		errs   []error
		writes int
	}{
		"Written":       {reason: "A written Event is written once.", errs: []error{nil}, writes: 1},
		"Unreachable":   {reason: "Without an answer the write is tried again.", errs: []error{errors.New("connection refused"), nil}, writes: 2},
		"Busy":          {reason: "A busy apiserver is asked again.", errs: []error{apierrors.NewTooManyRequests("busy", 1), apierrors.NewServiceUnavailable("x"), nil}, writes: 3},
		"Exists":        {reason: "An Event already there is not written again.", errs: []error{apierrors.NewAlreadyExists(gr, "e")}, writes: 1},
		"Refused":       {reason: "An Event the apiserver refuses (its namespace going away) is dropped.", errs: []error{apierrors.NewForbidden(gr, "e", errors.New("terminating"))}, writes: 1},
		"TriesRunOut":   {reason: "After Tries writes the Event is given up.", errs: []error{errors.New("down"), errors.New("down"), errors.New("down"), errors.New("down")}, writes: 3},
		"InvalidIsDrop": {reason: "An invalid Event is not tried again.", errs: []error{apierrors.NewBadRequest("bad")}, writes: 1},
	} {
		t.Run(name, func(t *testing.T) {
			writes := 0
			r := New(func(context.Context, *eventsv1.Event) error {
				writes++
				if writes <= len(c.errs) {
					return c.errs[writes-1]
				}
				return nil
			}, scheme(t), "c", logr.Discard())
			r.Retry, r.Tries = time.Millisecond, 3
			r.record(context.Background(), &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "n", Name: "e"}})
			if writes != c.writes {
				t.Errorf("%s: %d writes, want %d", c.reason, writes, c.writes)
			}
		})
	}
}

// TestQueueNeverBlocks checks that a full queue drops the Event instead of blocking the
// reconcile that records it, and that Start writes what is queued until stopped.
func TestQueueNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	wrote := make(chan struct{}, QueueSize+10)
	r := New(func(context.Context, *eventsv1.Event) error {
		<-release
		wrote <- struct{}{}
		return nil
	}, scheme(t), "c", logr.Discard())
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "n", Name: "s"}}
	for range QueueSize + 10 {
		r.Eventf(secret, nil, corev1.EventTypeNormal, "R", "", "note")
	}
	if r.Dropped() != 10 {
		t.Fatalf("%d dropped, want the 10 beyond the queue", r.Dropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	close(release)
	timeout := time.After(30 * time.Second)
	for n := range QueueSize {
		select {
		case <-wrote:
		case <-timeout:
			t.Fatalf("%d of %d queued Events written", n, QueueSize)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
