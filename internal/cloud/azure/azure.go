// Package azure implements cloud.Provider on Azure Database for PostgreSQL and Azure
// Database for MySQL flexible servers, with the Azure SDK for Go (azcore, azidentity and the
// armpostgresqlflexibleservers and armmysqlflexibleservers resource-manager modules).
//
// Credentials are azidentity's DefaultAzureCredential, through which AKS Workload Identity
// works. Config.Endpoint (AZURE_ARM_ENDPOINT) points the clients at another Resource
// Manager, such as the local emulator cmd/azure-emulator; over plain HTTP (a local emulator
// only) they send a static token (AZURE_ACCESS_TOKEN, else "local") instead.
//
// Where flexible servers differ from what the operator asks of a cloud, the difference is
// made up for here and nowhere else: a database is a server of one of two resource
// providers, looked for in both (servers.go); tag names cannot hold a '/', so they are
// escaped, and long values cut into pieces (tags.go); requests are long-running operations
// the provider starts and does not wait for, as the state word tells how they go
// (status.go). What flexible servers do not have, or what this version does not make yet
// (manual snapshots and a final one, read replicas, exports, storage types, network
// placement by subnet and security groups, customer keys, deletion protection, token logins,
// server parameters), is cloud.ErrUnsupported, which the controller reports as a spec the
// class cannot honour. The facts relied on are in docs/azure-facts.md.
package azure

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// Environment variables the provider is configured from.
const (
	// EnvEndpoint is Azure Resource Manager's base URL, when not Azure's public cloud.
	EnvEndpoint = "AZURE_ARM_ENDPOINT"
	// EnvSubscription is the subscription of the local stack's class.
	EnvSubscription = "AZURE_SUBSCRIPTION_ID"
	// EnvAccessToken is the bearer token sent to a Resource Manager served over plain HTTP
	// (a local emulator); "local" when unset.
	EnvAccessToken = "AZURE_ACCESS_TOKEN"
)

// Engines as the operator names them.
const (
	enginePostgres = "postgres"
	engineMySQL    = "mysql"
)

// ports are the ports flexible servers serve each engine on.
var ports = map[string]int32{enginePostgres: 5432, engineMySQL: 3306}

// adminRoles are the roles Azure gives the server admin in place of a superuser:
// azure_pg_admin on PostgreSQL; MySQL has privileges, not a role.
var adminRoles = map[string]string{enginePostgres: "azure_pg_admin"}

// Config configures New.
type Config struct {
	// SubscriptionID, ResourceGroup and Location say where servers are made; List reports
	// the servers of the resource group. Required.
	SubscriptionID, ResourceGroup, Location string
	// Endpoint is Resource Manager's base URL; empty means Azure's public cloud.
	Endpoint string
	// Credential authenticates the calls; nil means DefaultAzureCredential, or a static
	// token for an Endpoint over plain HTTP.
	Credential azcore.TokenCredential
	// MaxRetries is how often the SDK retries a throttled or failed call itself before the
	// error reaches the controller (whose own backoff takes over); 0 means 2, a negative
	// value none.
	MaxRetries int
}

var _ cloud.Provider = (*Provider)(nil)

// Provider is cloud.Provider on Azure flexible servers.
type Provider struct {
	location string
	engines  map[string]servers

	mu sync.Mutex
	// engineOf remembers which resource provider holds each server seen, so that Observe
	// asks the one that has it.
	engineOf map[string]string
	// ops holds, per server, the last long-running operation this provider started on it
	// and has not seen end: the next change asks how it went (settle).
	ops map[string]pending
}

// pending is an operation the provider started, and what it was, for messages.
type pending struct {
	what string
	op   operation
	// at is when it started: one older than opMaxAge is no longer asked after, as Azure
	// keeps an operation's status only for a while.
	at time.Time
}

// opMaxAge is how long an operation is followed.
const opMaxAge = 24 * time.Hour

