package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// useClock makes the clock the emulator's event log tells time by.
func useClock(e *Emulator, c *fakeClock) {
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	e.events.now = c.Now
}

// recordAt records one event of an instance at a time of the clock.
func recordAt(e *Emulator, c *fakeClock, at time.Time, id string, k eventKind) {
	c.Set(at)
	e.instanceEvent(id, k)
}

// eventIDs are the source identifiers and messages of events, in order, "id: message".
func eventIDs(events []types.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, aws.ToString(ev.SourceIdentifier)+": "+aws.ToString(ev.Message))
	}
	return out
}

func TestDescribeEventsFilters(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{}
	useClock(e, clock)
	// The feed, oldest first; the clock ends at now.
	recordAt(e, clock, now.Add(-15*24*time.Hour), "ancient", evInstanceCreated)
	recordAt(e, clock, now.Add(-13*24*time.Hour), "old", evInstanceCreated)
	recordAt(e, clock, now.Add(-3*time.Hour), "shop", evInstanceCreated)
	recordAt(e, clock, now.Add(-2*time.Hour), "shop", evBackupStarted)
	c2 := now.Add(-90 * time.Minute)
	clock.Set(c2)
	e.clusterEvent("ledger", evClusterCreated)
	e.snapshotEvent("shop-manual", evManualSnapshotCreating)
	recordAt(e, clock, now.Add(-30*time.Minute), "shop", evMasterPasswordReset)
	recordAt(e, clock, now.Add(-10*time.Minute), "orders", evInstanceCreated)
	clock.Set(now)

	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := map[string]struct {
		reason string
		in     rds.DescribeEventsInput
		want   []string
	}{
		"Default": {
			reason: "Without StartTime or Duration RDS returns the past hour's events.",
			want:   []string{"shop: Reset master credentials", "orders: DB instance created"},
		},
		"Duration": {
			reason: "Duration reaches back that many minutes from now.",
			in:     rds.DescribeEventsInput{Duration: aws.Int32(150)},
			want: []string{"shop: Backing up DB instance", "ledger: DB cluster created", "shop-manual: Creating manual snapshot",
				"shop: Reset master credentials", "orders: DB instance created"},
		},
		"StartTimeOnly": {
			reason: "StartTime alone runs to now: what the operator's provider asks.",
			in:     rds.DescribeEventsInput{StartTime: at(-100 * time.Minute)},
			want: []string{"ledger: DB cluster created", "shop-manual: Creating manual snapshot",
				"shop: Reset master credentials", "orders: DB instance created"},
		},
		"StartAndEnd": {
			reason: "StartTime and EndTime bound the window at both ends, inclusively.",
			in:     rds.DescribeEventsInput{StartTime: at(-3 * time.Hour), EndTime: at(-2 * time.Hour)},
			want:   []string{"shop: DB instance created", "shop: Backing up DB instance"},
		},
		"StartAndDuration": {
			reason: "StartTime with Duration runs that many minutes from StartTime.",
			in:     rds.DescribeEventsInput{StartTime: at(-4 * time.Hour), Duration: aws.Int32(90)},
			want:   []string{"shop: DB instance created"},
		},
		"EndTimeOnly": {
			reason: "EndTime alone reaches back the default hour.",
			in:     rds.DescribeEventsInput{EndTime: at(-80 * time.Minute)},
			want:   []string{"shop: Backing up DB instance", "ledger: DB cluster created", "shop-manual: Creating manual snapshot"},
		},
		"EndBeforeStart": {
			reason: "A window that ends before it starts holds nothing.",
			in:     rds.DescribeEventsInput{StartTime: at(-time.Hour), EndTime: at(-2 * time.Hour)},
		},
		"FourteenDays": {
			reason: "Events are kept 14 days: one 13 days old is served, one 15 days old is gone even when the window reaches it.",
			in:     rds.DescribeEventsInput{StartTime: at(-20 * 24 * time.Hour), EndTime: at(-12 * 24 * time.Hour)},
			want:   []string{"old: DB instance created"},
		},
		"SourceType": {
			reason: "SourceType keeps the events of that type of source.",
			in:     rds.DescribeEventsInput{SourceType: types.SourceTypeDbCluster, Duration: aws.Int32(600)},
			want:   []string{"ledger: DB cluster created"},
		},
		"SourceIdentifier": {
			reason: "SourceIdentifier, with its SourceType, keeps one source's events, whatever its case.",
			in:     rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("SHOP"), Duration: aws.Int32(600)},
			want:   []string{"shop: DB instance created", "shop: Backing up DB instance", "shop: Reset master credentials"},
		},
		"SameIdentifierOtherType": {
			reason: "An identifier of another source type finds nothing: shop-manual is a DB snapshot.",
			in:     rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("shop-manual"), Duration: aws.Int32(600)},
		},
		"Categories": {
			reason: "EventCategories keeps the events of any of the categories.",
			in:     rds.DescribeEventsInput{EventCategories: []string{"backup", "configuration change"}, Duration: aws.Int32(600)},
			want:   []string{"shop: Backing up DB instance", "shop: Reset master credentials"},
		},
		"CategoriesAndType": {
			reason: "Categories and SourceType both apply.",
			in:     rds.DescribeEventsInput{EventCategories: []string{"creation"}, SourceType: types.SourceTypeDbSnapshot, Duration: aws.Int32(600)},
			want:   []string{"shop-manual: Creating manual snapshot"},
		},
		"TypeWithoutEvents": {
			reason: "A valid source type the emulator records nothing for finds nothing.",
			in:     rds.DescribeEventsInput{SourceType: types.SourceTypeDbParameterGroup, Duration: aws.Int32(600)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := c.DescribeEvents(ctx, &tc.in)
			if err != nil {
				t.Fatalf("%s\nDescribeEvents: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, eventIDs(out.Events)); diff != "" {
				t.Errorf("%s\nevents: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDescribeEventsShape(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	clock := &fakeClock{now: time.Date(2026, 3, 10, 12, 0, 0, 123_000_000, time.UTC)}
	useClock(e, clock)
	e.clusterEvent("ledger", evMasterPasswordReset)

	out, err := c.DescribeEvents(context.Background(), &rds.DescribeEventsInput{})
	if err != nil {
		t.Fatalf("DescribeEvents: %v", err)
	}
	want := []types.Event{{
		SourceIdentifier: aws.String("ledger"),
		SourceType:       types.SourceTypeDbCluster,
		Message:          aws.String("Reset master credentials"),
		EventCategories:  []string{"configuration change"},
		Date:             aws.Time(clock.Now()),
		SourceArn:        aws.String("arn:aws:rds:us-east-1:123456789012:cluster:ledger"),
	}}
	if diff := cmp.Diff(want, out.Events, cmp.AllowUnexported(types.Event{})); diff != "" {
		t.Errorf("event as the SDK reads it: -want +got:\n%s", diff)
	}
	if out.Marker != nil {
		t.Errorf("Marker %q on the only page", aws.ToString(out.Marker))
	}
}

func TestDescribeEventsPaging(t *testing.T) {
	e, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	for i := range 45 {
		e.instanceEvent(fmt.Sprintf("db-%02d", i), evInstanceCreated)
	}
	var all []string
	for i := range 45 {
		all = append(all, fmt.Sprintf("db-%02d: DB instance created", i))
	}

	// Page by hand: 20, 20, 5, oldest first, each page's Marker leading to the next.
	var got []string
	var sizes []int
	in := &rds.DescribeEventsInput{MaxRecords: aws.Int32(20)}
	for {
		out, err := c.DescribeEvents(ctx, in)
		if err != nil {
			t.Fatalf("DescribeEvents: %v", err)
		}
		got = append(got, eventIDs(out.Events)...)
		sizes = append(sizes, len(out.Events))
		if out.Marker == nil {
			break
		}
		in.Marker = out.Marker
	}
	if diff := cmp.Diff([]int{20, 20, 5}, sizes); diff != "" {
		t.Errorf("page sizes with MaxRecords 20: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("events over the pages, oldest first: -want +got:\n%s", diff)
	}

	// The SDK's paginator reads the same with the default MaxRecords (100): one page.
	got, pages := nil, 0
	for p := rds.NewDescribeEventsPaginator(c, &rds.DescribeEventsInput{}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("paginator: %v", err)
		}
		pages++
		got = append(got, eventIDs(out.Events)...)
	}
	if diff := cmp.Diff([]any{1, all}, []any{pages, got}); diff != "" {
		t.Errorf("paginator with the default MaxRecords: -want +got:\n%s", diff)
	}
}

func TestDescribeEventsRefusals(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	cases := map[string]struct {
		reason   string
		in       rds.DescribeEventsInput
		wantCode string
	}{
		"IdentifierWithoutType": {
			reason:   "The API Reference: if SourceIdentifier is supplied, SourceType must also be provided.",
			in:       rds.DescribeEventsInput{SourceIdentifier: aws.String("shop")},
			wantCode: codeInvalidCombination,
		},
		"UnknownType": {
			reason:   "A SourceType outside RDS's list is an invalid value.",
			in:       rds.DescribeEventsInput{SourceType: types.SourceType("db-table")},
			wantCode: codeInvalidValue,
		},
		"UnknownCategory": {
			reason:   "An event category RDS does not have is an invalid value.",
			in:       rds.DescribeEventsInput{EventCategories: []string{"backup", "gossip"}},
			wantCode: codeInvalidValue,
		},
		"DoubleHyphen": {
			reason:   "A SourceIdentifier can't contain two consecutive hyphens.",
			in:       rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("shop--a")},
			wantCode: codeInvalidValue,
		},
		"TrailingHyphen": {
			reason:   "A SourceIdentifier can't end with a hyphen.",
			in:       rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("shop-")},
			wantCode: codeInvalidValue,
		},
		"MaxRecordsLow": {
			reason:   "MaxRecords is at least 20.",
			in:       rds.DescribeEventsInput{MaxRecords: aws.Int32(19)},
			wantCode: codeInvalidValue,
		},
		"MaxRecordsHigh": {
			reason:   "MaxRecords is at most 100.",
			in:       rds.DescribeEventsInput{MaxRecords: aws.Int32(101)},
			wantCode: codeInvalidValue,
		},
		"MaxRecordsBounds": {
			reason: "20 and 100 themselves are taken.",
			in:     rds.DescribeEventsInput{MaxRecords: aws.Int32(100)},
		},
		"NegativeDuration": {
			reason:   "Duration is a number of minutes, not negative.",
			in:       rds.DescribeEventsInput{Duration: aws.Int32(-5)},
			wantCode: codeInvalidValue,
		},
		"ForeignMarker": {
			reason:   "A Marker that no DescribeEvents answer gave is an invalid value.",
			in:       rds.DescribeEventsInput{Marker: aws.String("not-a-marker")},
			wantCode: codeInvalidValue,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.DescribeEvents(ctx, &tc.in)
			if diff := cmp.Diff(tc.wantCode, errorCode(err)); diff != "" {
				t.Fatalf("%s\ncode: -want +got:\n%s", tc.reason, diff)
			}
			var re *awshttp.ResponseError
			if err != nil && (!errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest) {
				t.Errorf("%s\n%v is not a 400", tc.reason, err)
			}
		})
	}
}

// TestDescribeEventsIsAnAPICall checks that DescribeEvents goes through the fault knobs,
// the call log and the stats as every other action.
func TestDescribeEventsIsAnAPICall(t *testing.T) {
	e, c := start(t, Config{NoEngine: true, Faults: Faults{ThrottleEvery: 2}})
	ctx := context.Background()
	noRetry := func(o *rds.Options) { o.RetryMaxAttempts = 1 }
	var codes []string
	for range 3 {
		_, err := c.DescribeEvents(ctx, &rds.DescribeEventsInput{SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("shop")}, noRetry)
		codes = append(codes, errorCode(err))
	}
	if diff := cmp.Diff([]string{"", codeThrottling, ""}, codes); diff != "" {
		t.Errorf("every second call throttled: -want +got:\n%s", diff)
	}
	st := e.Stats()
	var log []string
	for _, call := range st.Log {
		log = append(log, call.Action+" "+call.ID+" "+call.Code)
	}
	want := []string{"DescribeEvents shop ", "DescribeEvents shop Throttling", "DescribeEvents shop "}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("call log: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff([]int{3, 1}, []int{st.Calls["DescribeEvents"], st.Errors[codeThrottling]}); diff != "" {
		t.Errorf("calls, throttled calls: -want +got:\n%s", diff)
	}
}

func TestEventLogBounds(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	l := newEventLog(io.Discard)
	l.now = clock.Now
	for i := range maxEvents + 10 {
		l.add(sourceInstance, fmt.Sprintf("db-%d", i), "arn", evInstanceCreated)
	}
	first := func() (int, uint64) {
		var n int
		var seq uint64
		l.read(func(events []event, _ time.Time) {
			n = len(events)
			if n > 0 {
				seq = events[0].seq
			}
		})
		return n, seq
	}
	n, seq := first()
	if diff := cmp.Diff([]any{maxEvents, uint64(11)}, []any{n, seq}); diff != "" {
		t.Errorf("beyond maxEvents the oldest go (length, first seq): -want +got:\n%s", diff)
	}
	clock.Set(clock.Now().Add(eventRetention + time.Second))
	n, _ = first()
	if n != 0 {
		t.Errorf("%d events older than 14 days are still kept", n)
	}
}
