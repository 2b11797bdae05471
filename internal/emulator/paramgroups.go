package emulator

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/matrixmind-cloud/aws-rds-operator/internal/engineparams"
)

// DB parameter groups, as RDS has them: a named set of engine parameter values of one
// family (engine and major, such as postgres17 or mysql8.0) that DB instances use. Every
// family has a default group, default.<family>, which exists without being created and
// can be neither modified nor deleted; it holds every parameter at its engine default. The
// catalog of a family's parameters (names, defaults, types, static or dynamic) is package
// engineparams'. What a group's values do to the instances that use it is in
// paramgroups_apply.go. DB cluster parameter groups (cluster_paramgroups.go) are the same
// thing for Aurora DB clusters: the actions below serve both kinds (groupKind, in
// paramgroups_kind.go, says what differs). An instance of an Aurora DB cluster keeps its
// family's default DB parameter group.

// paramGroup is the emulator's record of one DB parameter group or DB cluster parameter
// group.
type paramGroup struct {
	Name        string
	Family      string
	Description string
	// Values are the parameters set in the group (Source user), by name; the others keep
	// their engine default. Methods are the ApplyMethod each was last set with.
	Values  map[string]string
	Methods map[string]string
	Tags    []tag
	// generation counts the changes to Values, so that a reboot that read the group before
	// a change does not report the instance (or cluster member) in-sync with values it did
	// not apply.
	generation int
}

// isDefault tells a family's default group, which RDS keeps as it is.
func (g *paramGroup) isDefault() bool { return strings.HasPrefix(g.Name, defaultGroupPrefix) }

// defaultGroupPrefix starts the name of every family's default group.
const defaultGroupPrefix = "default."

// maxParametersPerCall is the most parameters ModifyDBParameterGroup,
// ModifyDBClusterParameterGroup and their Reset actions take in one request (RDS API
// Reference).
const maxParametersPerCall = 20

// The ApplyMethod words.
const (
	applyImmediate     = "immediate"
	applyPendingReboot = "pending-reboot"
)

// The ParameterApplyStatus words of an instance's group, which are also the
// DBClusterParameterGroupStatus words of a cluster member.
const (
	paramsInSync        = "in-sync"
	paramsApplying      = "applying"
	paramsPendingReboot = "pending-reboot"
)

// familyOf is the DB parameter group family of an engine version: the engine and its major
// (postgres17, mysql8.0, mariadb10.11, aurora-postgresql16, aurora-mysql8.0).
func familyOf(engine, version string) string {
	if runsPostgres(engine) {
		major, _, _ := strings.Cut(version, ".")
		return engine + major
	}
	return engine + majorOf(engine, version)
}

