package emulator

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// sourceTypes are the SourceType values DescribeEvents takes (RDS API Reference, Event and
// SourceType; aws-sdk-go-v2 types.SourceType). The emulator records events of the first
// four only; asking for another is valid and finds none.
var sourceTypes = []string{
	sourceInstance, sourceCluster, sourceSnapshot, sourceClusterSnapshot,
	"db-parameter-group", "db-security-group", "custom-engine-version", "db-proxy",
	"blue-green-deployment", "db-shard-group", "zero-etl",
}

// eventCategories are the categories RDS's event tables use, in both user guides, with
// "serverless" that DescribeEvents is seen to take for Aurora. A category outside them is
// refused, as an unknown SourceType is.
var eventCategories = []string{
	catAvailability, "backtrack", catBackup, catConfiguration, catCreation, catDeletion,
	catFailover, catFailure, "global failover", catLowStorage, catMaintenance, catNotification,
	catReadReplica, "recovery", catRestoration, "security", "security patching", "serverless",
}

// defaultEventWindow is how far back DescribeEvents looks when the request gives neither
// StartTime nor Duration: "By default, RDS returns events that were generated in the past
// hour."
const defaultEventWindow = time.Hour

// xmlEvent is one Event of DescribeEvents' answer.
type xmlEvent struct {
	SourceIdentifier string
	SourceType       string
	Message          string
	EventCategories  []string `xml:"EventCategories>EventCategory"`
	Date             string
	SourceArn        string
}

// eventQuery is a parsed DescribeEvents request.
type eventQuery struct {
	sourceType string
	sourceID   string
	categories []string
	start, end *time.Time
	duration   *time.Duration
	max        int
	// after is the Marker: the seq of the first event of the page, 0 for the first page.
	after uint64
}

// describeEvents answers DescribeEvents: the recorded events of the past 14 days that fall
// in the requested window and match its source and categories, oldest first, MaxRecords at
// a time. Filters, which RDS does not support, are ignored.
func (e *Emulator) describeEvents(p params) (any, string, error) {
	q, err := readEventQuery(p)
	if err != nil {
		return nil, q.sourceID, err
	}
	out := struct {
		Marker string     `xml:",omitempty"`
		Events []xmlEvent `xml:"Events>Event"`
	}{}
	e.events.read(func(events []event, now time.Time) {
		from, to := q.window(now)
		for _, ev := range events {
			if ev.seq < q.after || ev.date.Before(from) || ev.date.After(to) || !q.matches(ev) {
				continue
			}
			if len(out.Events) == q.max {
				out.Marker = strconv.FormatUint(ev.seq, 10)
				return
			}
			out.Events = append(out.Events, xmlEvent{
				SourceIdentifier: ev.sourceID, SourceType: ev.sourceType, Message: ev.message,
				EventCategories: []string{ev.category}, Date: awsTime(ev.date), SourceArn: ev.sourceARN,
			})
		}
	})
	return out, q.sourceID, nil
}

// readEventQuery parses DescribeEvents' parameters and refuses what RDS refuses: a
// SourceIdentifier without a SourceType (the API Reference: "If SourceIdentifier is
// supplied, SourceType must also be provided."), an identifier ending with a hyphen or
// holding two in a row, an unknown SourceType or category, MaxRecords outside 20-100.
func readEventQuery(p params) (eventQuery, error) {
	q := eventQuery{sourceType: p.str("SourceType"), sourceID: p.str("SourceIdentifier")}
	if q.sourceType != "" && !slices.Contains(sourceTypes, q.sourceType) {
		return q, newError(codeInvalidValue, "Invalid value for SourceType: %s. Valid values are %s.", q.sourceType, strings.Join(sourceTypes, ", "))
	}
	if q.sourceID != "" {
		if q.sourceType == "" {
			return q, newError(codeInvalidCombination, "Cannot specify source identifier without source type")
		}
		if strings.HasSuffix(q.sourceID, "-") || strings.Contains(q.sourceID, "--") {
			return q, newError(codeInvalidValue, "The parameter SourceIdentifier is not a valid identifier. Identifiers can't end with a hyphen or contain two consecutive hyphens.")
		}
	}
	for _, c := range p.list("EventCategories.EventCategory") {
		i := slices.IndexFunc(eventCategories, func(known string) bool { return strings.EqualFold(known, c) })
		if i < 0 {
			return q, newError(codeInvalidValue, "Invalid event category: %s. Valid categories are %s.", c, strings.Join(eventCategories, ", "))
		}
		q.categories = append(q.categories, eventCategories[i])
	}
	var err error
	if q.start, err = p.timestamp("StartTime"); err != nil {
		return q, err
	}
	if q.end, err = p.timestamp("EndTime"); err != nil {
		return q, err
	}
	minutes, err := p.integer("Duration")
	if err != nil {
		return q, err
	}
	if minutes != nil {
		if *minutes < 0 {
			return q, newError(codeInvalidValue, "Invalid value %d for Duration: it must not be negative.", *minutes)
		}
		d := time.Duration(*minutes) * time.Minute
		q.duration = &d
	}
	if q.max, err = p.maxRecords(); err != nil {
		return q, err
	}
	if m := p.str("Marker"); m != "" {
		if q.after, err = strconv.ParseUint(m, 10, 64); err != nil {
			return q, newError(codeInvalidValue, "Invalid Marker: %s. Pass the Marker of an earlier DescribeEvents answer.", m)
		}
	}
	return q, nil
}

// window is the stretch of time the request asks for at now. StartTime runs to EndTime,
// else for Duration, else to now; EndTime alone reaches back Duration (default an hour);
// Duration alone reaches back from now; nothing is the past hour. A window that ends
// before it starts holds nothing.
func (q eventQuery) window(now time.Time) (time.Time, time.Time) {
	d := defaultEventWindow
	if q.duration != nil {
		d = *q.duration
	}
	switch {
	case q.start != nil && q.end != nil:
		return *q.start, *q.end
	case q.start != nil && q.duration != nil:
		return *q.start, q.start.Add(d)
	case q.start != nil:
		return *q.start, now
	case q.end != nil:
		return q.end.Add(-d), *q.end
	default:
		return now.Add(-d), now
	}
}

// matches tells whether an event is of the requested source and categories.
func (q eventQuery) matches(ev event) bool {
	if q.sourceType != "" && ev.sourceType != q.sourceType {
		return false
	}
	if q.sourceID != "" && !strings.EqualFold(ev.sourceID, q.sourceID) {
		return false
	}
	return len(q.categories) == 0 || slices.Contains(q.categories, ev.category)
}
