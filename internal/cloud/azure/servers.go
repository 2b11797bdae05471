package azure

import (
	"context"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/mysql/armmysqlflexibleservers"
	pg "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/postgresql/armpostgresqlflexibleservers"
)

// server is a flexible server as the provider works with it, whichever its engine: the two
// resource providers (Microsoft.DBforPostgreSQL, Microsoft.DBforMySQL) share the shape,
// not the Go types of their SDK modules.
type server struct {
	ID, Name, Location string
	Engine             string
	Version            string
	SKU, Tier          string
	State              string
	StorageGiB         int32
	// AutoGrow is MySQL's storage auto-grow; PostgreSQL's API version has none.
	AutoGrow            bool
	BackupRetentionDays int32
	HAMode              string
	AvailabilityZone    string
	AdminLogin          string
	FQDN                string
	PublicAccess        bool
	Tags                map[string]string
}

// serverUpdate is a PATCH of a server: nil fields are left as they are.
type serverUpdate struct {
	SKU, Tier           *string
	StorageGiB          *int32
	AutoGrow            *bool
	BackupRetentionDays *int32
	HAMode              *string
	Password            *string
	// Tags, when not nil, replaces every tag (ARM's PATCH semantics for tags).
	Tags map[string]string
}

// servers is one resource provider's flexible servers, through its SDK module. The
// changes send their request and return the long-running operation Azure started, without
// waiting for it; nil when Azure finished at once.
type servers interface {
	get(ctx context.Context, name string) (server, error)
	list(ctx context.Context) ([]server, error)
	create(ctx context.Context, s server, password string) (operation, error)
	update(ctx context.Context, name string, u serverUpdate) (operation, error)
	remove(ctx context.Context, name string) (operation, error)
	restart(ctx context.Context, name string) (operation, error)
}

// operation is a long-running operation Azure runs on a server, followed the Azure way:
// its Azure-AsyncOperation (or Location) URL, through the SDK's poller.
type operation interface {
	// Poll looks at the operation once: one call.
	Poll(ctx context.Context) (*http.Response, error)
	// Done reports whether the operation has ended, as the last Poll saw.
	Done() bool
	// outcome is the ended operation's error, nil when it succeeded.
	outcome(ctx context.Context) error
}

// lro is an SDK poller as an operation.
type lro[T any] struct{ *runtime.Poller[T] }

func (l lro[T]) outcome(ctx context.Context) error {
	_, err := l.Result(ctx)
	return err
}

// started turns what a Begin method returned into an operation: nil when Azure answered
// at once (the poller is done already).
func started[T any](p *runtime.Poller[T], err error) (operation, error) {
	if err != nil || p == nil || p.Done() {
		return nil, err
	}
	return lro[T]{p}, nil
}

// --- Microsoft.DBforPostgreSQL ---

type pgServers struct {
	c  *pg.ServersClient
	rg string
}

func newPGServers(sub, rg string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*pgServers, error) {
	c, err := pg.NewServersClient(sub, cred, opts)
	if err != nil {
		return nil, err
	}
	return &pgServers{c: c, rg: rg}, nil
}

func (p *pgServers) get(ctx context.Context, name string) (server, error) {
	r, err := p.c.Get(ctx, p.rg, name, nil)
	if err != nil {
		return server{}, err
	}
	return fromPG(r.Server), nil
}

func (p *pgServers) list(ctx context.Context) ([]server, error) {
	var out []server
	pager := p.c.NewListByResourceGroupPager(p.rg, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Value {
			if s != nil {
				out = append(out, fromPG(*s))
			}
		}
	}
	return out, nil
}

func (p *pgServers) create(ctx context.Context, s server, password string) (operation, error) {
	body := pg.Server{
		Location: &s.Location,
		SKU:      &pg.SKU{Name: &s.SKU, Tier: to.Ptr(pg.SKUTier(s.Tier))},
		Tags:     ptrs(s.Tags),
		Properties: &pg.ServerProperties{
			AdministratorLogin:         &s.AdminLogin,
			AdministratorLoginPassword: &password,
			Version:                    to.Ptr(pg.ServerVersion(s.Version)),
			CreateMode:                 to.Ptr(pg.CreateModeCreate),
			Storage:                    &pg.Storage{StorageSizeGB: &s.StorageGiB},
			Backup: &pg.Backup{
				BackupRetentionDays: &s.BackupRetentionDays,
				GeoRedundantBackup:  to.Ptr(pg.GeoRedundantBackupEnumDisabled),
			},
			HighAvailability: &pg.HighAvailability{Mode: to.Ptr(pg.HighAvailabilityMode(s.HAMode))},
		},
	}
	if s.AvailabilityZone != "" {
		body.Properties.AvailabilityZone = &s.AvailabilityZone
	}
	return started(p.c.BeginCreate(ctx, p.rg, s.Name, body, nil))
}