// offeredFamilies are the families of the versions RDS offers for new instances
// (engine_versions.go), sorted: each has a default group.
func offeredFamilies() []string {
	seen := map[string]bool{}
	for engine, runs := range engineVersions {
		for _, m := range runs {
			seen[engine+m.major] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// knownFamily tells a family CreateDBParameterGroup takes: one of an offered version, or
// one whose parameters engineparams knows (Aurora's too).
func knownFamily(family string) bool {
	if _, ok := engineparams.Catalog(family); ok {
		return true
	}
	for _, f := range offeredFamilies() {
		if f == family {
			return true
		}
	}
	return false
}

// paramGroupLocked returns the DB parameter group of a name (groupLocked). It runs under
// the lock.
func (e *Emulator) paramGroupLocked(name string) (*paramGroup, bool) {
	return e.groupLocked(instanceGroups{}, name)
}

// groupLocked returns the group of a kind and name (any case): one Create made, or the
// default group of a family of the kind, recorded on first use so that it can carry tags.
// It runs under the lock.
func (e *Emulator) groupLocked(k groupKind, name string) (*paramGroup, bool) {
	name = strings.ToLower(name)
	groups := k.store(e)
	if g, ok := groups[name]; ok {
		return g, true
	}
	family, ok := strings.CutPrefix(name, defaultGroupPrefix)
	if !ok || !k.hasFamily(family) {
		return nil, false
	}
	g := &paramGroup{Name: name, Family: family, Description: k.defaultDescription(family),
		Values: map[string]string{}, Methods: map[string]string{}}
	groups[name] = g
	return g, true
}

// errGroupNotFound is RDS's answer for a group that does not exist
// (terraform-aws-modules/terraform-aws-rds#213, for a DB parameter group).
func errGroupNotFound(k groupKind, name string) error {
	return newError(codeParamGroupNotFound, "%s not found: %s", k.noun(), name)
}

// errParamGroupNotFound is errGroupNotFound of a DB parameter group.
func errParamGroupNotFound(name string) error { return errGroupNotFound(instanceGroups{}, name) }

// errDefaultGroupModified is RDS's refusal to change a default group (ankane/pghero#66).
func errDefaultGroupModified() error {
	return newError(codeInvalidValue, "Cannot modify a default parameter group.")
}

// groupName reads the group name every action on groups of a kind needs.
func groupName(k groupKind, p params) (string, error) {
	name := strings.ToLower(p.str(k.param()))
	if name == "" {
		// RDS's words (hashicorp/terraform#13279).
		return "", newError(codeInvalidValue, "The parameter %s must be provided and must not be blank.", k.param())
	}
	return name, nil
}

// validGroupName applies RDS's rules for a new group's name: 1-255 letters, digits or
// hyphens, a letter first, no trailing hyphen and no two hyphens in a row.
func validGroupName(name string) bool {
	if len(name) < 1 || len(name) > 255 || !isLetter(name[0]) || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isLetter(name[i]) && !isDigit(name[i]) && name[i] != '-' {
			return false
		}
	}
	return true
}

// createGroup answers CreateDBParameterGroup and CreateDBClusterParameterGroup.
func (e *Emulator) createGroup(k groupKind, p params) (any, string, error) {
	name, err := groupName(k, p)
	if err != nil {
		return nil, "", err
	}
	if !validGroupName(name) {
		return nil, name, newError(codeInvalidValue, "The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", k.param())
	}
	family := p.str("DBParameterGroupFamily")
	if family == "" {
		// RDS's words (boto/boto#403).
		return nil, name, newError(codeInvalidValue, "The parameter ParameterGroupFamily must be provided and must not be empty.")
	}
	if !k.hasFamily(family) {
		// RDS's words (terraform-aws-modules/terraform-aws-rds#173).
		return nil, name, newError(codeInvalidValue, "ParameterGroupFamily %s is not a valid parameter group family", family)
	}
	description := p.str("Description")
	if description == "" {
		return nil, name, newError(codeInvalidValue, "The parameter Description must be provided and must not be blank.")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	groups := k.store(e)
	if _, exists := groups[name]; exists {
		return nil, name, newError(codeParamGroupAlreadyExists, "Parameter group %s already exists", name)
	}
	g := &paramGroup{Name: name, Family: family, Description: description,
		Values: map[string]string{}, Methods: map[string]string{}, Tags: setTags(nil, p.tags())}
	groups[name] = g
	return k.created(e, g), name, nil
}

// describeGroups answers DescribeDBParameterGroups and DescribeDBClusterParameterGroups:
// one group, or every group made and the default group of each of the kind's default
// families, sorted by name.
func (e *Emulator) describeGroups(k groupKind, p params) (any, string, error) {
	max, err := p.maxRecords()
	if err != nil {
		return nil, "", err
	}
	name := strings.ToLower(p.str(k.param()))

	e.mu.Lock()
	defer e.mu.Unlock()
	if name != "" {
		g, ok := e.groupLocked(k, name)
		if !ok {
			return nil, name, errGroupNotFound(k, name)
		}
		return k.listed(e, []*paramGroup{g}, ""), name, nil
	}
	for _, f := range k.defaultFamilies() {
		e.groupLocked(k, defaultGroupPrefix+f)
	}
	groups := k.store(e)
	keys := make([]string, 0, len(groups))
	for n := range groups {
		keys = append(keys, n)
	}
	items, next := pageOf(groups, keys, p.str("Marker"), max)
	return k.listed(e, items, next), "", nil
}

// describeParameters answers DescribeDBParameters and DescribeDBClusterParameters: a
// group's parameters, sorted by name, those of one Source only when asked (user: set in
// the group; engine-default: the others; system: none, as the emulator sets no parameter
// of its own).
func (e *Emulator) describeParameters(k groupKind, p params) (any, string, error) {
	name, err := groupName(k, p)
	if err != nil {
		return nil, "", err
	}
	max, err := p.maxRecords()
	if err != nil {
		return nil, name, err
	}
	source := p.str("Source")
	switch source {
	case "", sourceUser, sourceSystem, sourceEngineDefault:
	default:
		return nil, name, newError(codeInvalidValue, "Invalid value for Source: %s. Valid values are user, system and engine-default.", source)
	}
	e.mu.Lock()
	g, ok := e.groupLocked(k, name)
	if !ok {
		e.mu.Unlock()
		return nil, name, errGroupNotFound(k, name)
	}
	family, values, methods := g.Family, maps.Clone(g.Values), maps.Clone(g.Methods)
	e.mu.Unlock()

	catalog, _ := engineparams.Catalog(family)
	rows := map[string]xmlParameter{}
	var keys []string
	for _, param := range catalog {
		row := parameterXML(param, values, methods)
		if source != "" && row.Source != source {
			continue
		}
		keys = append(keys, param.Name)
		rows[param.Name] = row
	}
	items, next := pageOf(rows, keys, p.str("Marker"), max)
	return struct {
		Parameters []xmlParameter `xml:"Parameters>Parameter"`
		Marker     string         `xml:",omitempty"`
	}{items, next}, name, nil
}

// The Source words of DescribeDBParameters.
const (
	sourceUser          = "user"
	sourceSystem        = "system"
	sourceEngineDefault = "engine-default"
)

// deleteGroup answers DeleteDBParameterGroup and DeleteDBClusterParameterGroup: refused
// for a default group and while something uses the group.
func (e *Emulator) deleteGroup(k groupKind, p params) (any, string, error) {
	name, err := groupName(k, p)
	if err != nil {
		return nil, "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groupLocked(k, name)
	if !ok {
		return nil, name, errGroupNotFound(k, name)
	}
	if g.isDefault() {
		// RDS's words (awsdocs/amazon-rds-user-guide#14; ekristen/aws-nuke#660 for a
		// cluster parameter group of DocumentDB, which shares RDS's API).
		return nil, name, newError(codeInvalidParamGroupState, "Default %s cannot be deleted: %s", k.noun(), name)
	}
	if why := k.inUse(e, name); why != "" {
		return nil, name, newError(codeInvalidParamGroupState, "%s", why)
	}
	delete(k.store(e), name)
	return nil, name, nil
}

// parameterChange is one checked entry of a Modify or Reset of a group.
type parameterChange struct {
	name, value, method string
	static              bool
}

// readParameterChanges reads Parameters.Parameter.N of a request on group g and checks
// each against the family's catalog: it must exist and be modifiable, take its value
// (unless reset), and be applied immediately only when it is dynamic. Every check comes
// before any change. It runs under the lock.
func readParameterChanges(p params, g *paramGroup, reset bool) ([]parameterChange, error) {
	var out []parameterChange
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Parameters.Parameter.%d.", i)
		if !p.has(prefix+"ParameterName") && !p.has(prefix+"ParameterValue") && !p.has(prefix+"ApplyMethod") {
			break
		}
		if i > maxParametersPerCall {
			return nil, newError(codeInvalidValue, "A maximum of %d parameters can be modified in a single request.", maxParametersPerCall)
		}
		c := parameterChange{name: p.str(prefix + "ParameterName"), value: p.str(prefix + "ParameterValue"), method: p.str(prefix + "ApplyMethod")}
		if c.name == "" {
			return nil, newError(codeInvalidValue, "The parameter ParameterName must be provided and must not be blank.")
		}
		param, ok := engineparams.Lookup(g.Family, c.name)
		if !ok {
			// RDS's words (hashicorp/terraform-provider-aws#522).
			return nil, newError(codeInvalidValue, "Could not find parameter with name: %s", c.name)
		}
		if !param.Modifiable {
			return nil, newError(codeInvalidValue, "The parameter %s cannot be modified.", c.name)
		}
		switch c.method {
		case applyImmediate, applyPendingReboot:
		default:
			return nil, newError(codeInvalidValue, "Invalid apply method for parameter %s: %q. Valid values are immediate and pending-reboot.", c.name, c.method)
		}
		if !reset {
			if err := param.Check(c.value); err != nil {
				return nil, newError(codeInvalidValue, "Invalid parameter value: %s for: %s allowed values are: %s", c.value, c.name, param.AllowedValues)
			}
		}
		c.static = param.Static
		if c.static && c.method == applyImmediate {
			// RDS's words (hashicorp/terraform-provider-aws#216, the raw error response).
			return nil, newError(codeInvalidCombination, "cannot use immediate apply method for static parameter")
		}
		out = append(out, c)
	}
	return out, nil
}

// changeableGroupLocked is the group of kind k named name that Modify and Reset may change:
// an existing one, not a default one. It runs under the lock.
func (e *Emulator) changeableGroupLocked(k groupKind, name string) (*paramGroup, error) {
	g, ok := e.groupLocked(k, name)
	if !ok {
		return nil, errGroupNotFound(k, name)
	}
	if g.isDefault() {
		return nil, errDefaultGroupModified()
	}
	return g, nil
}

// modifyGroup answers ModifyDBParameterGroup and ModifyDBClusterParameterGroup: the values
// join the group at once; immediate ones reach the servers that use the group at once
// too, pending-reboot ones at their next reboot (paramgroups_apply.go,
// cluster_paramgroups_apply.go).
func (e *Emulator) modifyGroup(k groupKind, p params) (any, string, error) {
	name, err := groupName(k, p)
	if err != nil {
		return nil, "", err
	}
	e.mu.Lock()
	g, err := e.changeableGroupLocked(k, name)
	if err != nil {
		e.mu.Unlock()
		return nil, name, err
	}
	changes, err := readParameterChanges(p, g, false)
	if err == nil && len(changes) == 0 {
		err = newError(codeMissingParameter, "The request must contain the parameter Parameters.")
	}
	if err != nil {
		e.mu.Unlock()
		return nil, name, err
	}
	now := map[string]string{}
	pendingReboot := false
	for _, c := range changes {
		g.Values[c.name], g.Methods[c.name] = c.value, c.method
		if c.method == applyImmediate {
			now[c.name] = c.value
		} else {
			pendingReboot = true
		}
	}
	g.generation++
	e.mu.Unlock()

	k.apply(e, name, now, pendingReboot)
	return k.named(name), name, nil
}

// resetGroup answers ResetDBParameterGroup and ResetDBClusterParameterGroup: the
// parameters named (every one with ResetAllParameters, or when none is named) go back to
// their engine default, with the apply rules of Modify; resetting the whole group applies
// dynamic ones at once and leaves static ones for the reboot, as RDS does.
func (e *Emulator) resetGroup(k groupKind, p params) (any, string, error) {
	name, err := groupName(k, p)
	if err != nil {
		return nil, "", err
	}
	all, err := p.boolean("ResetAllParameters")
	if err != nil {
		return nil, name, err
	}
	e.mu.Lock()
	g, err := e.changeableGroupLocked(k, name)
	if err != nil {
		e.mu.Unlock()
		return nil, name, err
	}
	changes, err := readParameterChanges(p, g, true)
	if err != nil {
		e.mu.Unlock()
		return nil, name, err
	}
	if deref(all) || len(changes) == 0 {
		changes = changes[:0]
		for n := range g.Values {
			param, _ := engineparams.Lookup(g.Family, n)
			method := applyImmediate
			if param.Static {
				method = applyPendingReboot
			}
			changes = append(changes, parameterChange{name: n, method: method, static: param.Static})
		}
	}
	now := map[string]string{}
	pendingReboot := false
	for _, c := range changes {
		if _, set := g.Values[c.name]; !set {
			continue
		}
		delete(g.Values, c.name)
		delete(g.Methods, c.name)
		if c.method == applyImmediate {
			now[c.name] = ""
		} else {
			pendingReboot = true
		}
	}
	g.generation++
	e.mu.Unlock()

	k.apply(e, name, now, pendingReboot)
	return k.named(name), name, nil
}