// New returns a Provider for cfg.
func New(cfg Config) (*Provider, error) {
	if cfg.SubscriptionID == "" || cfg.ResourceGroup == "" || cfg.Location == "" {
		return nil, fmt.Errorf("azure: the subscription, resource group and location are required")
	}
	opts := &arm.ClientOptions{}
	retries := cfg.MaxRetries
	if retries == 0 {
		retries = 2
	}
	opts.Retry = policy.RetryOptions{MaxRetries: int32(retries), RetryDelay: 500 * time.Millisecond, MaxRetryDelay: 5 * time.Second}
	cred := cfg.Credential
	if cfg.Endpoint != "" {
		endpoint := strings.TrimSuffix(cfg.Endpoint, "/")
		opts.Cloud = azcloud.Configuration{
			ActiveDirectoryAuthorityHost: endpoint + "/",
			Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
				azcloud.ResourceManager: {Endpoint: endpoint, Audience: endpoint},
			},
		}
		if strings.HasPrefix(endpoint, "http://") {
			// Plain HTTP is a local emulator: never Azure, never a real credential.
			opts.InsecureAllowCredentialWithHTTP = true
			if cred == nil {
				cred = staticToken(cmpOr(os.Getenv(EnvAccessToken), "local"))
			}
			// Nothing to throttle a local emulator for: no delay between retries.
			opts.Retry.RetryDelay, opts.Retry.MaxRetryDelay = time.Millisecond, 10*time.Millisecond
		}
	}
	if cred == nil {
		c, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("azure: credentials: %w", err)
		}
		if err := configured(c, opts.Cloud); err != nil {
			return nil, err
		}
		cred = c
	}
	pgs, err := newPGServers(cfg.SubscriptionID, cfg.ResourceGroup, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	mys, err := newMySQLServers(cfg.SubscriptionID, cfg.ResourceGroup, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure: %w", err)
	}
	return &Provider{
		location: cfg.Location,
		engines:  map[string]servers{enginePostgres: pgs, engineMySQL: mys},
		engineOf: map[string]string{},
		ops:      map[string]pending{},
	}, nil
}

// configured fails when no source of Azure credentials is configured at all (no Workload
// Identity token file, no environment credential, no managed identity): the class cannot be
// served, and a class with a fallback sends its new objects there (SPEC §6). A credential
// that is configured but refused (AuthenticationFailedError) is served: its calls fail with
// Azure's reason, in a condition.
func configured(c azcore.TokenCredential, cfg azcloud.Configuration) error {
	audience := "https://management.azure.com"
	if rm, ok := cfg.Services[azcloud.ResourceManager]; ok && rm.Audience != "" {
		audience = rm.Audience
	}
	ctx, cancel := context.WithTimeout(context.Background(), credentialProbe)
	defer cancel()
	_, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{strings.TrimSuffix(audience, "/") + "/.default"}})
	var refused *azidentity.AuthenticationFailedError
	if err == nil || errors.As(err, &refused) {
		return nil
	}
	return fmt.Errorf("azure: no credentials configured (AKS Workload Identity, environment, or managed identity): %w", err)
}

// credentialProbe bounds configured's look for a credential.
const credentialProbe = 10 * time.Second

// staticToken is a credential that always gives the same token: a local emulator's.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Observe implements cloud.Provider with a GET of the server, from the resource provider
// known to hold it, else from each in turn.
func (p *Provider) Observe(ctx context.Context, identifier string) (cloud.Observation, error) {
	s, found, err := p.find(ctx, identifier)
	if err != nil || !found {
		return cloud.Observation{}, err
	}
	return cloud.Observation{Exists: true, Instance: p.instance(s)}, nil
}

// find returns the server named identifier, whichever resource provider holds it.
func (p *Provider) find(ctx context.Context, identifier string) (server, bool, error) {
	order := []string{enginePostgres, engineMySQL}
	p.mu.Lock()
	if e, ok := p.engineOf[identifier]; ok && e == engineMySQL {
		order = []string{engineMySQL, enginePostgres}
	}
	p.mu.Unlock()
	for _, engine := range order {
		s, err := p.engines[engine].get(ctx, identifier)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return server{}, false, wrap("get flexible server "+identifier, err)
		}
		p.remember(s)
		return s, true, nil
	}
	return server{}, false, nil
}

func (p *Provider) remember(s server) {
	p.mu.Lock()
	p.engineOf[s.Name] = s.Engine
	p.mu.Unlock()
}

