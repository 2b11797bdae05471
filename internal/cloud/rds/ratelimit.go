package rds

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// RateLimit configures the client-side limit on RDS API calls. AWS gives each account and
// region one token bucket for the RDS API (about 300 calls burst, 12 calls/s sustained),
// shared with every other tool there; an operator that throttles itself there throttles its
// neighbours too, so it stays below that on its own.
type RateLimit struct {
	// PerSecond is the sustained number of calls per second; 0 or less disables the limit.
	PerSecond float64
	// Burst is how many calls may go at once after a quiet spell.
	Burst int
	// MaxWait is the longest a call about one database is held before it is sent. A call
	// whose turn is further away is not sent: it fails with a *cloud.WaitError naming its
	// turn, which is kept for it, so a reconcile worker is never parked behind the queue.
	MaxWait time.Duration
}

// DefaultRateLimit leaves AWS's sustained 12 calls/s some room for the account's other
// tools.
var DefaultRateLimit = RateLimit{PerSecond: 10, Burst: 10, MaxWait: 250 * time.Millisecond}

// turnGrace is how late a caller may come back for its turn and still use it (a busy work
// queue delays it). A turn left longer is dropped and a new one given: turns used long after
// they were made would bunch calls together beyond the rate, at most this many seconds'
// worth of them.
const turnGrace = time.Second

// passWindow is how long after a database's turn its further calls go at once: a pass that
// makes several calls about one database (a parameter group read, made and set before the
// database is created) finishes once its turn came, and the queue pays for the calls after
// the first, as for the fleet-wide lists. Without it, a pass whose first call used the kept
// turn would be deferred at its second, and start over at its first: under a long queue it
// would never get further.
const passWindow = 5 * time.Second

// passCalls is how many calls one turn lets a database make within passWindow (a pass that
// sets 100 parameters makes about 12); more wait for a new turn, so that a database that
// keeps failing and coming back gets no more than its share.
const passCalls = 25

var (
	rateLimitDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rds_operator_aws_rate_limit_delay_seconds",
		Help:    "How long RDS API calls about one database waited for their turn under the operator's own rate limit (0 when sent at once).",
		Buckets: []float64{0, 0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600},
	})
	rateLimitDeferred = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rds_operator_aws_rate_limit_deferred_total",
		Help: "RDS API calls not sent because their turn under the operator's rate limit was further away than --aws-rate-limit-max-wait; the caller came back for it later.",
	})
	rateLimitAhead = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rds_operator_aws_rate_limit_ahead_total",
		Help: "Calls sent ahead of the queue: fleet-wide lists (the shared view of the cloud), and the rest of a database's pass once its turn came; later turns make up for them.",
	})
)

func init() {
	crmetrics.Registry.MustRegister(rateLimitDelay, rateLimitDeferred, rateLimitAhead)
}

// Limiter is a token bucket shared by every RDS call of the operator: every reconciler and
// the shared view of the cloud. Calls about one database (named by its identifier, ARN or
// snapshot) get a turn; a turn close enough is waited for, a later one is kept for the
// database and reported as a *cloud.WaitError. Fleet-wide list calls, which serve every
// object at once, and the rest of a database's pass once its turn came go ahead of the queue
// and push every turn behind them back by as much: the turns given already as well as the
// turns to come, so that the fleet keeps to the rate however many calls its passes make.
type Limiter struct {
	bucket  *rate.Limiter
	maxWait time.Duration
	// step is one call's share of the rate, what a call sent ahead of the queue pushes each
	// turn back by.
	step  time.Duration
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
	// ahead is how far every call sent ahead of the queue so far pushed the turns back: a
	// turn given when it was a is due ahead-a later than the bucket reserved it for.
	ahead time.Duration
	// turns holds the turn each waiting key may send its call at.
	turns map[string]turn
	// served holds when each key's last turn came, for passWindow, and the calls made on it.
	served map[string]time.Time
	calls  map[string]int
}

// NewLimiter returns a Limiter for l, or nil when l disables the limit.
func NewLimiter(l RateLimit) *Limiter {
	if l.PerSecond <= 0 {
		return nil
	}
	burst := max(l.Burst, 1)
	return &Limiter{
		bucket: rate.NewLimiter(rate.Limit(l.PerSecond), burst), maxWait: l.MaxWait,
		step: time.Duration(float64(time.Second) / l.PerSecond),
		now:  time.Now, sleep: sleepCtx, turns: map[string]turn{}, served: map[string]time.Time{}, calls: map[string]int{},
	}
}

// turn is when a waiting key may send its call: at, as the bucket reserved it, pushed back
// by what went ahead of the queue since (Limiter.ahead, then ahead).
type turn struct {
	at    time.Time
	ahead time.Duration
}

// goAheadLocked sends a call now, ahead of the queue: the bucket counts it, and when there is a
// queue (the bucket is in debt) every turn behind it is pushed back by one call's share.
func (l *Limiter) goAheadLocked(now time.Time) {
	if l.bucket.ReserveN(now, 1).DelayFrom(now) > 0 {
		l.ahead += l.step
		rateLimitAhead.Inc()
	}
}

