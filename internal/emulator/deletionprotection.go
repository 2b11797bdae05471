package emulator

// Deletion protection (DeletionProtection, off unless asked): RDS refuses to delete a
// protected DB instance or DB cluster until ModifyDBInstance or ModifyDBCluster turns the
// protection off, which applies at once whatever ApplyImmediately says. An instance of an
// Aurora DB cluster has no protection of its own: RDS refuses the parameter for it, reports
// it unprotected, and deletes it even when its cluster is protected; the cluster's
// protection keeps the cluster, and so its data, from going.

// errInstanceProtected is DeleteDBInstance's refusal of a protected instance, in RDS's
// words (hashicorp/terraform-provider-aws#26233).
func errInstanceProtected() error {
	return newError(codeInvalidCombination, "Cannot delete protected DB Instance, please disable deletion protection and try again.")
}

// errClusterProtected is DeleteDBCluster's refusal of a protected cluster.
func errClusterProtected() error {
	return newError(codeInvalidCombination, "Cannot delete protected Cluster, please disable deletion protection and try again.")
}

// errMemberProtection is RDS's refusal of DeletionProtection for an instance of an Aurora
// DB cluster, at create (hashicorp/terraform-provider-aws#6009) and at modify.
func errMemberProtection() error {
	return newError(codeInvalidCombination, "Deletion Protection can only be applied on the Cluster level, not for individual instances")
}
