package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/naming"
)

// drifts changes Drifts databases behind the operator's back, as a person at the AWS console
// would (the emulator's tamper hook: no API call, so only the cloud's own record of it, its
// events, tells the operator), one every Feed/Drifts so that the changes fall all over the
// feed's cycle, and measures each one's time until the operator sends the ModifyDBInstance
// that repairs it. Even drifts change the instance class, odd ones reset the master
// password.
func (b *bench) drifts(ctx context.Context) (*Drift, error) {
	// Start just after a list of every database, so that whatever is repaired before the
	// next one (a FullList later) was found through the feed.
	listed, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(b.cfg.FullList + time.Minute)
	for {
		now, err := b.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		if now.operator["view list"] > listed.operator["view list"] {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no list of every database in %s", b.cfg.FullList+time.Minute)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	if err := b.emulator.reset(ctx); err != nil {
		return nil, err
	}
	before, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	type drift struct {
		id       string
		at       time.Time
		password bool
		repaired time.Duration
	}
	var made []*drift
	gap := b.cfg.Feed / time.Duration(b.cfg.Drifts)
	b.logf("drifts: changing %d databases at the console, one every %s", b.cfg.Drifts, gap)
	for k := range b.cfg.Drifts {
		// Spread over the fleet, Aurora clusters (the first Aurora objects) aside.
		i := b.cfg.Aurora + k*(b.cfg.N-b.cfg.Aurora)/b.cfg.Drifts
		d := &drift{id: naming.Identifier(Namespace, objectName(i)), password: k%2 == 1}
		change := map[string]any{"id": d.id, "dbInstanceClass": "db.m7g.large"}
		if d.password {
			change = map[string]any{"id": d.id, "masterUserPassword": fmt.Sprintf("Console-Reset-%d", k)}
		}
		d.at = time.Now()
		if err := b.emulator.tamper(ctx, change); err != nil {
			return nil, err
		}
		made = append(made, d)
		if err := sleep(ctx, gap); err != nil {
			return nil, err
		}
	}
	deadline = time.Now().Add(5 * time.Minute)
	res := &Drift{Count: len(made)}
	for {
		st, err := b.emulator.stats(ctx)
		if err != nil {
			return nil, err
		}
		res.Repaired = 0
		for _, d := range made {
			for _, c := range st.Log {
				if d.repaired == 0 && c.Action == "ModifyDBInstance" && c.ID == d.id && c.Time.After(d.at) {
					d.repaired = c.Time.Sub(d.at)
				}
			}
			if d.repaired > 0 {
				res.Repaired++
			}
		}
		if res.Repaired == res.Count || time.Now().After(deadline) {
			break
		}
		if err := sleep(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	var class, password []time.Duration
	for _, d := range made {
		switch {
		case d.repaired == 0:
			b.logf("drift of %s (password %t) not repaired in 5 minutes", d.id, d.password)
		case d.password:
			password = append(password, d.repaired)
		default:
			class = append(class, d.repaired)
		}
	}
	res.Class, res.Password = summarize(class), summarize(password)
	after, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	st, err := b.emulator.stats(ctx)
	if err != nil {
		return nil, err
	}
	res.AWSCalls, res.Seconds = st.Calls, round(after.at.Sub(before.at).Seconds(), 1)
	res.FullLists = int(after.operator["view list"] - before.operator["view list"])
	b.logf("drifts: %d of %d repaired; class p99 %.1f s, password p99 %.1f s; %d lists of every database meanwhile",
		res.Repaired, res.Count, res.Class.P99, res.Password.P99, res.FullLists)
	return res, nil
}

// tamper changes an instance through the emulator's tamper hook (POST /_emulator/tamper).
func (e emulator) tamper(ctx context.Context, change map[string]any) error {
	body, err := json.Marshal(change)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/_emulator/tamper", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("tamper with %v: %w", change["id"], err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("tamper with %v: %s", change["id"], resp.Status)
	}
	return nil
}
