package emulator

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
)

// defaultPort is the engine's usual port, reported for instances without a server (an
// instance with one reports its server's port).
var defaultPort = map[string]int{"postgres": 5432, "mysql": 3306, "mariadb": 3306}

// createInstance answers CreateDBInstance.
func (e *Emulator) createInstance(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, id, err
	}
	if isClusterInstanceRequest(p) {
		return e.createClusterInstance(id, p)
	}
	in, password, err := e.instanceFromParams(id, p)
	if err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	if _, exists := e.instances[id]; exists {
		e.mu.Unlock()
		return nil, id, newError(codeInstanceAlreadyExists, "DB instance already exists")
	}
	if err := e.checkInstanceQuota(); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	if in.ParamGroup, err = e.groupFor(p.str("DBParameterGroupName"), in.Engine, in.EngineVersion); err != nil {
		e.mu.Unlock()
		return nil, id, err
	}
	in.masterPassword = password
	e.instances[id] = in
	x := e.instanceXML(in)
	e.mu.Unlock()

	e.background(func(ctx context.Context) { e.runCreate(ctx, id, password, "") })
	return struct{ DBInstance xmlInstance }{x}, id, nil
}

// instanceFromParams validates CreateDBInstance's parameters into a new instance record.
// The password is returned apart, for the caller to keep in the record's memory.
func (e *Emulator) instanceFromParams(id string, p params) (*instance, string, error) {
	engine := p.str("Engine")
	switch engine {
	case "":
		return nil, "", newError(codeMissingParameter, "The request must contain the parameter Engine.")
	case "postgres", "mysql", "mariadb":
	default:
		return nil, "", newError(codeInvalidValue, "Invalid DB engine: %s", engine)
	}
	class := p.str("DBInstanceClass")
	if class == "" {
		return nil, "", newError(codeMissingParameter, "The request must contain the parameter DBInstanceClass.")
	}
	if !strings.HasPrefix(class, "db.") {
		return nil, "", newError(codeInvalidValue, "Invalid DB Instance class: %s", class)
	}
	storageType := p.str("StorageType")
	if storageType == "" {
		storageType = "gp2"
	}
	storage, err := p.integer("AllocatedStorage")
	if err != nil {
		return nil, "", err
	}
	if storage == nil {
		return nil, "", newError(codeInvalidValue, "The parameter AllocatedStorage must be provided.")
	}
	if err := checkStorage(engine, storageType, *storage); err != nil {
		return nil, "", err
	}
	iops, err := p.integer("Iops")
	if err != nil {
		return nil, "", err
	}
	throughput, err := p.integer("StorageThroughput")
	if err != nil {
		return nil, "", err
	}
	if err := checkProvisioned(engine, storageType, *storage, intOr0(iops), intOr0(throughput)); err != nil {
		return nil, "", err
	}
	maxStorage, err := p.integer("MaxAllocatedStorage")
	if err != nil {
		return nil, "", err
	}
	if maxStorage != nil {
		if err := checkMaxStorage(engine, storageType, *storage, *maxStorage, true); err != nil {
			return nil, "", err
		}
	}
	user := p.str("MasterUsername")
	if err := checkMasterUsername(user); err != nil {
		return nil, "", err
	}
	if !p.has("MasterUserPassword") {
		return nil, "", newError(codeInvalidValue, "The parameter MasterUserPassword must be provided (ManageMasterUserPassword is not emulated).")
	}
	password := p.str("MasterUserPassword")
	if err := checkPassword(engine, password); err != nil {
		return nil, "", err
	}
	retention := 1
	if n, err := p.integer("BackupRetentionPeriod"); err != nil {
		return nil, "", err
	} else if n != nil {
		retention = *n
	}
	if retention < 0 || retention > 35 {
		return nil, "", newError(codeInvalidValue, "The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	dbName := p.str("DBName")
	if dbName != "" {
		if err := checkDBName(engine, dbName); err != nil {
			return nil, "", err
		}
	}
	bools, err := p.booleans("MultiAZ", "StorageEncrypted", "PubliclyAccessible", "CopyTagsToSnapshot", "DeletionProtection", "AutoMinorVersionUpgrade", "EnableIAMDatabaseAuthentication")
	if err != nil {
		return nil, "", err
	}
	version := p.str("EngineVersion")
	if version == "" {
		// RDS's default; a version that is given is reported exactly as given ("17" stays
		// "17").
		version = defaultEngineVersion(engine)
	} else if err := checkEngineVersion(engine, version); err != nil {
		return nil, "", err
	}
	if err := checkInstanceClass(engine, version, class); err != nil {
		return nil, "", err
	}
	if err := e.checkEngineBuild(engine, version); err != nil {
		return nil, "", err
	}
	backupWindow, maintenanceWindow, err := e.settleWindows(id, p.str("PreferredBackupWindow"), p.str("PreferredMaintenanceWindow"))
	if err != nil {
		return nil, "", err
	}
	in := &instance{
		ID:                    id,
		ResourceID:            "db-" + randomUpper(26),
		Status:                "creating",
		Engine:                engine,
		EngineVersion:         version,
		Class:                 class,
		AllocatedStorage:      *storage,
		StorageType:           storageType,
		Iops:                  intOr0(iops),
		StorageThroughput:     intOr0(throughput),
		MaxAllocatedStorage:   intOr0(maxStorage),
		MasterUsername:        user,
		DBName:                dbName,
		BackupRetentionPeriod: retention,
		PreferredBackupWindow: backupWindow,
		MultiAZ:               deref(bools["MultiAZ"]),
		StorageEncrypted:      deref(bools["StorageEncrypted"]),
		KmsKeyID:              p.str("KmsKeyId"),
		PubliclyAccessible:    deref(bools["PubliclyAccessible"]),
		SubnetGroup:           p.str("DBSubnetGroupName"),
		VpcSecurityGroupIDs:   p.list("VpcSecurityGroupIds.VpcSecurityGroupId"),
		AvailabilityZone:      p.str("AvailabilityZone"),
		CreateTime:            time.Now(),
		Tags:                  setTags(nil, p.tags()),
		CopyTagsToSnapshot:    deref(bools["CopyTagsToSnapshot"]),
		Logs:                  logExports{Enabled: unique(p.list("EnableCloudwatchLogsExports.member"))},

		PreferredMaintenanceWindow: maintenanceWindow,
		AutoMinorVersionUpgrade:    boolOr(bools["AutoMinorVersionUpgrade"], true),
		DeletionProtection:         deref(bools["DeletionProtection"]),
		IAMAuth:                    deref(bools["EnableIAMDatabaseAuthentication"]),
	}
	if err := checkLogTypes(engine, version, in.Logs.Enabled); err != nil {
		return nil, "", err
	}
	if in.AvailabilityZone == "" {
		in.AvailabilityZone = e.cfg.Region + "a"
	}
	in.setMultiAZ(in.MultiAZ)
	if err := checkSecurityGroups(in.VpcSecurityGroupIDs); err != nil {
		return nil, "", err
	}
	if err := e.checkSubnetGroup(in.SubnetGroup); err != nil {
		return nil, "", err
	}
	if in.KmsKeyID, err = e.kmsKeyARN(in.StorageEncrypted, in.KmsKeyID); err != nil {
		return nil, "", err
	}
	return in, password, nil
}

// describeInstances answers DescribeDBInstances.
func (e *Emulator) describeInstances(p params) (any, string, error) {
	id := strings.ToLower(p.str("DBInstanceIdentifier"))
	max, err := p.maxRecords()
	if err != nil {
		return nil, id, err
	}
	match, err := e.instanceFilter(p.filters())
	if err != nil {
		return nil, id, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if id != "" {
		in, ok := e.instances[id]
		if !ok {
			return nil, id, newError(codeInstanceNotFound, "DBInstance %s not found.", id)
		}
		if !match(in) {
			return struct {
				DBInstances []xmlInstance `xml:"DBInstances>DBInstance"`
			}{}, id, nil
		}
		return struct {
			DBInstances []xmlInstance `xml:"DBInstances>DBInstance"`
		}{[]xmlInstance{e.instanceXML(in)}}, id, nil
	}
	var keys []string
	for k, in := range e.instances {
		if match(in) {
			keys = append(keys, k)
		}
	}
	keys, next := page(keys, p.str("Marker"), max)
	out := struct {
		DBInstances []xmlInstance `xml:"DBInstances>DBInstance"`
		Marker      string        `xml:",omitempty"`
	}{Marker: next}
	for _, k := range keys {
		out.DBInstances = append(out.DBInstances, e.instanceXML(e.instances[k]))
	}
	return out, "", nil
}

// instanceFilter turns DescribeDBInstances filters into a predicate. It needs no lock.
func (e *Emulator) instanceFilter(filters []filter) (func(*instance) bool, error) {
	var preds []func(*instance) bool
	for _, f := range filters {
		values := map[string]bool{}
		for _, v := range f.Values {
			values[v] = true
		}
		switch f.Name {
		case "db-instance-id":
			preds = append(preds, func(in *instance) bool { return values[in.ID] || values[e.instanceARN(in.ID)] })
		case "dbi-resource-id":
			preds = append(preds, func(in *instance) bool { return values[in.ResourceID] })
		case "engine":
			preds = append(preds, func(in *instance) bool { return values[in.Engine] })
		case "db-cluster-id":
			preds = append(preds, func(in *instance) bool {
				return in.ClusterID != "" && (values[in.ClusterID] || values[e.clusterARN(in.ClusterID)])
			})
		case "domain":
			preds = append(preds, func(*instance) bool { return false })
		default:
			return nil, newError(codeInvalidValue, "Unrecognized filter name: %s", f.Name)
		}
	}
	return func(in *instance) bool {
		for _, p := range preds {
			if !p(in) {
				return false
			}
		}
		return true
	}, nil
}

func deref(b *bool) bool { return b != nil && *b }

// boolOr is *b, or def when the request leaves the parameter out.
func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// intOr0 is *n, or 0 when n is nil.
func intOr0(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// randomUpper returns n random characters from A-Z and 0-9, like RDS resource ids.
func randomUpper(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
