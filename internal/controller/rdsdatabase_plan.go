package controller

import (
	"fmt"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/cloud"
)

// pendingModifications describes what waits for the maintenance window.
func pendingModifications(in cloud.Instance) []string {
	var out []string
	pm := in.Pending
	if pm.EngineVersion != nil {
		out = append(out, "version "+*pm.EngineVersion)
	}
	if pm.InstanceClass != nil {
		out = append(out, "instance class "+*pm.InstanceClass)
	}
	if pm.StorageType != nil {
		out = append(out, "storage type "+*pm.StorageType)
	}
	if pm.AllocatedStorageGiB != nil {
		out = append(out, fmt.Sprintf("storage %d GiB", *pm.AllocatedStorageGiB))
	}
	if pm.BackupRetentionDays != nil {
		out = append(out, fmt.Sprintf("backup retention %d days", *pm.BackupRetentionDays))
	}
	if pm.MultiAZ != nil {
		out = append(out, fmt.Sprintf("multi-AZ %t", *pm.MultiAZ))
	}
	if pm.IAMAuthentication != nil {
		out = append(out, fmt.Sprintf("IAM database authentication %t", *pm.IAMAuthentication))
	}
	return out
}
