package emulator

import (
	"slices"
	"strings"
)

// logTypes are the logs each engine ships to CloudWatch Logs (EnableCloudwatchLogsExports,
// CloudwatchLogsExportConfiguration), as the RDS API reference lists them for
// CreateDBInstance and CreateDBCluster. Aurora ships logs per cluster, not per instance.
var logTypes = map[string][]string{
	"postgres":          {"postgresql", "upgrade", "iam-db-auth-error"},
	"mysql":             {"audit", "error", "general", "slowquery", "iam-db-auth-error"},
	"mariadb":           {"audit", "error", "general", "slowquery", "iam-db-auth-error"},
	"aurora-postgresql": {"instance", "postgresql", "iam-db-auth-error"},
	"aurora-mysql":      {"audit", "error", "general", "instance", "slowquery", "iam-db-auth-error"},
}

// checkLogTypes refuses log types the engine does not have, in RDS's words
// (hashicorp/terraform#22538: "You cannot use the log types 'general', 'audit' with engine
// version aurora-postgresql 9.6.12. For supported log types, see the documentation.").
func checkLogTypes(engine, version string, types []string) error {
	var bad []string
	for _, t := range types {
		if !slices.Contains(logTypes[engine], t) {
			bad = append(bad, "'"+t+"'")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return newError(codeInvalidCombination, "You cannot use the log types %s with engine version %s %s. For supported log types, see the documentation.",
		strings.Join(bad, ", "), engine, version)
}

// logExports are the logs a database ships and, while a change is being applied, those
// being turned on and off (PendingCloudwatchLogsExports).
type logExports struct {
	Enabled                       []string
	PendingEnable, PendingDisable []string
}

// exportConfiguration reads a CloudwatchLogsExportConfiguration parameter: the logs to turn
// on and off, each once; ok is false when the request has none.
func exportConfiguration(p params) (enable, disable []string, ok bool) {
	const prefix = "CloudwatchLogsExportConfiguration."
	enable, disable = unique(p.list(prefix+"EnableLogTypes.member")), unique(p.list(prefix+"DisableLogTypes.member"))
	return enable, disable, len(enable)+len(disable) > 0
}

// request starts a change: the logs asked on that are not shipped yet, and those asked off
// that are, become pending.
func (l *logExports) request(enable, disable []string) {
	l.PendingEnable, l.PendingDisable = nil, nil
	for _, t := range enable {
		if !slices.Contains(l.Enabled, t) {
			l.PendingEnable = append(l.PendingEnable, t)
		}
	}
	for _, t := range disable {
		if slices.Contains(l.Enabled, t) && !slices.Contains(enable, t) {
			l.PendingDisable = append(l.PendingDisable, t)
		}
	}
}

// pending reports whether a change is being applied.
func (l *logExports) pending() bool { return len(l.PendingEnable)+len(l.PendingDisable) > 0 }

// apply finishes the change being applied.
func (l *logExports) apply() {
	var out []string
	for _, t := range l.Enabled {
		if !slices.Contains(l.PendingDisable, t) {
			out = append(out, t)
		}
	}
	l.Enabled = append(out, l.PendingEnable...)
	l.PendingEnable, l.PendingDisable = nil, nil
}

// unique returns a's strings each once, in their first order.
func unique(a []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// xmlPendingLogs is PendingCloudwatchLogsExports.
type xmlPendingLogs struct {
	LogTypesToEnable  []string `xml:"LogTypesToEnable>member"`
	LogTypesToDisable []string `xml:"LogTypesToDisable>member"`
}

// xmlPendingLogExports renders the change being applied, nil when there is none.
func (l *logExports) xmlPending() *xmlPendingLogs {
	if !l.pending() {
		return nil
	}
	return &xmlPendingLogs{LogTypesToEnable: l.PendingEnable, LogTypesToDisable: l.PendingDisable}
}
