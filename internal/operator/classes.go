package operator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	cnpgv1 "github.com/cloudnative-pg/api/pkg/api/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/azure"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/cloudnativepg"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/existing"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud/gcp"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/controller"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/mysql"
	"github.com/matrixmind-cloud/aws-rds-operator/internal/engine/postgres"
)

// classClouds is controller.Clouds: it knows which provider serves each kind of
// DatabaseClass and what its parameters mean, and builds one provider (with its own shared
// view of the cloud) per cloud account and region, reused by every class that names it.
type classClouds struct {
	// builtin serves aws classes in the operator's own region.
	builtin cloud.Provider
	// newAWS builds an RDS provider for another region.
	newAWS func(ctx context.Context, region string) (cloud.Provider, error)
	// newGCP builds a Cloud SQL provider for a project and region.
	newGCP func(ctx context.Context, project, region string) (cloud.Provider, error)
	// newAzure builds a flexible-server provider for a subscription, resource group and
	// location.
	newAzure func(ctx context.Context, subscription, resourceGroup, location string) (cloud.Provider, error)
	// view wraps a new provider in a shared view of its cloud, run by the manager.
	view func(name string, p cloud.Provider) (cloud.Provider, error)
	// awsCA is what RDS database servers' certificates chain to (--engine-ca-bundle); nil
	// connects to them without verifying the server.
	awsCA *engine.CABundle
	// azureCA is what Azure flexible servers' certificates chain to (--azure-ca-bundle);
	// nil connects to them without verifying the server.
	azureCA *engine.CABundle

	// secrets reads the admin Secrets of existing classes, past the operator's cache (which
	// keeps only the operator's own Secrets).
	secrets client.Reader
	// kube writes the Clusters of cloudnativepg classes.
	kube client.Client
	// newExisting builds an existing class's provider; nil is existing.New.
	newExisting func(existing.Config) (cloud.Provider, error)
	// newCNPG builds a cloudnativepg class's provider; nil is cloudnativepg.New.
	newCNPG func(cloudnativepg.Config) (cloud.Provider, error)

	mu        sync.Mutex
	providers map[string]cloud.Provider
}

// For implements controller.Clouds. Whether the placement keeps snapshots is its
// provider's to say.
func (c *classClouds) For(ctx context.Context, class *v1.DatabaseClass, base controller.Defaults) (controller.Placement, error) {
	p, err := c.placement(ctx, class, base)
	if err != nil {
		return controller.Placement{}, err
	}
	p.Defaults.KeepsNoSnapshots = !p.Cloud.KeepsSnapshots()
	return p, nil
}