func (p *pgServers) update(ctx context.Context, name string, u serverUpdate) (operation, error) {
	body := pg.ServerForUpdate{Properties: &pg.ServerPropertiesForUpdate{}}
	if u.SKU != nil {
		body.SKU = &pg.SKU{Name: u.SKU, Tier: to.Ptr(pg.SKUTier(*u.Tier))}
	}
	if u.StorageGiB != nil {
		body.Properties.Storage = &pg.Storage{StorageSizeGB: u.StorageGiB}
	}
	if u.BackupRetentionDays != nil {
		body.Properties.Backup = &pg.Backup{BackupRetentionDays: u.BackupRetentionDays}
	}
	if u.HAMode != nil {
		body.Properties.HighAvailability = &pg.HighAvailability{Mode: to.Ptr(pg.HighAvailabilityMode(*u.HAMode))}
	}
	body.Properties.AdministratorLoginPassword = u.Password
	if u.Tags != nil {
		body.Tags = ptrs(u.Tags)
	}
	return started(p.c.BeginUpdate(ctx, p.rg, name, body, nil))
}

func (p *pgServers) remove(ctx context.Context, name string) (operation, error) {
	return started(p.c.BeginDelete(ctx, p.rg, name, nil))
}

func (p *pgServers) restart(ctx context.Context, name string) (operation, error) {
	return started(p.c.BeginRestart(ctx, p.rg, name, nil))
}

func fromPG(s pg.Server) server {
	out := server{
		ID: deref(s.ID), Name: deref(s.Name), Location: deref(s.Location), Engine: enginePostgres,
		Tags: values(s.Tags),
	}
	if s.SKU != nil {
		out.SKU = deref(s.SKU.Name)
		out.Tier = string(deref(s.SKU.Tier))
	}
	if p := s.Properties; p != nil {
		out.Version = string(deref(p.Version))
		out.State = string(deref(p.State))
		out.AdminLogin = deref(p.AdministratorLogin)
		out.FQDN = deref(p.FullyQualifiedDomainName)
		out.AvailabilityZone = deref(p.AvailabilityZone)
		if p.Storage != nil {
			out.StorageGiB = deref(p.Storage.StorageSizeGB)
		}
		if p.Backup != nil {
			out.BackupRetentionDays = deref(p.Backup.BackupRetentionDays)
		}
		if p.HighAvailability != nil {
			out.HAMode = string(deref(p.HighAvailability.Mode))
		}
		if p.Network != nil {
			out.PublicAccess = deref(p.Network.PublicNetworkAccess) == pg.ServerPublicNetworkAccessStateEnabled
		}
	}
	return out
}

// --- Microsoft.DBforMySQL ---

type mysqlServers struct {
	c  *armmysqlflexibleservers.ServersClient
	rg string
}

func newMySQLServers(sub, rg string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*mysqlServers, error) {
	c, err := armmysqlflexibleservers.NewServersClient(sub, cred, opts)
	if err != nil {
		return nil, err
	}
	return &mysqlServers{c: c, rg: rg}, nil
}

func (m *mysqlServers) get(ctx context.Context, name string) (server, error) {
	r, err := m.c.Get(ctx, m.rg, name, nil)
	if err != nil {
		return server{}, err
	}
	return fromMySQL(r.Server), nil
}

func (m *mysqlServers) list(ctx context.Context) ([]server, error) {
	var out []server
	pager := m.c.NewListByResourceGroupPager(m.rg, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Value {
			if s != nil {
				out = append(out, fromMySQL(*s))
			}
		}
	}
	return out, nil
}