// List implements cloud.Provider: the servers of the resource group, PostgreSQL's and
// MySQL's, one list (paged) each.
func (p *Provider) List(ctx context.Context) ([]cloud.Instance, error) {
	var out []cloud.Instance
	listed := map[string]cloud.Phase{}
	for _, engine := range []string{enginePostgres, engineMySQL} {
		list, err := p.engines[engine].list(ctx)
		if err != nil {
			return nil, wrap("list "+engine+" flexible servers", err)
		}
		for _, s := range list {
			p.remember(s)
			in := p.instance(s)
			listed[s.Name] = in.Phase
			out = append(out, in)
		}
	}
	// A server gone after its delete needs neither its operation nor its engine followed,
	// and one listed Ready after its create was made: a failed create leaves no server.
	p.mu.Lock()
	for name, last := range p.ops {
		phase, there := listed[name]
		switch {
		case !there && strings.HasPrefix(last.what, "delete "):
			delete(p.ops, name)
			delete(p.engineOf, name)
		case phase == cloud.PhaseAvailable && strings.HasPrefix(last.what, "create "):
			delete(p.ops, name)
		}
	}
	p.mu.Unlock()
	return out, nil
}

// Create implements cloud.Provider: a PUT of the server, after a GET, since ARM's PUT of
// an existing resource updates it, which must never happen to someone else's server. It
// returns once Azure has accepted the request; the state word says how it goes.
func (p *Provider) Create(ctx context.Context, d cloud.Desired) error {
	op := "create flexible server " + d.Identifier
	s, err := p.newServer(op, d)
	if err != nil {
		return err
	}
	// The name is the engine's own (name.postgres.database.azure.com and
	// name.mysql.database.azure.com are two): one GET of its resource provider tells.
	existing, err := p.engines[s.Engine].get(ctx, d.Identifier)
	switch {
	case err == nil:
		p.remember(existing)
		return nil
	case !isNotFound(err):
		return wrap(op, err)
	}
	// Not there: a create this provider sent before may have failed after Azure took it.
	if err := p.settle(ctx, op, d.Identifier); err != nil {
		return err
	}
	o, err := p.engines[s.Engine].create(ctx, s, d.MasterPassword)
	if err != nil {
		return wrap(op, err)
	}
	p.remember(s)
	p.track(d.Identifier, op, o)
	return nil
}

// track keeps the operation a change started on the server, for settle.
func (p *Provider) track(name, what string, o operation) {
	if o == nil {
		return
	}
	p.mu.Lock()
	p.ops[name] = pending{what: what, op: o, at: time.Now()}
	p.mu.Unlock()
}

// forget drops the operation followed for the server, unless another took its place.
func (p *Provider) forget(name string, last pending) {
	p.mu.Lock()
	if p.ops[name] == last {
		delete(p.ops, name)
	}
	p.mu.Unlock()
}

// settle asks, once (one call), how the last operation this provider started on the server
// went, before another change is sent: cloud.ErrBusy while it runs, its error once if it
// failed (Azure reports a change it accepted and then could not make, a SKU without
// capacity or a create over quota, only there), nil once it succeeded or when there is none
// to follow (after a restart of the operator, the state word alone tells).
func (p *Provider) settle(ctx context.Context, op, name string) error {
	p.mu.Lock()
	last, ok := p.ops[name]
	p.mu.Unlock()
	if !ok {
		return nil
	}
	if time.Since(last.at) > opMaxAge {
		p.forget(name, last)
		return nil
	}
	if !last.op.Done() {
		if _, err := last.op.Poll(ctx); err != nil && !last.op.Done() {
			if isNotFound(err) {
				// Azure no longer knows the operation: the state word tells the rest.
				p.forget(name, last)
				return nil
			}
			return wrap(op, err)
		}
	}
	if !last.op.Done() {
		return &cloud.Error{Op: op, Code: "OperationInProgress", Message: "the last request (" + last.what + ") is still running", Kind: cloud.ErrBusy}
	}
	p.forget(name, last)
	return wrap(last.what+" (its operation)", last.op.outcome(ctx))
}

