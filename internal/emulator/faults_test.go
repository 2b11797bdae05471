package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"
)

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	e, c := start(t, Config{NoEngine: true, Faults: Faults{ThrottleEvery: 2}})
	ctx := context.Background()
	for range 3 {
		if _, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err != nil {
			t.Fatalf("DescribeDBInstances with retries: %v", err)
		}
	}
	st := e.Stats()
	if st.Errors["Throttling"] == 0 {
		t.Errorf("no Throttling answered; stats %+v", st)
	}
	if st.Calls["DescribeDBInstances"] <= 3 {
		t.Errorf("SDK did not retry: %d calls for 3 requests", st.Calls["DescribeDBInstances"])
	}
	if st.Operations("DescribeDBInstances") != 3 || st.Retries["DescribeDBInstances"] != st.Errors["Throttling"] {
		t.Errorf("the SDK's retries (its amz-sdk-request header) are counted apart: %d operations, %d retries, %d throttled; want 3 operations and a retry per throttled attempt",
			st.Operations("DescribeDBInstances"), st.Retries["DescribeDBInstances"], st.Errors["Throttling"])
	}

	noRetry := func(o *rds.Options) { o.RetryMaxAttempts = 1 }
	e.SetFaults(Faults{ThrottleEvery: 1})
	_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}, noRetry)
	if diff := cmp.Diff("Throttling", errorCode(err)); diff != "" {
		t.Errorf("without retries: -want +got:\n%s", diff)
	}
	e.SetFaults(Faults{ErrorRate: 1})
	_, err = c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}, noRetry)
	if diff := cmp.Diff("InternalFailure", errorCode(err)); diff != "" {
		t.Errorf("error rate 1: -want +got:\n%s", diff)
	}
}

func TestIntrospectionAPI(t *testing.T) {
	e, err := New(Config{NoEngine: true, Delays: fastDelays})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	srv := httptest.NewServer(e)
	defer srv.Close()
	c := newClient(t, srv.URL)
	ctx := context.Background()

	if _, err := c.CreateDBInstance(ctx, createInput("audited")); err != nil {
		t.Fatal(err)
	}
	in := createInput("bad")
	in.MasterUserPassword = aws.String("has@sign-" + testPassword)
	_, _ = c.CreateDBInstance(ctx, in, func(o *rds.Options) { o.RetryMaxAttempts = 1 })

	resp, err := http.Get(srv.URL + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), testPassword) {
		t.Errorf("stats reveal a password: %s", body)
	}
	var st Stats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("stats JSON: %v", err)
	}
	type entry struct{ Action, ID, Code string }
	var log []entry
	for _, c := range st.Log {
		log = append(log, entry{c.Action, c.ID, c.Code})
	}
	want := []entry{{"CreateDBInstance", "audited", ""}, {"CreateDBInstance", "bad", "InvalidParameterValue"}}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("call log: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"CreateDBInstance": 2}, st.Calls); diff != "" {
		t.Errorf("calls: -want +got:\n%s", diff)
	}

	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/_emulator/faults", `{"throttleEvery": 5, "latency": "10ms"}`); got != http.StatusNoContent {
		t.Errorf("POST faults: status %d", got)
	}
	e.mu.Lock()
	gotFaults := e.faults
	e.mu.Unlock()
	if diff := cmp.Diff(Faults{ThrottleEvery: 5, Latency: 10 * time.Millisecond}, gotFaults); diff != "" {
		t.Errorf("faults after POST: -want +got:\n%s", diff)
	}
	if got := post("/_emulator/reset-stats", ""); got != http.StatusNoContent {
		t.Errorf("POST reset-stats: status %d", got)
	}
	if diff := cmp.Diff(0, len(e.Stats().Log)); diff != "" {
		t.Errorf("log after reset: -want +got:\n%s", diff)
	}
}

func TestRequestsNeedAuthorization(t *testing.T) {
	e, err := New(Config{NoEngine: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cases := map[string]struct {
		reason     string
		auth       string
		action     string
		wantStatus int
		wantBody   string
	}{
		"Unsigned": {
			reason: "A request without an Authorization header is refused.", action: "DescribeDBInstances",
			wantStatus: http.StatusForbidden, wantBody: "<Code>MissingAuthenticationToken</Code>",
		},
		"Signed": {
			reason: "Any signature is accepted.", auth: "AWS4-HMAC-SHA256 Credential=x", action: "DescribeDBInstances",
			wantStatus: http.StatusOK, wantBody: `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult>`,
		},
		"UnknownAction": {
			reason: "An unknown action is InvalidAction.", auth: "AWS4-HMAC-SHA256 Credential=x", action: "LaunchRocket",
			wantStatus: http.StatusBadRequest, wantBody: "<Code>InvalidAction</Code>",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"Action": {tc.action}, "Version": {"2014-10-31"}}
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if diff := cmp.Diff(tc.wantStatus, rec.Code); diff != "" {
				t.Errorf("%s\nstatus: -want +got:\n%s", tc.reason, diff)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("%s\nbody %q lacks %q", tc.reason, rec.Body.String(), tc.wantBody)
			}
		})
	}
}

func TestSDKAttempt(t *testing.T) {
	cases := []struct {
		reason, header string
		want           int
	}{
		{"a first attempt", "attempt=1; max=3", 1},
		{"a retry", "attempt=2; max=3", 2},
		{"fields in another order, without spaces", "max=5;attempt=4", 4},
		{"no header: a client that does not say", "", 0},
		{"a value that is no number", "attempt=two; max=3", 0},
		{"a number that is no attempt", "attempt=0", 0},
	}
	for _, c := range cases {
		if got := sdkAttempt(c.header); got != c.want {
			t.Errorf("%s: sdkAttempt(%q) = %d, want %d", c.reason, c.header, got, c.want)
		}
	}
}