// placement builds the provider and defaults of class.
func (c *classClouds) placement(ctx context.Context, class *v1.DatabaseClass, base controller.Defaults) (controller.Placement, error) {
	d := base
	d.SecurityGroupIDs = slices.Clone(base.SecurityGroupIDs)
	d.Tags = maps.Clone(base.Tags)
	if d.Tags == nil {
		d.Tags = map[string]string{}
	}
	switch class.Spec.Provider {
	case v1.ProviderAWS:
		p := class.Spec.AWS
		if p == nil {
			p = &v1.AWSClassParameters{}
		}
		provider := c.builtin
		if p.Region != "" {
			var err error
			if provider, err = c.provider(ctx, "aws/"+p.Region, func(ctx context.Context) (cloud.Provider, error) { return c.newAWS(ctx, p.Region) }); err != nil {
				return controller.Placement{}, err
			}
		}
		d.ClassInstanceClass = p.InstanceClass // over Aurora's default too
		d.StorageType = orDefault(p.StorageType, d.StorageType)
		d.KMSKeyID = orDefault(p.KMSKeyID, d.KMSKeyID)
		d.SubnetGroup = orDefault(p.SubnetGroup, d.SubnetGroup)
		if len(p.SecurityGroupIDs) > 0 {
			d.SecurityGroupIDs = slices.Clone(p.SecurityGroupIDs)
		}
		maps.Copy(d.Tags, p.Tags)
		return controller.Placement{Cloud: provider, Defaults: d, EngineCA: c.awsCA}, nil
	case v1.ProviderGCP:
		p := class.Spec.GCP
		if p == nil {
			return controller.Placement{}, fmt.Errorf("the class has no gcp parameters")
		}
		if c.newGCP == nil {
			return controller.Placement{}, fmt.Errorf("this operator has no Cloud SQL provider")
		}
		provider, err := c.provider(ctx, "gcp/"+p.Project+"/"+p.Region, func(ctx context.Context) (cloud.Provider, error) {
			return c.newGCP(ctx, p.Project, p.Region)
		})
		if err != nil {
			return controller.Placement{}, err
		}
		// The operator's RDS defaults mean nothing on Cloud SQL: the class says what
		// applies, and Cloud SQL encrypts every disk.
		d.InstanceClass, d.StorageType, d.StorageEncrypted = p.Tier, "", true
		d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", nil
		maps.Copy(d.Tags, p.Tags)
		return controller.Placement{Cloud: provider, Defaults: d}, nil
	case v1.ProviderAzure:
		p := class.Spec.Azure
		if p == nil {
			return controller.Placement{}, fmt.Errorf("the class has no azure parameters")
		}
		if c.newAzure == nil {
			return controller.Placement{}, fmt.Errorf("this operator has no Azure provider")
		}
		provider, err := c.provider(ctx, "azure/"+p.SubscriptionID+"/"+p.ResourceGroup+"/"+p.Location, func(ctx context.Context) (cloud.Provider, error) {
			return c.newAzure(ctx, p.SubscriptionID, p.ResourceGroup, p.Location)
		})
		if err != nil {
			return controller.Placement{}, err
		}
		// The operator's RDS defaults mean nothing on Azure: the class says what applies,
		// and Azure encrypts every server's storage.
		d.InstanceClass, d.StorageType, d.StorageEncrypted = orDefault(p.SKU, "Standard_B1ms"), "", true
		d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", nil
		maps.Copy(d.Tags, p.Tags)
		return controller.Placement{Cloud: provider, Defaults: d, EngineCA: c.azureCA}, nil
	case v1.ProviderExisting:
		p := class.Spec.Existing
		if p == nil {
			return controller.Placement{}, fmt.Errorf("the class has no existing parameters")
		}
		if c.secrets == nil {
			return controller.Placement{}, fmt.Errorf("this operator cannot read admin Secrets")
		}
		ref := types.NamespacedName{Namespace: p.AdminSecretRef.Namespace, Name: p.AdminSecretRef.Name}
		var dumps *existing.Dumps
		key := "existing/" + ref.String()
		if p.Dumps != nil {
			if c.kube == nil {
				return controller.Placement{}, fmt.Errorf("this operator has no Kubernetes client for dump Jobs")
			}
			dumps = &existing.Dumps{Namespace: ref.Namespace, Secret: ref.Name, Claim: p.Dumps.ClaimName, Image: p.Dumps.Image,
				Jobs: c.kube, Reader: c.secrets}
			// A class changed later dumps with its new parameters.
			key += "/dumps/" + p.Dumps.ClaimName + "/" + p.Dumps.Image
		}
		provider, err := c.provider(ctx, key, func(ctx context.Context) (cloud.Provider, error) {
			admin := func(ctx context.Context) (existing.Server, error) { return readAdminSecret(ctx, c.secrets, ref) }
			// Not served until its Secret can be read: a class whose server is not set up
			// yet sends new objects to its fallback.
			if _, err := admin(ctx); err != nil {
				return nil, err
			}
			cfg := existing.Config{Name: ref.String(), Admin: admin, Stewards: stewards(), Dumps: dumps}
			if c.newExisting != nil {
				return c.newExisting(cfg)
			}
			return existing.New(cfg)
		})
		if err != nil {
			return controller.Placement{}, err
		}
		// Nothing of the operator's cloud defaults applies to a server that exists: its
		// storage, size, network and encryption are its own.
		d.InstanceClass, d.StorageType, d.StorageEncrypted = "", "", false
		d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", nil
		d.ServerStorage = true
		return controller.Placement{Cloud: provider, Defaults: d}, nil
	case v1.ProviderCloudNativePG:
		p := class.Spec.CloudNativePG
		if p == nil {
			p = &v1.CloudNativePGClassParameters{}
		}
		if c.kube == nil || c.secrets == nil {
			return controller.Placement{}, fmt.Errorf("this operator has no Kubernetes client for CloudNativePG")
		}
		cfg := cloudnativepg.Config{Class: class.Name, Client: c.kube, Reader: c.secrets,
			Instances: p.Instances, StorageClass: p.StorageClass, ImageName: p.ImageName}
		if b := p.Backup; b != nil {
			cfg.VolumeSnapshotClass = b.VolumeSnapshotClass
			if b.Plugin != nil {
				cfg.BackupPlugin, cfg.BackupPluginParameters = b.Plugin.Name, b.Plugin.Parameters
			}
		}
		// A class changed later serves new objects with its new parameters.
		key := fmt.Sprintf("cloudnativepg/%s/%d/%s/%s/%s/%s/%v", class.Name, cfg.Instances, cfg.StorageClass, cfg.ImageName,
			cfg.VolumeSnapshotClass, cfg.BackupPlugin, cfg.BackupPluginParameters)
		provider, err := c.provider(ctx, key, func(ctx context.Context) (cloud.Provider, error) {
			// Not served where CloudNativePG is not installed: new objects go to the
			// class's fallback.
			if err := c.secrets.List(ctx, &cnpgv1.ClusterList{}, client.Limit(1)); err != nil {
				return nil, fmt.Errorf("CloudNativePG's Clusters cannot be listed (is CloudNativePG installed?): %w", err)
			}
			if c.newCNPG != nil {
				return c.newCNPG(cfg)
			}
			return cloudnativepg.New(cfg)
		})
		if err != nil {
			return controller.Placement{}, err
		}
		// The operator's cloud defaults mean nothing to a Cluster: its resources, network
		// and encryption are Kubernetes'.
		d.InstanceClass, d.StorageType, d.StorageEncrypted = "", "", false
		d.KMSKeyID, d.SubnetGroup, d.SecurityGroupIDs = "", "", nil
		return controller.Placement{Cloud: provider, Defaults: d}, nil
	}
	return controller.Placement{}, fmt.Errorf("provider %q is not served by this operator", class.Spec.Provider)
}