// newServer turns desired into a server to create, refusing what flexible servers cannot
// make.
func (p *Provider) newServer(op string, d cloud.Desired) (server, error) {
	if _, ok := p.engines[d.Engine]; !ok {
		return server{}, unsupported(op, fmt.Sprintf("Azure flexible servers run PostgreSQL (postgres) and MySQL (mysql), not %s", d.Engine), cloud.FieldEngineVersion)
	}
	version, err := serverVersion(d.Engine, d.EngineVersion)
	if err != nil {
		return server{}, &cloud.Error{Op: op, Code: "InvalidVersion", Message: err.Error(), Field: cloud.FieldEngineVersion}
	}
	if d.RestoreFromSnapshot != "" {
		return server{}, unsupported(op, "Azure flexible servers are restored from their own backups to a point in time, not from a snapshot: this provider makes no restores yet", "")
	}
	if what, field := unsupportedAtCreate(d); what != "" {
		return server{}, unsupported(op, what, field)
	}
	tags, err := encodeTags(d.Tags)
	if err != nil {
		return server{}, &cloud.Error{Op: op, Code: "InvalidTags", Message: err.Error()}
	}
	gib, _ := storage(d.Engine, d.AllocatedStorageGiB)
	return server{
		Name: d.Identifier, Location: p.location, Engine: d.Engine, Version: version,
		SKU: d.InstanceClass, Tier: tierOf(d.InstanceClass), StorageGiB: gib,
		BackupRetentionDays: d.BackupRetentionDays, HAMode: haMode(d.MultiAZ),
		AdminLogin: d.MasterUser, Tags: tags,
	}, nil
}

// unsupportedAtCreate says which part of d flexible servers (or this provider) cannot
// make, and the field, or "" when none.
func unsupportedAtCreate(d cloud.Desired) (string, cloud.Field) {
	switch {
	case d.StorageType != "":
		return fmt.Sprintf("storage type %s: Azure flexible servers have one storage type, chosen by Azure", d.StorageType), cloud.FieldStorage
	case d.IOPS > 0 || d.StorageThroughput > 0:
		return "provisioned IOPS or throughput: not made by this provider on Azure", cloud.FieldIOPS
	case d.KMSKeyID != "":
		return "a customer key: Azure encrypts every server with its own keys here; customer-managed keys need a managed identity this provider does not make", cloud.FieldKMSKey
	case d.SubnetGroup != "":
		return "a subnet group: Azure places a server in a delegated subnet, which this provider does not make", cloud.FieldSubnetGroup
	case len(d.SecurityGroupIDs) > 0:
		return "security groups: Azure flexible servers have firewall rules instead, which this provider does not make", cloud.FieldSecurityGroup
	case d.PubliclyAccessible:
		return "public access: it needs firewall rules, which this provider does not make", ""
	case d.BackupWindow != "":
		return "a backup window: Azure chooses when it backs a flexible server up", ""
	case d.MaintenanceWindow != "":
		return "a maintenance window: not set by this provider on Azure yet", ""
	case d.DeletionProtection != nil && *d.DeletionProtection:
		return "deletion protection: Azure protects resources with locks, which this provider does not make", ""
	case d.AutoMinorVersionUpgrade != nil && !*d.AutoMinorVersionUpgrade:
		return "turning automatic minor version upgrades off: Azure always applies them in its maintenance", ""
	case d.IAMAuthentication != nil && *d.IAMAuthentication:
		return "token logins: Azure's are Microsoft Entra ID logins, which this provider does not make", ""
	case len(d.LogExports) > 0:
		return "log exports: Azure ships logs by diagnostic settings, which this provider does not make", ""
	case d.MaxAllocatedStorageGiB > d.AllocatedStorageGiB:
		return "storage autoscaling with a limit: not made by this provider on Azure", cloud.FieldMaxStorage
	case len(d.Parameters) > 0:
		return "engine parameters: server parameters are not set by this provider on Azure yet", cloud.FieldParameters
	}
	return "", ""
}

// Complete implements cloud.Provider: a flexible server is made whole by its create.
func (p *Provider) Complete(context.Context, cloud.Desired) error { return nil }

// CreateReplica implements cloud.Provider: read replicas are not made by this provider.
func (p *Provider) CreateReplica(_ context.Context, r cloud.Replica) error {
	return unsupported("create read replica "+r.Identifier, "read replicas are not made by this provider on Azure yet", "")
}

