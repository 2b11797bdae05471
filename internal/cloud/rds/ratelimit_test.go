package rds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// fakeClock is a clock the limiter's waits move forward.
type fakeClock struct{ now time.Time }

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error { c.now = c.now.Add(d); return nil }

func newTestLimiter(l RateLimit) (*Limiter, *fakeClock) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	lim := NewLimiter(l)
	lim.now = func() time.Time { return clock.now }
	lim.sleep = clock.sleep
	return lim, clock
}

// TestLimiterTurns is a create wave of 40 databases against 10 calls/s with a burst of 5:
// the burst goes at once, the next few wait briefly, the rest are given later turns and come
// back for them, and no second holds more than the burst plus the rate.
func TestLimiterTurns(t *testing.T) {
	lim, clock := newTestLimiter(RateLimit{PerSecond: 10, Burst: 5, MaxWait: 250 * time.Millisecond})
	ctx := context.Background()
	sent := map[int64]int{} // calls by second
	var deferred []string
	start := clock.now
	for i := 0; i < 40; i++ {
		key := fmt.Sprintf("db-%02d", i)
		err := lim.Acquire(ctx, "CreateDBInstance", key)
		if _, wait := cloud.RetryAfter(err); wait {
			deferred = append(deferred, key)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sent[int64(clock.now.Sub(start)/time.Second)]++
	}
	if got, want := lim.Waiting(), len(deferred); got != want {
		t.Errorf("Waiting() = %d, want a turn kept for each of the %d deferred calls", got, want)
	}
	// Each deferred caller comes back when told to; its turn is kept, so it goes then.
	for len(deferred) > 0 {
		var again []string
		for _, key := range deferred {
			err := lim.Acquire(ctx, "CreateDBInstance", key)
			after, wait := cloud.RetryAfter(err)
			if wait {
				again = append(again, key)
				clock.now = clock.now.Add(min(after, 100*time.Millisecond))
				continue
			}
			sent[int64(clock.now.Sub(start)/time.Second)]++
		}
		deferred = again
	}
	total := 0
	for sec, n := range sent {
		total += n
		if n > 5+10 {
			t.Errorf("second %d sent %d calls, want at most burst+rate = 15", sec, n)
		}
	}
	if total != 40 {
		t.Errorf("%d calls sent, want all 40", total)
	}
	if elapsed := clock.now.Sub(start); elapsed < 3*time.Second {
		t.Errorf("40 calls at 10/s with a burst of 5 took %s, want at least 3.5s", elapsed)
	}
	if lim.Waiting() != 0 {
		t.Errorf("%d turns left after every caller came back", lim.Waiting())
	}
}

// TestLimiterListGoesAhead proves the shared view's list is never held back behind the
// queue of waiting databases: it serves them all.
func TestLimiterListGoesAhead(t *testing.T) {
	lim, clock := newTestLimiter(RateLimit{PerSecond: 1, Burst: 1, MaxWait: 0})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		_ = lim.Acquire(ctx, "CreateDBInstance", fmt.Sprintf("db-%d", i))
	}
	before := clock.now
	if err := lim.Acquire(ctx, "DescribeDBInstances", ""); err != nil || clock.now != before {
		t.Errorf("a list waited %s (err %v) behind %d queued databases", clock.now.Sub(before), err, lim.Waiting())
	}
}

// TestCallKey covers how a call's input names the database it is about.
func TestCallKey(t *testing.T) {
	cases := []struct {
		reason string
		params any
		want   string
	}{
		{"a create is about its identifier", &awsrds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("shop-orders")}, "shop-orders"},
		{"a describe of one database is about it", &awsrds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("shop-orders")}, "shop-orders"},
		{"a paged describe of the account is fleet-wide", &awsrds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)}, ""},
		{"tagging is about the resource", &awsrds.AddTagsToResourceInput{ResourceName: aws.String("arn:aws:rds:x")}, "arn:aws:rds:x"},
		{"deleting a snapshot is about the snapshot", &awsrds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("snap")}, "snap"},
		{"a snapshot of a database is about the database", &awsrds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("db"), DBSnapshotIdentifier: aws.String("snap")}, "db"},
		{"an export is about the snapshot it reads", &awsrds.StartExportTaskInput{ExportTaskIdentifier: aws.String("exp"), SourceArn: aws.String("arn:aws:rds:us-east-1:1:snapshot:snap")}, "arn:aws:rds:us-east-1:1:snapshot:snap"},
		{"listing the account's exports is fleet-wide", &awsrds.DescribeExportTasksInput{MaxRecords: aws.Int32(100)}, ""},
		{"no input is fleet-wide", nil, ""},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, callKey(c.params)); diff != "" {
			t.Errorf("%s: -want +got:\n%s", c.reason, diff)
		}
	}
}

