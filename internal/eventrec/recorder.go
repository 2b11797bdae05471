// Package eventrec records the operator's Kubernetes Events (events.k8s.io/v1) and keeps
// nothing once one is written.
//
// client-go's events broadcaster keeps a copy of every Event it records for six to twelve
// minutes, to count repeats of it into a series. The operator records an Event only when a
// condition changes, so repeats are rare, and that cache was the largest thing on its heap
// after a wave of creates: about 7 MiB of 36 at 1,000 databases, growing with the number of
// databases that changed in the last twelve minutes. This recorder writes each Event once,
// from a bounded queue, by a few writers, with retries while the apiserver cannot be reached.
package eventrec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/reference"
)

// noteLimit is the longest note the apiserver accepts, in bytes.
const noteLimit = 1024

// QueueSize is how many Events may wait to be written; one more is dropped (and logged),
// as client-go drops Events when its queue is full.
const QueueSize = 4096

// Writer writes an Event: the events.k8s.io/v1 client's Create, in the Event's namespace.
type Writer func(ctx context.Context, ev *eventsv1.Event) error

// Recorder is an events.EventRecorder that writes each Event once.
type Recorder struct {
	write      Writer
	scheme     *runtime.Scheme
	controller string
	instance   string
	log        logr.Logger
	queue      chan *eventsv1.Event
	now        func() time.Time
	// Retry is the wait before writing an Event again after the apiserver could not be
	// reached; Tries how many times it is tried in all.
	Retry time.Duration
	Tries int

	dropped atomic.Int64
}

// New returns a Recorder that writes Events with write, naming controller as their reporter
// and controller-<hostname> as its instance, as client-go does. Start runs its writer.
func New(write Writer, scheme *runtime.Scheme, controller string, log logr.Logger) *Recorder {
	host, _ := os.Hostname()
	return &Recorder{
		write: write, scheme: scheme, controller: controller, instance: controller + "-" + host,
		log: log, queue: make(chan *eventsv1.Event, QueueSize), now: time.Now,
		Retry: 10 * time.Second, Tries: 12,
	}
}

// Eventf queues an Event about regarding (and related, when not nil). It never blocks: when
// the queue is full the Event is dropped and the drop logged (the first and every
// thousandth).
func (r *Recorder) Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...interface{}) {
	ref, err := reference.GetReference(r.scheme, regarding)
	if err != nil {
		r.log.Error(err, "cannot record an Event: no reference to its object", "reason", reason)
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		if relatedRef, err = reference.GetReference(r.scheme, related); err != nil {
			r.log.Error(err, "an Event's related object has no reference; recorded without it", "reason", reason)
			relatedRef = nil
		}
	}
	if len(args) > 0 {
		note = fmt.Sprintf(note, args...)
	}
	now := r.now()
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", ref.Name, now.UnixNano()), Namespace: namespace},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             relatedRef,
		Note:                truncate(note),
		Type:                eventtype,
	}
	select {
	case r.queue <- ev:
	default:
		// Logged the first time and every thousandth: a burst must not flood the log too.
		if n := r.dropped.Add(1); n == 1 || n%1000 == 0 {
			r.log.Info("Event dropped: too many waiting to be written", "object", ref.Namespace+"/"+ref.Name, "reason", reason, "droppedSoFar", n)
		}
	}
}

// Dropped is how many Events were dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Writers is how many Events are written at once: a burst of new objects records a few
// hundred a second (each new object's Secrets), more than one writer waiting on the
// apiserver for each keeps up with.
const Writers = 8

// Start writes queued Events until ctx ends; it is the manager's Runnable.
func (r *Recorder) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range Writers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-r.queue:
					r.record(ctx, ev)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// NeedLeaderElection is false: a replica that records an Event writes it, leader or not.
func (r *Recorder) NeedLeaderElection() bool { return false }

// record writes ev, trying again while the apiserver cannot be reached; an Event it refuses
// (invalid, or its namespace going away) is dropped, as client-go drops it.
func (r *Recorder) record(ctx context.Context, ev *eventsv1.Event) {
	for try := 1; ; try++ {
		err := r.write(ctx, ev)
		if err == nil || apierrors.IsAlreadyExists(err) {
			return
		}
		if try >= r.Tries || ctx.Err() != nil || refused(err) {
			r.log.Error(err, "cannot write an Event", "object", ev.Regarding.Namespace+"/"+ev.Regarding.Name, "reason", ev.Reason, "tries", try)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait.Jitter(r.Retry, 0.25)):
		}
	}
}

// refused tells an answer of the apiserver not worth another try: anything but busy or
// timed out. An error without an answer (no connection) is tried again.
func refused(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	return !(apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err))
}

// truncate keeps a note within the apiserver's limit, cut at a character boundary.
func truncate(note string) string {
	if len(note) <= noteLimit {
		return note
	}
	cut := noteLimit - len("...")
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + "..."
}