// Update implements cloud.Provider with one PATCH of the server. Azure applies it at once,
// whatever opts says (a SKU change restarts the server).
func (p *Provider) Update(ctx context.Context, identifier string, c cloud.Changes, opts cloud.UpdateOptions) error {
	op := "update flexible server " + identifier
	u, err := updateOf(op, c)
	if err != nil {
		return err
	}
	s, found, err := p.find(ctx, identifier)
	if err != nil {
		return err
	}
	if !found {
		return &cloud.Error{Op: op, Code: codeNotFound, Message: "the server does not exist"}
	}
	if err := p.settle(ctx, op, identifier); err != nil {
		return err
	}
	o, err := p.engines[s.Engine].update(ctx, identifier, u)
	p.track(identifier, op, o)
	return wrap(op, err)
}

// updateOf turns changes into a PATCH, refusing what flexible servers cannot change.
func updateOf(op string, c cloud.Changes) (serverUpdate, error) {
	var u serverUpdate
	refuse := func(what string, field cloud.Field) (serverUpdate, error) {
		return serverUpdate{}, unsupported(op, what, field)
	}
	switch {
	case c.EngineVersion != nil:
		return refuse("a version change: the API version this provider speaks has no in-place upgrade of a flexible server", cloud.FieldEngineVersion)
	case c.StorageType != nil && *c.StorageType != "":
		return refuse("storage type "+*c.StorageType+": Azure flexible servers have one storage type", cloud.FieldStorage)
	case c.IOPS != nil || c.StorageThroughput != nil:
		return refuse("provisioned IOPS or throughput: not changed by this provider on Azure", cloud.FieldIOPS)
	case c.SecurityGroupIDs != nil:
		return refuse("security groups: Azure flexible servers have firewall rules instead", cloud.FieldSecurityGroup)
	case c.PubliclyAccessible != nil && *c.PubliclyAccessible:
		return refuse("public access: it needs firewall rules, which this provider does not make", "")
	case c.BackupWindow != nil:
		return refuse("a backup window: Azure chooses when it backs a flexible server up", "")
	case c.MaintenanceWindow != nil:
		return refuse("a maintenance window: not set by this provider on Azure yet", "")
	case c.DeletionProtection != nil && *c.DeletionProtection:
		return refuse("deletion protection: Azure protects resources with locks, which this provider does not make", "")
	case c.AutoMinorVersionUpgrade != nil && !*c.AutoMinorVersionUpgrade:
		return refuse("turning automatic minor version upgrades off: Azure always applies them", "")
	case c.IAMAuthentication != nil && *c.IAMAuthentication:
		return refuse("token logins: Azure's are Microsoft Entra ID logins, which this provider does not make", "")
	case len(c.EnableLogExports) > 0:
		return refuse("log exports: Azure ships logs by diagnostic settings, which this provider does not make", "")
	case c.MaxAllocatedStorageGiB != nil:
		return refuse("storage autoscaling with a limit: not made by this provider on Azure", cloud.FieldMaxStorage)
	case c.UpgradeParameters != nil:
		return refuse("engine parameters: not set by this provider on Azure yet", cloud.FieldParameters)
	}
	if c.InstanceClass != nil {
		tier := tierOf(*c.InstanceClass)
		u.SKU, u.Tier = c.InstanceClass, &tier
	}
	u.StorageGiB = c.AllocatedStorageGiB
	u.BackupRetentionDays = c.BackupRetentionDays
	if c.MultiAZ != nil {
		mode := haMode(*c.MultiAZ)
		u.HAMode = &mode
	}
	u.Password = c.MasterPassword
	return u, nil
}

