package azureemulator

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Server states, as the API names them. A server being created is Provisioning (listed
// from API version 2022-12-01 on, "in the process of being created", and answered here
// whatever the version asked, as the service does); the emulator says Starting while it
// restarts one.
const (
	stateReady        = "Ready"
	stateProvisioning = "Provisioning"
	stateStarting     = "Starting"
	stateUpdating     = "Updating"
	stateDropping     = "Dropping"
	stateDisabled     = "Disabled"
)

// serverKey names a server: a server's name is a DNS name of the provider's, unique
// across subscriptions and resource groups.
type serverKey struct {
	p    *provider
	name string
}

// server is the emulator's record of a flexible server.
type server struct {
	p                 *provider
	sub, rg, name     string
	spec              spec
	state             string
	password          string // the administrator's; never answered
	address           string // its own loopback address, reported once it is Ready
	minorVersion      string
	engine            engineServer
	created, modified time.Time
	// ready is when the server was first Ready: backups restore to no earlier.
	ready time.Time
	// op is the operation running on the server; held is set by SetBusy. Either makes
	// changes answer 409 ServerIsBusy.
	op   *operation
	held bool
	// databases are those made through the API, with the charset and collation asked; a
	// server without a database server has only these and the initial ones.
	databases []dbRecord
	firewall  map[string]FirewallRuleProperties
}

func (s *server) id() string {
	return "/subscriptions/" + s.sub + "/resourceGroups/" + s.rg + "/providers/" + s.p.namespace + "/flexibleServers/" + s.name
}

// busy refuses a change while an operation runs on the server. It runs under mu.
func (s *server) busy() error {
	if s.op != nil || s.held {
		return errServerBusy(s.name)
	}
	return nil
}

// lookup finds the server a request names, in its subscription and resource group, or
// answers 404. It runs under mu.
func (e *Emulator) lookup(c *call) (*server, error) {
	s := e.servers[serverKey{c.p, strings.ToLower(c.v("serverName"))}]
	if s == nil || !strings.EqualFold(s.sub, c.v("subscriptionId")) || !strings.EqualFold(s.rg, c.v("resourceGroupName")) {
		return nil, errResourceNotFound(c.p.resourceType()+"/"+c.v("serverName"), c.v("resourceGroupName"))
	}
	return s, nil
}

// putServer creates a server, or updates an existing one (ARM's create-or-update).
func (e *Emulator) putServer(c *call) (*reply, error) {
	var req Server
	if err := decodeBody(c.r, &req); err != nil {
		return nil, err
	}
	name := c.v("serverName")
	if !serverName.MatchString(name) {
		return nil, errInvalidName(name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.servers[serverKey{c.p, name}]; s != nil {
		if !strings.EqualFold(s.sub, c.v("subscriptionId")) || !strings.EqualFold(s.rg, c.v("resourceGroupName")) {
			return nil, errNameTaken(name)
		}
		return e.updateServer(c, s, &req, true)
	}
	sp, password, err := newSpec(c.p, &req)
	if err != nil {
		return nil, err
	}
	if e.faults.QuotaExceeded {
		return nil, errQuotaExceeded(sp.sku.Name, e.coresInUse(c.p, c.v("subscriptionId"), sp.location), sp.vCores())
	}
	now := e.cfg.Now()
	s := &server{
		p: c.p, sub: c.v("subscriptionId"), rg: c.v("resourceGroupName"), name: name,
		spec: sp, state: stateProvisioning, password: password, created: now, modified: now,
		firewall: map[string]FirewallRuleProperties{},
	}
	e.servers[serverKey{c.p, name}] = s
	op := e.newOperation(s, opCreate)
	e.background(func(ctx context.Context) { e.runCreate(ctx, s, op, password) })
	return &reply{status: http.StatusCreated, header: op.headers(c), body: e.view(s)}, nil
}

// coresInUse counts the vCores of a subscription's servers of a provider in a location,
// for the quota refusal's message. It runs under mu.
func (e *Emulator) coresInUse(p *provider, sub, location string) int {
	n := 0
	for k, s := range e.servers {
		if k.p == p && strings.EqualFold(s.sub, sub) && s.spec.location == location {
			n += s.spec.vCores()
		}
	}
	return n
}

func (e *Emulator) patchServer(c *call) (*reply, error) {
	var req Server
	if err := decodeBody(c.r, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.lookup(c)
	if err != nil {
		return nil, err
	}
	return e.updateServer(c, s, &req, false)
}

// updateServer checks an update and runs it as an operation; one that changes nothing
// answers 200 with the server at once. It runs under mu.
func (e *Emulator) updateServer(c *call, s *server, req *Server, put bool) (*reply, error) {
	if err := s.busy(); err != nil {
		return nil, err
	}
	next, password, err := s.spec.update(c.p, s.name, s.rg, req, put)
	if err != nil {
		return nil, err
	}
	if password == s.password {
		password = "" // a PUT repeats the password it was created with
	}
	if password == "" && sameSpec(next, s.spec) {
		return &reply{status: http.StatusOK, body: e.view(s)}, nil
	}
	if password == "" && sameSpec(withTags(next, s.spec.tags), s.spec) {
		// Only the tags change: metadata, applied at once with no operation (the
		// emulator's choice; the database server is not touched).
		s.spec = next
		s.modified = e.cfg.Now()
		return &reply{status: http.StatusOK, body: e.view(s)}, nil
	}
	s.state = stateUpdating
	op := e.newOperation(s, opUpdate)
	e.background(func(ctx context.Context) { e.runUpdate(ctx, s, op, next, password) })
	return &reply{status: http.StatusAccepted, header: op.headers(c)}, nil
}

// withTags returns sp with tags in place of its own.
func withTags(sp spec, tags map[string]string) spec {
	sp.tags = tags
	return sp
}

// sameSpec tells whether an update leaves the settings as they are (no tags and empty
// tags are the same).
func sameSpec(a, b spec) bool {
	if len(a.tags) == 0 && len(b.tags) == 0 {
		a.tags, b.tags = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func (e *Emulator) getServer(c *call) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.lookup(c)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: e.view(s)}, nil
}

// deleteServer starts a server's deletion; a server that does not exist answers 204, as
// ARM answers a DELETE of nothing.
func (e *Emulator) deleteServer(c *call) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.lookup(c)
	if err != nil {
		return &reply{status: http.StatusNoContent}, nil
	}
	if err := s.busy(); err != nil {
		return nil, err
	}
	s.state = stateDropping
	op := e.newOperation(s, opDelete)
	e.background(func(ctx context.Context) { e.runDelete(ctx, s, op) })
	return &reply{status: http.StatusAccepted, header: op.headers(c)}, nil
}

// restartServer restarts a server's database server; a Disabled server (one whose
// database server did not come back) may be restarted too, to bring it back.
func (e *Emulator) restartServer(c *call) (*reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.lookup(c)
	if err != nil {
		return nil, err
	}
	if err := s.busy(); err != nil {
		return nil, err
	}
	s.state = stateStarting
	op := e.newOperation(s, opRestart)
	e.background(func(ctx context.Context) { e.runRestart(ctx, s, op) })
	return &reply{status: http.StatusAccepted, header: op.headers(c)}, nil
}

// listServers lists a subscription's servers of the provider, or a resource group's, in
// name order, a page at a time; nextLink carries the offset as $skipToken.
func (e *Emulator) listServers(c *call) (*reply, error) {
	start := 0
	if t := c.r.URL.Query().Get("$skipToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, errorf(http.StatusBadRequest, "InvalidSkipToken", "The $skipToken %q is invalid.", t)
		}
		start = n
	}
	e.mu.Lock()
	var all []*server
	for k, s := range e.servers {
		if k.p == c.p && strings.EqualFold(s.sub, c.v("subscriptionId")) &&
			(c.v("resourceGroupName") == "" || strings.EqualFold(s.rg, c.v("resourceGroupName"))) {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *server) int { return cmp.Compare(a.name, b.name) })
	start = min(start, len(all))
	end := min(start+e.cfg.PageSize, len(all))
	out := &ServerList{Value: []*Server{}}
	for _, s := range all[start:end] {
		out.Value = append(out.Value, e.view(s))
	}
	e.mu.Unlock()
	if end < len(all) {
		q := url.Values{"api-version": {c.apiVersion}, "$skipToken": {strconv.Itoa(end)}}
		out.NextLink = c.base + c.r.URL.Path + "?" + q.Encode()
	}
	return &reply{status: http.StatusOK, body: out}, nil
}

// view renders a server as the API answers it. It runs under mu.
func (e *Emulator) view(s *server) *Server {
	sp := s.spec
	props := &ServerProperties{
		AdministratorLogin: sp.admin,
		Version:            sp.version,
		MinorVersion:       s.minorVersion,
		State:              s.state,
		Storage:            &Storage{StorageSizeGB: ptr(sp.storageGB), AutoGrow: sp.autoGrow},
		Backup:             &Backup{BackupRetentionDays: ptr(sp.retention), GeoRedundantBackup: sp.geoBackup, EarliestRestoreDate: timestamp(s.ready)},
		Network:            &Network{PublicNetworkAccess: enabled, DelegatedSubnetResourceID: sp.subnet},
		HighAvailability:   &HighAvailability{Mode: sp.haMode, State: haState(s), StandbyAvailabilityZone: sp.standbyZone},
		MaintenanceWindow: &MaintenanceWindow{
			CustomWindow: sp.window.custom, DayOfWeek: ptr(sp.window.dayOfWeek),
			StartHour: ptr(sp.window.hour), StartMinute: ptr(sp.window.minute),
		},
		AvailabilityZone:         sp.zone,
		FullyQualifiedDomainName: s.address,
	}
	if sp.subnet != "" {
		props.Network.PublicNetworkAccess = disabled
	}
	if s.p.engine == "postgres" {
		props.Network.PrivateDNSZoneArmResourceID = sp.dnsZone
	} else {
		props.Network.PrivateDNSZoneResourceID = sp.dnsZone
		props.Storage.Iops = ptr(sp.iops)
		props.Storage.StorageSKU = "Premium_LRS"
		props.ReplicationRole = "None"
		props.ReplicaCapacity = ptr(int32(10))
	}
	sku := sp.sku
	return &Server{
		ID:         s.id(),
		Name:       s.name,
		Type:       s.p.resourceType(),
		Location:   sp.location,
		Tags:       maps.Clone(sp.tags),
		SKU:        &sku,
		Properties: props,
		SystemData: &SystemData{
			CreatedAt: timestamp(s.created), CreatedBy: "emulator@azure.local", CreatedByType: "User",
			LastModifiedAt: timestamp(s.modified), LastModifiedBy: "emulator@azure.local", LastModifiedByType: "User",
		},
	}
}

// haState is the standby's state as the API words it.
func haState(s *server) string {
	switch {
	case s.spec.haMode == haDisabled:
		return "NotEnabled"
	case s.ready.IsZero():
		return "CreatingStandby"
	default:
		return "Healthy"
	}
}

func ptr[T any](v T) *T { return &v }