// TestLimiterPass: under a long queue, a pass that makes several calls about one database
// (a parameter group read, made and set, then the database created) finishes once its turn
// came, and the queue pays for its further calls; a pass after passWindow waits its turn
// again. Without this such a pass would redo its first call at each turn and never get
// further.
func TestLimiterPass(t *testing.T) {
	lim, clock := newTestLimiter(RateLimit{PerSecond: 10, Burst: 1, MaxWait: 0})
	ctx := context.Background()
	queue := func(prefix string) { // 50 databases ahead
		for i := 0; i < 50; i++ {
			_ = lim.Acquire(ctx, "CreateDBInstance", fmt.Sprintf("%s-%02d", prefix, i))
		}
	}
	pass := func() (done int, err error) {
		for _, op := range []string{"DescribeDBParameters", "CreateDBParameterGroup", "DescribeDBParameters", "ModifyDBParameterGroup", "CreateDBInstance"} {
			if err := lim.Acquire(ctx, op, "db-1"); err != nil {
				return done, err
			}
			done++
		}
		return done, nil
	}
	queue("first")
	done, err := pass()
	after, wait := cloud.RetryAfter(err)
	if !wait || done != 0 {
		t.Fatalf("the first pass behind a queue of 50 made %d calls (%v); want none, and a turn", done, err)
	}
	clock.now = clock.now.Add(after)
	if done, err := pass(); err != nil || done != 5 {
		t.Fatalf("the pass whose turn came made %d of its 5 calls (%v); want all", done, err)
	}
	// The queue paid for the four calls after the first.
	err = lim.Acquire(ctx, "CreateDBInstance", "db-2")
	if after, wait := cloud.RetryAfter(err); !wait || after < 400*time.Millisecond {
		t.Errorf("the next database's turn is %s away (%v), want at least the 4 calls the pass went ahead with", after, err)
	}
	clock.now = clock.now.Add(passWindow)
	queue("second")
	if done, err := pass(); err == nil || done != 0 {
		t.Errorf("a pass long after its turn, behind a new queue, made %d calls (%v); want none until its new turn", done, err)
	}
}

// TestLimiterPassesKeepTheRate is the create wave of a fleet with parameter groups: 100
// databases whose passes make 8 calls each once their turn comes, against 10 calls/s. The
// calls a pass sends ahead push back the turns given already, so that no 10 s of the wave
// sends more than the rate's 100 calls and a pass (its turn came before the window, the rest
// of its calls in it) and the burst; without that the wave ran at 8 times the rate.
func TestLimiterPassesKeepTheRate(t *testing.T) {
	const rate, burst, passLen = 10, 10, 8
	lim, clock := newTestLimiter(RateLimit{PerSecond: rate, Burst: burst, MaxWait: 250 * time.Millisecond})
	ctx := context.Background()
	start := clock.now
	var sent []time.Duration
	pass := func(key string) (time.Duration, bool) {
		for i := 0; i < passLen; i++ {
			err := lim.Acquire(ctx, "Call", key)
			if after, wait := cloud.RetryAfter(err); wait {
				if i > 0 {
					t.Fatalf("%s deferred at call %d of its pass, after its turn came", key, i+1)
				}
				return after, false
			} else if err != nil {
				t.Fatal(err)
			}
			sent = append(sent, clock.now.Sub(start))
		}
		return 0, true
	}
	type due struct {
		key string
		at  time.Time
	}
	var queue []due
	for i := 0; i < 100; i++ {
		key := fmt.Sprintf("db-%03d", i)
		if after, done := pass(key); !done {
			queue = append(queue, due{key, clock.now.Add(after)})
		}
	}
	for len(queue) > 0 { // each comes back when told, earliest first
		next := 0
		for i, d := range queue {
			if d.at.Before(queue[next].at) {
				next = i
			}
		}
		d := queue[next]
		queue = append(queue[:next], queue[next+1:]...)
		if d.at.After(clock.now) {
			clock.now = d.at
		}
		if after, done := pass(d.key); !done {
			queue = append(queue, due{d.key, clock.now.Add(after)})
		}
	}
	if len(sent) != 100*passLen {
		t.Fatalf("%d calls sent, want %d", len(sent), 100*passLen)
	}
	limit := rate*10 + burst + passLen
	for i, from := range sent {
		n := 0
		for _, at := range sent[i:] {
			if at-from < 10*time.Second {
				n++
			}
		}
		if n > limit {
			t.Fatalf("%d calls in the 10 s from %s, want at most %d (the rate, a burst and one pass)", n, from, limit)
		}
	}
	if took := sent[len(sent)-1]; took < 70*time.Second {
		t.Errorf("800 calls at 10/s took %s, want about 80 s", took)
	}
}