// Tag implements cloud.Provider: ARM's PATCH replaces every tag, so the server's are read,
// tags put in (mergeTags: the others as they are) and written back, unless they are so
// already.
func (p *Provider) Tag(ctx context.Context, id string, tags map[string]string) error {
	name := id[strings.LastIndex(id, "/")+1:]
	op := "tag flexible server " + name
	s, found, err := p.find(ctx, name)
	if err != nil {
		return err
	}
	if !found {
		return &cloud.Error{Op: op, Code: codeNotFound, Message: "the server does not exist"}
	}
	encoded, err := mergeTags(s.Tags, tags)
	if err != nil {
		return &cloud.Error{Op: op, Code: "InvalidTags", Message: err.Error()}
	}
	if maps.Equal(encoded, s.Tags) {
		// Already so (a retry): no PATCH, which a server busy with the first would refuse.
		return nil
	}
	o, err := p.engines[s.Engine].update(ctx, name, serverUpdate{Tags: encoded})
	p.mu.Lock()
	_, following := p.ops[name]
	p.mu.Unlock()
	if !following {
		// A tag change does not hide the outcome of a change followed before it.
		p.track(name, op, o)
	}
	return wrap(op, err)
}

// Delete implements cloud.Provider. Azure keeps no backup of a deleted server the operator
// could restore from (only Azure's own for a few days, docs/azure-facts.md): a delete
// with a final snapshot is refused, and the server stays.
func (p *Provider) Delete(ctx context.Context, identifier string, opts cloud.DeleteOptions) error {
	op := "delete flexible server " + identifier
	if opts.FinalSnapshotIdentifier != "" {
		return unsupported(op, "a final snapshot: Azure keeps no backup of a deleted flexible server that outlives it; use deletionPolicy Retain or Delete on an azure class", "")
	}
	var s server
	if opts.Observed != nil {
		p.mu.Lock()
		s.Engine = p.engineOf[identifier]
		p.mu.Unlock()
		s.State = opts.Observed.Status
	}
	if s.Engine == "" {
		var found bool
		var err error
		if s, found, err = p.find(ctx, identifier); err != nil || !found {
			return err
		}
	}
	if phaseOf(s.State) == cloud.PhaseDeleting {
		return nil
	}
	if err := p.settle(ctx, op, identifier); err != nil {
		return err
	}
	o, err := p.engines[s.Engine].remove(ctx, identifier)
	if isNotFound(err) {
		return nil
	}
	p.track(identifier, op, o)
	return wrap(op, err)
}

// instance maps a flexible server to cloud.Instance.
func (p *Provider) instance(s server) cloud.Instance {
	in := cloud.Instance{
		Identifier:          s.Name,
		ARN:                 s.ID,
		Status:              s.State,
		Phase:               phaseOf(s.State),
		Engine:              s.Engine,
		EngineVersion:       s.Version,
		InstanceClass:       s.SKU,
		AllocatedStorageGiB: s.StorageGiB,
		BackupRetentionDays: s.BackupRetentionDays,
		MasterUser:          s.AdminLogin,
		// Azure encrypts every server's storage, with its own keys unless told otherwise.
		StorageEncrypted: true,
		MultiAZ:          s.HAMode == haZoneRedundant,
		// Azure applies minor versions in its maintenance, always.
		AutoMinorVersionUpgrade: true,
		Endpoint:                s.FQDN,
		Tags:                    decodeTags(s.Tags),
		Region:                  s.Location,
		AdminRole:               adminRoles[s.Engine],
	}
	if s.AvailabilityZone != "" {
		// Named as Kubernetes names the zones of AKS nodes: <location>-<zone>.
		in.AvailabilityZone = s.Location + "-" + s.AvailabilityZone
	}
	if in.Endpoint != "" {
		in.Port = ports[s.Engine]
	}
	return in
}

// ZoneIn implements cloud.Provider: AKS labels nodes with <location>-<zone>, zones 1 to 3.
func (p *Provider) ZoneIn(region, zone string) bool {
	z, ok := strings.CutPrefix(zone, region+"-")
	return ok && (z == "1" || z == "2" || z == "3")
}

// Feed implements cloud.Provider: the provider reads no feed; List follows the servers.
func (p *Provider) Feed() cloud.Feed { return nil }

// Snapshots implements cloud.Provider: this provider takes no manual snapshots, so there
// are none of its own to list.
func (p *Provider) Snapshots(context.Context, string) ([]cloud.Snapshot, error) { return nil, nil }

// Snapshot implements cloud.Provider: no snapshot is known.
func (p *Provider) Snapshot(context.Context, string) (cloud.Snapshot, bool, error) {
	return cloud.Snapshot{}, false, nil
}

