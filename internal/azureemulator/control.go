package azureemulator

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// controlPrefix is where the emulator's own API lives; it is not part of Azure's, and
// needs no token.
const controlPrefix = "/_emulator/"

// ErrNoServer is the error of Tamper for a server that does not exist.
var ErrNoServer = errors.New("no such server")

// ServerRef names a server: its provider (ProviderPostgreSQL or ProviderMySQL, any case),
// subscription, resource group and name.
type ServerRef struct {
	Provider      string `json:"provider"`
	Subscription  string `json:"subscription"`
	ResourceGroup string `json:"resourceGroup"`
	Name          string `json:"server"`
}

// find returns the server ref names, or nil. It runs under mu.
func (e *Emulator) find(ref ServerRef) *server {
	p := providerOf(ref.Provider)
	if p == nil {
		return nil
	}
	s := e.servers[serverKey{p, strings.ToLower(ref.Name)}]
	if s == nil || !strings.EqualFold(s.sub, ref.Subscription) || !strings.EqualFold(s.rg, ref.ResourceGroup) {
		return nil
	}
	return s
}

// SetBusy makes a server busy, as if Azure ran an operation of its own on it (maintenance,
// a backup): until SetBusy(ref, false), changes to it answer 409 ServerIsBusy. It reports
// whether the server exists.
func (e *Emulator) SetBusy(ref ServerRef, busy bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.find(ref)
	if s == nil {
		return false
	}
	s.held = busy
	return true
}

// Tampering is a change made behind the API's back, as someone at the portal makes it.
// Empty fields change nothing.
type Tampering struct {
	SKU           *SKU              `json:"sku,omitempty"`
	StorageSizeGB int32             `json:"storageSizeGB,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	// AdminPassword is the administrator's new password, set on the database server too.
	AdminPassword string `json:"administratorLoginPassword,omitempty"`
}

// Tamper changes a server at once, without an operation and whatever runs on it, after
// the checks an update gets (the portal makes them too). A SKU change does not restart
// the database server. It answers ErrNoServer for a server that does not exist.
func (e *Emulator) Tamper(ref ServerRef, t Tampering) error {
	req := &Server{SKU: t.SKU, Tags: t.Tags, Properties: &ServerProperties{AdministratorLoginPassword: t.AdminPassword}}
	if t.StorageSizeGB != 0 {
		req.Properties.Storage = &Storage{StorageSizeGB: &t.StorageSizeGB}
	}
	e.mu.Lock()
	s := e.find(ref)
	if s == nil {
		e.mu.Unlock()
		return ErrNoServer
	}
	next, password, err := s.spec.update(s.p, s.name, s.rg, req, false)
	eng := s.engine
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if password != "" && eng != nil {
		if err := eng.SetAdminPassword(context.Background(), password); err != nil {
			return fmt.Errorf("tamper %s: set the administrator password: %w", s.name, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// An update running on the server still ends with the settings it was asked for.
	s.spec = next
	if password != "" {
		s.password = password
	}
	s.modified = e.cfg.Now()
	return nil
}

// ServerInfo is a server as GET /_emulator/servers lists it: where its database server
// listens.
type ServerInfo struct {
	ServerRef
	State   string `json:"state"`
	Address string `json:"address,omitempty"`
	Port    int    `json:"port"`
}

// Servers lists every server, in provider and name order.
func (e *Emulator) Servers() []ServerInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ServerInfo
	for _, s := range e.servers {
		out = append(out, ServerInfo{
			ServerRef: ServerRef{Provider: s.p.namespace, Subscription: s.sub, ResourceGroup: s.rg, Name: s.name},
			State:     s.state, Address: s.address, Port: s.p.port,
		})
	}
	slices.SortFunc(out, func(a, b ServerInfo) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// serveControl answers the emulator's own API:
//
//	GET  /_emulator/stats        the counters and the call log (Stats)
//	POST /_emulator/reset-stats  clears them
//	GET  /_emulator/servers      every server and its address (Servers)
//	POST /_emulator/faults       {"throttleRate":0.1,"unavailableRate":0,"latency":"150ms","retryAfter":"2s","quotaExceeded":false}
//	POST /_emulator/busy         {"provider","subscription","resourceGroup","server","busy":true} (SetBusy)
//	POST /_emulator/tamper       {"provider","subscription","resourceGroup","server","sku":{...},"storageSizeGB":64,"tags":{...},"administratorLoginPassword":"..."} (Tamper)
//
// The call log does not count them.
func (e *Emulator) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, controlPrefix) {
	case "GET ca.pem":
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(e.CA())
	case "GET stats":
		writeJSON(w, http.StatusOK, e.Stats())
	case "POST reset-stats":
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "GET servers":
		writeJSON(w, http.StatusOK, e.Servers())
	case "POST faults":
		var f struct {
			ThrottleRate, UnavailableRate float64
			Latency, RetryAfter           string
			QuotaExceeded, FailOperations bool
		}
		if !decodeControl(w, r, &f) {
			return
		}
		faults := Faults{ThrottleRate: f.ThrottleRate, UnavailableRate: f.UnavailableRate, QuotaExceeded: f.QuotaExceeded, FailOperations: f.FailOperations}
		for _, d := range []struct {
			src string
			dst *time.Duration
		}{{f.Latency, &faults.Latency}, {f.RetryAfter, &faults.RetryAfter}} {
			if d.src == "" {
				continue
			}
			v, err := time.ParseDuration(d.src)
			if err != nil {
				http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
				return
			}
			*d.dst = v
		}
		if err := e.SetFaults(faults); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "POST busy":
		var b struct {
			ServerRef
			Busy bool `json:"busy"`
		}
		if !decodeControl(w, r, &b) {
			return
		}
		if !e.SetBusy(b.ServerRef, b.Busy) {
			http.Error(w, "busy: "+ErrNoServer.Error(), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "POST tamper":
		var t struct {
			ServerRef
			Tampering
		}
		if !decodeControl(w, r, &t) {
			return
		}
		err := e.Tamper(t.ServerRef, t.Tampering)
		var aerr *armError
		switch {
		case errors.Is(err, ErrNoServer):
			http.Error(w, "tamper: "+err.Error(), http.StatusNotFound)
		case errors.As(err, &aerr):
			writeError(w, aerr)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		http.NotFound(w, r)
	}
}

// decodeControl reads a control request's JSON body, answering 400 when it cannot.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, strings.TrimPrefix(r.URL.Path, controlPrefix)+": "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