// Acquire takes a token for one call about key ("" for a fleet-wide list). It returns nil
// when the call may go, after waiting at most MaxWait, or a *cloud.WaitError with the time
// until the turn kept for key.
func (l *Limiter) Acquire(ctx context.Context, op, key string) error {
	now := l.now()
	l.mu.Lock()
	if key == "" {
		// The shared view serves every object: it goes now and the queue pays for it.
		l.goAheadLocked(now)
		l.mu.Unlock()
		return nil
	}
	if at, ok := l.served[key]; ok && now.Sub(at) < passWindow && l.calls[key] < passCalls {
		// The rest of a pass whose turn came: it goes, and the queue pays.
		l.calls[key]++
		l.goAheadLocked(now)
		l.mu.Unlock()
		return nil
	}
	t, kept := l.turns[key]
	at := t.at.Add(l.ahead - t.ahead)
	if kept && now.Sub(at) > turnGrace {
		kept = false // left too long: a new turn, at the back
	}
	first := !kept
	if first {
		t = turn{at: now.Add(l.bucket.ReserveN(now, 1).DelayFrom(now)), ahead: l.ahead}
		at = t.at
	}
	wait := at.Sub(now)
	if wait > l.maxWait {
		l.turns[key] = t
		l.mu.Unlock()
		if first {
			rateLimitDelay.Observe(wait.Seconds())
		}
		rateLimitDeferred.Inc()
		return &cloud.WaitError{Op: op, Why: "waiting for a turn under the operator's AWS call rate limit", After: wait}
	}
	delete(l.turns, key)
	l.served[key], l.calls[key] = at, 1
	l.expireLocked(now)
	l.mu.Unlock()
	if first {
		rateLimitDelay.Observe(max(wait, 0).Seconds())
	}
	if wait > 0 {
		return l.sleep(ctx, wait)
	}
	return nil
}

// expireLocked drops turns whose owner never came back (the object was deleted meanwhile),
// so the map holds at most the waiting databases.
func (l *Limiter) expireLocked(now time.Time) {
	if len(l.turns) >= 64 {
		for k, t := range l.turns {
			if now.Sub(t.at.Add(l.ahead-t.ahead)) > turnGrace {
				delete(l.turns, k)
			}
		}
	}
	if len(l.served) >= 64 {
		for k, at := range l.served {
			if now.Sub(at) >= passWindow {
				delete(l.served, k)
				delete(l.calls, k)
			}
		}
	}
}

// Waiting reports how many databases hold a turn.
func (l *Limiter) Waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.turns)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiterKey carries the database a call is about from the initialize step, where the input
// is at hand, to the finalize step, where each attempt is made.
type limiterKey struct{}

// keyFields name, in order of preference, the input fields that say which database (or
// snapshot) a call is about. An export is about the snapshot it reads (SourceArn); a
// DescribeExportTasks without one lists the account's exports and is fleet-wide.
var keyFields = []string{"DBInstanceIdentifier", "DBClusterIdentifier", "DBSnapshotIdentifier", "ResourceName", "SourceArn"}

// databaseKey carries, in a call's context, the database the call is made for when its
// input names something else of it (its parameter group).
type databaseKey struct{}

// forDatabase marks the calls made with ctx as made for the database id: they share its
// turns.
func forDatabase(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, databaseKey{}, id)
}

// callKey returns the database a call's input is about, or "" for a fleet-wide call.
func callKey(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	v = v.Elem()
	for _, name := range keyFields {
		f := v.FieldByName(name)
		if f.IsValid() && f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String {
			if s := f.Elem().String(); s != "" {
				return s
			}
		}
	}
	return ""
}

// Middleware returns the SDK API option that puts every attempt of every call under l: it
// sits in the finalize step after the retryer, so retries take their turn too, and before
// signing, so a signature never ages while it waits. A nil l adds nothing.
func (l *Limiter) Middleware(stack *middleware.Stack) error {
	if l == nil {
		return nil
	}
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RateLimitKey",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			key, _ := ctx.Value(databaseKey{}).(string)
			if key == "" {
				key = callKey(in.Parameters)
			}
			return next.HandleInitialize(context.WithValue(ctx, limiterKey{}, key), in)
		}), middleware.Before); err != nil {
		return err
	}
	acquire := middleware.FinalizeMiddlewareFunc("RateLimit",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			key, _ := ctx.Value(limiterKey{}).(string)
			if err := l.Acquire(ctx, middleware.GetOperationName(ctx), key); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			return next.HandleFinalize(ctx, in)
		})
	if err := stack.Finalize.Insert(acquire, "Retry", middleware.After); err != nil {
		// A stack without the retryer: limit each call.
		return stack.Finalize.Add(acquire, middleware.Before)
	}
	return nil
}