// CreateSnapshot implements cloud.Provider: flexible servers have no snapshot that
// outlives them.
func (p *Provider) CreateSnapshot(_ context.Context, identifier, _ string, _ map[string]string) error {
	return unsupported("snapshot flexible server "+identifier, "manual snapshots: Azure backs flexible servers up by itself, and its backups go with the server", "")
}

// DeleteSnapshot implements cloud.Provider: there is none to delete.
func (p *Provider) DeleteSnapshot(context.Context, string) error { return nil }

// AutomatedBackups implements cloud.Provider: not listed by this provider.
func (p *Provider) AutomatedBackups(_ context.Context, identifier string) ([]cloud.Snapshot, error) {
	return nil, unsupported("list backups of flexible server "+identifier, "Azure's automated backups are not listed by this provider yet", "")
}

// StartExport implements cloud.Provider: not made by this provider.
func (p *Provider) StartExport(_ context.Context, r cloud.ExportRequest) error {
	return unsupported("export "+r.Identifier, "exports of flexible servers are not made by this provider yet", cloud.FieldExportBucket)
}

// ExportsLive implements cloud.Provider.
func (p *Provider) ExportsLive() bool { return false }

// KeepsSnapshots implements cloud.Provider: Azure keeps a deleted server's backups only days,
// to revive it, nothing a final snapshot could name (docs/azure-facts.md).
func (p *Provider) KeepsSnapshots() bool { return false }

// EngineDefaults implements cloud.Provider: the operator's general defaults apply (the
// class's SKU is the instance class).
func (p *Provider) EngineDefaults(string) (string, string) { return "", "" }

// Exports implements cloud.Provider: this provider starts none.
func (p *Provider) Exports(context.Context) ([]cloud.Export, error) { return nil, nil }

// SyncParameters implements cloud.Provider: nothing for a database with no parameters;
// server parameters are not set by this provider yet.
func (p *Provider) SyncParameters(_ context.Context, d cloud.Desired, _ cloud.Instance) (cloud.ParameterChange, error) {
	if len(d.Parameters) == 0 {
		return cloud.ParameterChange{}, nil
	}
	return cloud.ParameterChange{}, unsupported("set parameters of flexible server "+d.Identifier,
		fmt.Sprintf("engine parameters (%s): server parameters are not set by this provider on Azure yet", strings.Join(slices.Sorted(maps.Keys(d.Parameters)), ", ")), cloud.FieldParameters)
}

// Restart implements cloud.Provider with the server's restart.
func (p *Provider) Restart(ctx context.Context, identifier string) error {
	op := "restart flexible server " + identifier
	s, found, err := p.find(ctx, identifier)
	if err != nil {
		return err
	}
	if !found {
		return &cloud.Error{Op: op, Code: codeNotFound, Message: "the server does not exist"}
	}
	if err := p.settle(ctx, op, identifier); err != nil {
		return err
	}
	o, err := p.engines[s.Engine].restart(ctx, identifier)
	p.track(identifier, op, o)
	return wrap(op, err)
}

// DeleteParameters implements cloud.Provider: this provider makes no parameter set.
func (p *Provider) DeleteParameters(context.Context, cloud.Desired, string) error { return nil }

// LoginToken implements cloud.Provider: token logins are not made by this provider.
func (p *Provider) LoginToken(_ context.Context, in cloud.Instance, _ string) (string, error) {
	return "", unsupported("login token for "+in.Identifier, "token logins: Azure's are Microsoft Entra ID logins, which this provider does not make", "")
}

// LoginTokenHowTo implements cloud.Provider.
func (p *Provider) LoginTokenHowTo(cloud.Instance, string) string { return "" }

// LogFiles implements cloud.Provider: not read by this provider.
func (p *Provider) LogFiles(_ context.Context, identifier string) ([]cloud.LogFile, error) {
	return nil, unsupported("list logs of flexible server "+identifier, "server logs: Azure ships them by diagnostic settings, which this provider does not read", "")
}

// ReadLog implements cloud.Provider: not read by this provider.
func (p *Provider) ReadLog(_ context.Context, identifier, _, _ string, _ int) (cloud.LogPortion, error) {
	return cloud.LogPortion{}, unsupported("read logs of flexible server "+identifier, "server logs: Azure ships them by diagnostic settings, which this provider does not read", "")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