// NewGCP returns Options.NewGCP for Cloud SQL's Admin API at endpoint ("" is Google's), with
// Application Default Credentials (GKE Workload Identity) or GOOGLE_OAUTH_ACCESS_TOKEN.
func NewGCP(endpoint string) func(ctx context.Context, project, region string) (cloud.Provider, error) {
	return func(ctx context.Context, project, region string) (cloud.Provider, error) {
		return gcp.New(ctx, gcp.Config{Project: project, Region: region, Endpoint: endpoint})
	}
}

// NewAzure returns Options.NewAzure for Azure Resource Manager at endpoint ("" is Azure's
// public cloud), with DefaultAzureCredential (AKS Workload Identity), or a static token for
// a local emulator over plain HTTP.
func NewAzure(endpoint string) func(ctx context.Context, subscription, resourceGroup, location string) (cloud.Provider, error) {
	return func(_ context.Context, subscription, resourceGroup, location string) (cloud.Provider, error) {
		return azure.New(azure.Config{SubscriptionID: subscription, ResourceGroup: resourceGroup, Location: location, Endpoint: endpoint})
	}
}

// provider returns the provider kept under key, building it (and its shared view) the
// first time.
func (c *classClouds) provider(ctx context.Context, key string, build func(context.Context) (cloud.Provider, error)) (cloud.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.providers[key]; ok {
		return p, nil
	}
	p, err := build(ctx)
	if err != nil {
		return nil, err
	}
	if p, err = c.view(key, p); err != nil {
		return nil, err
	}
	if c.providers == nil {
		c.providers = map[string]cloud.Provider{}
	}
	c.providers[key] = p
	return p, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// stewards open administrator sessions on existing servers, by the engine their admin
// Secret names.
func stewards() map[string]engine.StewardConnector {
	return map[string]engine.StewardConnector{
		existing.EnginePostgres: postgres.Connector{},
		existing.EngineMySQL:    mysql.Connector{}, existing.EngineMariaDB: mysql.Connector{},
	}
}

// readAdminSecret reads an existing class's admin Secret: host, port, username, password,
// engine (default postgres) and, optionally, ca.crt.
func readAdminSecret(ctx context.Context, r client.Reader, ref types.NamespacedName) (existing.Server, error) {
	var secret corev1.Secret
	if err := r.Get(ctx, ref, &secret); err != nil {
		return existing.Server{}, fmt.Errorf("read the admin Secret %s: %w", ref, err)
	}
	srv := existing.Server{
		Engine: orDefault(string(secret.Data["engine"]), existing.EnginePostgres),
		Host:   string(secret.Data["host"]), User: string(secret.Data["username"]),
		Password: string(secret.Data["password"]), CA: secret.Data["ca.crt"],
	}
	var missing []string
	for key, v := range map[string]string{"host": srv.Host, "username": srv.User, "password": srv.Password} {
		if v == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return existing.Server{}, fmt.Errorf("the admin Secret %s lacks %s", ref, strings.Join(missing, ", "))
	}
	port := string(secret.Data["port"])
	if port == "" {
		port = map[string]string{existing.EnginePostgres: "5432"}[srv.Engine]
		if port == "" {
			port = "3306"
		}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return existing.Server{}, fmt.Errorf("the admin Secret %s: port %q is not a port number", ref, port)
	}
	srv.Port = int32(n)
	return srv, nil
}