func (m *mysqlServers) create(ctx context.Context, s server, password string) (operation, error) {
	body := armmysqlflexibleservers.Server{
		Location: &s.Location,
		SKU:      &armmysqlflexibleservers.SKU{Name: &s.SKU, Tier: to.Ptr(armmysqlflexibleservers.SKUTier(s.Tier))},
		Tags:     ptrs(s.Tags),
		Properties: &armmysqlflexibleservers.ServerProperties{
			AdministratorLogin:         &s.AdminLogin,
			AdministratorLoginPassword: &password,
			Version:                    to.Ptr(armmysqlflexibleservers.ServerVersion(s.Version)),
			CreateMode:                 to.Ptr(armmysqlflexibleservers.CreateModeDefault),
			Storage:                    &armmysqlflexibleservers.Storage{StorageSizeGB: &s.StorageGiB, AutoGrow: enabled(s.AutoGrow)},
			Backup: &armmysqlflexibleservers.Backup{
				BackupRetentionDays: &s.BackupRetentionDays,
				GeoRedundantBackup:  to.Ptr(armmysqlflexibleservers.EnableStatusEnumDisabled),
			},
			HighAvailability: &armmysqlflexibleservers.HighAvailability{Mode: to.Ptr(armmysqlflexibleservers.HighAvailabilityMode(s.HAMode))},
		},
	}
	if s.AvailabilityZone != "" {
		body.Properties.AvailabilityZone = &s.AvailabilityZone
	}
	return started(m.c.BeginCreate(ctx, m.rg, s.Name, body, nil))
}

func (m *mysqlServers) update(ctx context.Context, name string, u serverUpdate) (operation, error) {
	body := armmysqlflexibleservers.ServerForUpdate{Properties: &armmysqlflexibleservers.ServerPropertiesForUpdate{}}
	if u.SKU != nil {
		body.SKU = &armmysqlflexibleservers.SKU{Name: u.SKU, Tier: to.Ptr(armmysqlflexibleservers.SKUTier(*u.Tier))}
	}
	if u.StorageGiB != nil || u.AutoGrow != nil {
		body.Properties.Storage = &armmysqlflexibleservers.Storage{StorageSizeGB: u.StorageGiB}
		if u.AutoGrow != nil {
			body.Properties.Storage.AutoGrow = enabled(*u.AutoGrow)
		}
	}
	if u.BackupRetentionDays != nil {
		body.Properties.Backup = &armmysqlflexibleservers.Backup{BackupRetentionDays: u.BackupRetentionDays}
	}
	if u.HAMode != nil {
		body.Properties.HighAvailability = &armmysqlflexibleservers.HighAvailability{Mode: to.Ptr(armmysqlflexibleservers.HighAvailabilityMode(*u.HAMode))}
	}
	body.Properties.AdministratorLoginPassword = u.Password
	if u.Tags != nil {
		body.Tags = ptrs(u.Tags)
	}
	return started(m.c.BeginUpdate(ctx, m.rg, name, body, nil))
}

func (m *mysqlServers) remove(ctx context.Context, name string) (operation, error) {
	return started(m.c.BeginDelete(ctx, m.rg, name, nil))
}

func (m *mysqlServers) restart(ctx context.Context, name string) (operation, error) {
	return started(m.c.BeginRestart(ctx, m.rg, name, armmysqlflexibleservers.ServerRestartParameter{
		RestartWithFailover: to.Ptr(armmysqlflexibleservers.EnableStatusEnumDisabled),
	}, nil))
}

func fromMySQL(s armmysqlflexibleservers.Server) server {
	out := server{
		ID: deref(s.ID), Name: deref(s.Name), Location: deref(s.Location), Engine: engineMySQL,
		Tags: values(s.Tags),
	}
	if s.SKU != nil {
		out.SKU = deref(s.SKU.Name)
		out.Tier = string(deref(s.SKU.Tier))
	}
	if p := s.Properties; p != nil {
		out.Version = string(deref(p.Version))
		out.State = string(deref(p.State))
		out.AdminLogin = deref(p.AdministratorLogin)
		out.FQDN = deref(p.FullyQualifiedDomainName)
		out.AvailabilityZone = deref(p.AvailabilityZone)
		if p.Storage != nil {
			out.StorageGiB = deref(p.Storage.StorageSizeGB)
			out.AutoGrow = deref(p.Storage.AutoGrow) == armmysqlflexibleservers.EnableStatusEnumEnabled
		}
		if p.Backup != nil {
			out.BackupRetentionDays = deref(p.Backup.BackupRetentionDays)
		}
		if p.HighAvailability != nil {
			out.HAMode = string(deref(p.HighAvailability.Mode))
		}
		if p.Network != nil {
			out.PublicAccess = deref(p.Network.PublicNetworkAccess) == armmysqlflexibleservers.EnableStatusEnumEnabled
		}
	}
	return out
}

func enabled(on bool) *armmysqlflexibleservers.EnableStatusEnum {
	if on {
		return to.Ptr(armmysqlflexibleservers.EnableStatusEnumEnabled)
	}
	return to.Ptr(armmysqlflexibleservers.EnableStatusEnumDisabled)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptrs(m map[string]string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}

func values(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = deref(v)
	}
	return out
}
