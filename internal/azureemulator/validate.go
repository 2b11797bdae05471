package azureemulator

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ARM's tag limits.
const (
	maxTags     = 50
	maxTagName  = 512
	maxTagValue = 256
)

// Enumerations the providers take.
const (
	enabled  = "Enabled"
	disabled = "Disabled"

	tierBurstable       = "Burstable"
	tierGeneralPurpose  = "GeneralPurpose"
	tierMemoryOptimized = "MemoryOptimized"

	haDisabled      = "Disabled"
	haZoneRedundant = "ZoneRedundant"
	haSameZone      = "SameZone"
)

var (
	// serverName: 3 to 63 lowercase letters, digits and hyphens, no hyphen at either end.
	serverName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	// skuName matches Azure's VM-style compute names: Standard_B1ms, Standard_D4ds_v5,
	// Standard_E2ads_v5. The letter is the family, the number the vCores.
	skuName = regexp.MustCompile(`^Standard_([A-Z])(\d+)[a-z]*(_v\d+)?$`)
	// loginName: letters, digits and underscores, not starting with a digit.
	loginName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// apiVersionShape is a date, optionally a preview.
	apiVersionShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`)
)

// tierOfFamily is the tier a compute family belongs to.
var tierOfFamily = map[string]string{"B": tierBurstable, "D": tierGeneralPurpose, "E": tierMemoryOptimized}

// window is a maintenance window as stored.
type window struct {
	custom                  string
	dayOfWeek, hour, minute int32
}

// spec is what clients set on a server: what a create sets and an update may change.
type spec struct {
	location    string
	sku         SKU
	version     string
	admin       string
	storageGB   int32
	autoGrow    string
	iops        int32
	retention   int32
	geoBackup   string
	haMode      string
	standbyZone string
	zone        string
	subnet      string
	dnsZone     string
	window      window
	tags        map[string]string
}

// vCores is the number of vCores of the spec's SKU.
func (s *spec) vCores() int {
	m := skuName.FindStringSubmatch(s.sku.Name)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// newSpec checks a create request and returns the server's settings, with the providers'
// defaults, and the administrator's password.
func newSpec(p *provider, req *Server) (spec, string, error) {
	if req.Location == "" {
		return spec{}, "", errLocationRequired()
	}
	props := req.Properties
	if props == nil {
		props = &ServerProperties{}
	}
	if err := checkCreateMode(p, props.CreateMode); err != nil {
		return spec{}, "", err
	}
	if req.SKU == nil || req.SKU.Name == "" || req.SKU.Tier == "" {
		return spec{}, "", errInvalidParameter("sku", "The sku name and tier are required.")
	}
	s := spec{
		location:  normalizeLocation(req.Location),
		version:   props.Version,
		admin:     props.AdministratorLogin,
		storageGB: p.defaultStorage,
		autoGrow:  p.defaultAutoGrow,
		retention: 7,
		geoBackup: disabled,
		haMode:    haDisabled,
		zone:      props.AvailabilityZone,
		window:    window{custom: disabled},
		tags:      maps.Clone(req.Tags),
	}
	if s.version == "" {
		s.version = p.defaultVersion
	}
	if !slices.Contains(p.versions, s.version) {
		return spec{}, "", errVersion(p, s.version)
	}
	if err := checkLogin(p, s.admin); err != nil {
		return spec{}, "", err
	}
	password := props.AdministratorLoginPassword
	if err := checkPassword(password, s.admin); err != nil {
		return spec{}, "", err
	}
	if s.zone == "" {
		s.zone = "1"
	}
	if !slices.Contains([]string{"1", "2", "3"}, s.zone) {
		return spec{}, "", errInvalidParameter("availabilityZone", "Use 1, 2 or 3.")
	}
	if b := props.Backup; b != nil && b.GeoRedundantBackup != "" {
		s.geoBackup = b.GeoRedundantBackup
		if s.geoBackup != enabled && s.geoBackup != disabled {
			return spec{}, "", errInvalidParameter("backup.geoRedundantBackup", "Use Enabled or Disabled.")
		}
	}
	if n := props.Network; n != nil {
		s.subnet = n.DelegatedSubnetResourceID
		s.dnsZone = n.PrivateDNSZoneArmResourceID
		if s.dnsZone == "" {
			s.dnsZone = n.PrivateDNSZoneResourceID
		}
	}
	if err := s.apply(p, req); err != nil {
		return spec{}, "", err
	}
	if p.engine == "mysql" && s.iops == 0 {
		s.iops = baseIops(s.storageGB)
	}
	return s, password, nil
}

// update checks an update request (a PATCH, or a PUT on an existing server when put is
// set) against the server's settings and returns the settings after it, and the new
// administrator password ("" when unchanged). Properties set only at creation may be
// repeated with their value, not changed.
func (s spec) update(p *provider, name, rg string, req *Server, put bool) (spec, string, error) {
	next := s
	next.tags = maps.Clone(s.tags)
	if req.Location != "" && normalizeLocation(req.Location) != s.location {
		if put {
			return spec{}, "", errLocationChange(name, rg, s.location, normalizeLocation(req.Location))
		}
		return spec{}, "", errInvalidParameter("location", "The location of a server cannot be changed.")
	}
	props := req.Properties
	if props == nil {
		props = &ServerProperties{}
	}
	if err := checkCreateMode(p, props.CreateMode); err != nil {
		return spec{}, "", err
	}
	fixed := []struct{ target, have, want string }{
		{"administratorLogin", s.admin, props.AdministratorLogin},
		{"version", s.version, props.Version},
		{"availabilityZone", s.zone, props.AvailabilityZone},
	}
	for _, f := range fixed {
		if f.want != "" && f.want != f.have {
			return spec{}, "", errInvalidParameter(f.target, "It cannot be changed after the server is created (it is %q).", f.have)
		}
	}
	if b := props.Backup; b != nil && b.GeoRedundantBackup != "" && b.GeoRedundantBackup != s.geoBackup {
		return spec{}, "", errInvalidParameter("backup.geoRedundantBackup", "Geo-redundant backup can only be chosen when the server is created.")
	}
	if req.SKU != nil && (req.SKU.Name != "" || req.SKU.Tier != "") {
		if req.SKU.Name == "" || req.SKU.Tier == "" {
			return spec{}, "", errInvalidParameter("sku", "The sku name and tier are required.")
		}
	}
	password := props.AdministratorLoginPassword
	if password != "" {
		if err := checkPassword(password, s.admin); err != nil {
			return spec{}, "", err
		}
	}
	if put && req.Tags == nil {
		next.tags = nil
	}
	if err := next.apply(p, req); err != nil {
		return spec{}, "", err
	}
	if next.storageGB < s.storageGB {
		return spec{}, "", errInvalidParameter("storage.storageSizeGB", "The storage size cannot be decreased (it is %d GB, %d GB was asked).", s.storageGB, next.storageGB)
	}
	return next, password, nil
}

// apply sets the changeable settings a request carries and checks the result.
func (s *spec) apply(p *provider, req *Server) error {
	if req.SKU != nil && req.SKU.Name != "" {
		s.sku = *req.SKU
	}
	if err := checkSKU(s.sku); err != nil {
		return err
	}
	if req.Tags != nil {
		s.tags = maps.Clone(req.Tags)
	}
	if err := checkTags(s.tags); err != nil {
		return err
	}
	props := req.Properties
	if props == nil {
		props = &ServerProperties{}
	}
	if st := props.Storage; st != nil {
		if st.StorageSizeGB != nil {
			s.storageGB = *st.StorageSizeGB
		}
		if st.AutoGrow != "" {
			s.autoGrow = st.AutoGrow
		}
		if st.Iops != nil {
			s.iops = *st.Iops
		}
	}
	if !p.storageAllowed(s.storageGB) {
		return errInvalidParameter("storage.storageSizeGB", "%s offers %s GB.", p.namespace, describeSizes(p))
	}
	if s.autoGrow != enabled && s.autoGrow != disabled {
		return errInvalidParameter("storage.autoGrow", "Use Enabled or Disabled.")
	}
	if s.iops < 0 {
		return errInvalidParameter("storage.iops", "IOPS cannot be negative.")
	}
	if b := props.Backup; b != nil && b.BackupRetentionDays != nil {
		s.retention = *b.BackupRetentionDays
	}
	if s.retention < p.minRetention || s.retention > p.maxRetention {
		return errInvalidParameter("backup.backupRetentionDays", "Backups are kept %d to %d days.", p.minRetention, p.maxRetention)
	}
	if ha := props.HighAvailability; ha != nil {
		if ha.Mode != "" {
			s.haMode = ha.Mode
		}
		if ha.StandbyAvailabilityZone != "" {
			s.standbyZone = ha.StandbyAvailabilityZone
		}
	}
	if !slices.Contains([]string{haDisabled, haZoneRedundant, haSameZone}, s.haMode) {
		return errInvalidParameter("highAvailability.mode", "Use Disabled, ZoneRedundant or SameZone.")
	}
	if s.haMode != haDisabled && s.sku.Tier == tierBurstable {
		return errInvalidParameter("highAvailability.mode", "High availability is not supported for the Burstable tier.")
	}
	if w := props.MaintenanceWindow; w != nil {
		if err := s.window.set(w); err != nil {
			return err
		}
	}
	return nil
}

// set applies a maintenance window a request carries.
func (w *window) set(req *MaintenanceWindow) error {
	if req.CustomWindow != "" {
		if req.CustomWindow != enabled && req.CustomWindow != disabled {
			return errInvalidParameter("maintenanceWindow.customWindow", "Use Enabled or Disabled.")
		}
		w.custom = req.CustomWindow
	}
	fields := []struct {
		target string
		v      *int32
		dst    *int32
		max    int32
	}{
		{"maintenanceWindow.dayOfWeek", req.DayOfWeek, &w.dayOfWeek, 6},
		{"maintenanceWindow.startHour", req.StartHour, &w.hour, 23},
		{"maintenanceWindow.startMinute", req.StartMinute, &w.minute, 59},
	}
	for _, f := range fields {
		if f.v == nil {
			continue
		}
		if *f.v < 0 || *f.v > f.max {
			return errInvalidParameter(f.target, "Use 0 to %d.", f.max)
		}
		*f.dst = *f.v
	}
	return nil
}

// checkCreateMode refuses the create modes that copy another server: the emulator makes
// new, empty servers only.
func checkCreateMode(p *provider, mode string) error {
	switch mode {
	case "", "Default":
		return nil
	case "Create", "Update":
		if p.engine == "postgres" {
			return nil
		}
	}
	return errInvalidParameter("createMode", "The emulator supports createMode Default only (PostgreSQL: also Create and Update).")
}

func checkSKU(sku SKU) error {
	if !slices.Contains([]string{tierBurstable, tierGeneralPurpose, tierMemoryOptimized}, sku.Tier) {
		return errInvalidParameter("sku.tier", "Use Burstable, GeneralPurpose or MemoryOptimized.")
	}
	m := skuName.FindStringSubmatch(sku.Name)
	if m == nil {
		return errInvalidParameter("sku.name", "The sku name %q is not a compute size such as Standard_B1ms or Standard_D2ds_v4.", sku.Name)
	}
	if tier := tierOfFamily[m[1]]; tier != sku.Tier {
		return errInvalidParameter("sku.name", "The sku %s is not offered in the %s tier.", sku.Name, sku.Tier)
	}
	return nil
}

// checkLogin checks an administrator login name.
func checkLogin(p *provider, login string) error {
	if login == "" {
		return errInvalidParameter("administratorLogin", "The administrator login is required to create a server.")
	}
	if len(login) > p.maxLoginLength || !loginName.MatchString(login) {
		return errInvalidParameter("administratorLogin", "Use 1 to %d letters, digits and underscores, not starting with a digit.", p.maxLoginLength)
	}
	lower := strings.ToLower(login)
	if slices.Contains(p.reservedLogins, lower) || (p.reservedPrefix != "" && strings.HasPrefix(lower, p.reservedPrefix)) {
		msg := "The admin login name cannot be " + quoteList(p.reservedLogins)
		if p.reservedPrefix != "" {
			msg += " or start with '" + p.reservedPrefix + "'"
		}
		return errInvalidParameter("administratorLogin", "%s.", msg)
	}
	return nil
}

// checkPassword applies Azure's complexity rule: 8 to 128 characters from three of the
// four categories, without the login name or three consecutive alphanumeric characters
// of it.
func checkPassword(password, login string) error {
	n := len([]rune(password))
	if n < 8 || n > 128 {
		return errPasswordNotComplex()
	}
	var upper, lower, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	kinds := 0
	for _, k := range []bool{upper, lower, digit, other} {
		if k {
			kinds++
		}
	}
	if kinds < 3 || containsLoginPart(password, login) {
		return errPasswordNotComplex()
	}
	return nil
}

// containsLoginPart tells whether password holds three or more consecutive alphanumeric
// characters of login, case-insensitively.
func containsLoginPart(password, login string) bool {
	pw := strings.ToLower(password)
	for _, part := range strings.FieldsFunc(strings.ToLower(login), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		for i := 0; i+3 <= len(part); i++ {
			if strings.Contains(pw, part[i:i+3]) {
				return true
			}
		}
	}
	return false
}

// checkTags applies ARM's tag rules, in ARM's order.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errTooManyTags(len(tags))
	}
	var badChars, long, longValues []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if strings.TrimSpace(k) == "" {
			return errTagNameEmpty()
		}
		if strings.ContainsAny(k, `<>%&\?/`) || strings.ContainsFunc(k, unicode.IsControl) {
			badChars = append(badChars, k)
		}
		if len([]rune(k)) > maxTagName {
			long = append(long, k)
		}
		if len([]rune(tags[k])) > maxTagValue {
			longValues = append(longValues, tags[k])
		}
	}
	switch {
	case badChars != nil:
		return errTagNameCharacters(badChars)
	case long != nil:
		return errTagNameLength(long)
	case longValues != nil:
		return errTagValueLength(longValues)
	}
	return nil
}

// normalizeLocation is a location as ARM stores it: "West Europe" is westeurope.
func normalizeLocation(l string) string {
	return strings.ToLower(strings.ReplaceAll(l, " ", ""))
}

// baseIops is the IOPS a MySQL server gets for free with its storage.
func baseIops(gb int32) int32 { return 300 + 3*gb }

func describeSizes(p *provider) string {
	if p.storageSizes == nil {
		return strconv.Itoa(int(p.minStorage)) + " to " + strconv.Itoa(int(p.maxStorage))
	}
	var s []string
	for _, n := range p.storageSizes {
		s = append(s, strconv.Itoa(int(n)))
	}
	return strings.Join(s, ", ")
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}
