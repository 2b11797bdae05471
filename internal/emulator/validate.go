package emulator

import "strings"

// validIdentifier reports whether id follows RDS's rules for instance and snapshot
// identifiers: 1-63 letters, digits or hyphens, a letter first, no trailing hyphen and no
// two hyphens in a row.
func validIdentifier(id string) bool {
	if len(id) < 1 || len(id) > 63 || !isLetter(id[0]) || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isLetter(id[i]) && !isDigit(id[i]) && id[i] != '-' {
			return false
		}
	}
	return true
}

// checkIdentifier validates an instance or snapshot identifier for parameter name.
func checkIdentifier(name, id string) error {
	if id == "" {
		return newError(codeMissingParameter, "The request must contain the parameter %s.", name)
	}
	if !validIdentifier(id) {
		return newError(codeInvalidValue, "The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", name)
	}
	return nil
}

// checkMasterUsername applies RDS's rules for a master user name.
func checkMasterUsername(name string) error {
	if name == "" {
		return newError(codeInvalidValue, "The parameter MasterUsername must be provided and must not be blank.")
	}
	ok := len(name) <= 16 && isLetter(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = isLetter(name[i]) || isDigit(name[i]) || name[i] == '_'
	}
	if !ok {
		return newError(codeInvalidValue, "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must be 1 to 16 characters long.")
	}
	if reservedUser(name) {
		return newError(codeInvalidValue, "MasterUsername %s cannot be used as it is a reserved word used by the engine", name)
	}
	return nil
}

// reservedUser reports names the engine or RDS keep for themselves.
func reservedUser(name string) bool {
	switch strings.ToLower(name) {
	case "rdsadmin", "rds_superuser", "postgres", "rdsrepladmin", "public", "admin_rds", "root_rds":
		return true
	}
	return false
}

// checkPassword applies RDS's rules for a master password: printable ASCII except '/',
// '"', '@' and space, 8-128 characters (8-41 for MySQL and MariaDB). The message never
// repeats the password.
func checkPassword(engine, pw string) error {
	max := 128
	if engine == "mysql" || engine == "mariadb" {
		max = 41
	}
	if len(pw) < 8 || len(pw) > max {
		return newError(codeInvalidValue, "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters or longer than %d.", max)
	}
	for i := 0; i < len(pw); i++ {
		c := pw[i]
		if c <= ' ' || c > '~' || c == '/' || c == '"' || c == '@' {
			return newError(codeInvalidValue, "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.")
		}
	}
	return nil
}

// checkDBName applies the rules for the initial database name: letters, digits or
// underscores, a letter first, 1-63 characters for PostgreSQL and 1-64 for MySQL and
// MariaDB, and not a name the engine keeps for itself.
func checkDBName(engine, name string) error {
	max := 63
	if engine == "mysql" || engine == "mariadb" {
		max = 64
	}
	ok := len(name) >= 1 && len(name) <= max && isLetter(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = isLetter(name[i]) || isDigit(name[i]) || name[i] == '_'
	}
	lower := strings.ToLower(name)
	switch engine {
	case "mysql", "mariadb":
		ok = ok && lower != "mysql" && lower != "information_schema" && lower != "performance_schema" && lower != "sys" && lower != "rdsadmin"
	default:
		ok = ok && lower != "postgres" && lower != "rdsadmin" && !strings.HasPrefix(lower, "template")
	}
	if !ok {
		return newError(codeInvalidValue, "The parameter DBName is not a valid database name.")
	}
	return nil
}

// storageLimits returns the allocated storage range in GiB for a storage type.
func storageLimits(storageType string) (min, max int, ok bool) {
	switch storageType {
	case "gp2", "gp3":
		return 20, 65536, true
	case "io1", "io2":
		return 100, 65536, true
	case "standard":
		return 5, 3072, true
	}
	return 0, 0, false
}

// checkStorage validates allocated storage for a storage type.
func checkStorage(engine, storageType string, gib int) error {
	min, max, ok := storageLimits(storageType)
	if !ok {
		return newError(codeInvalidValue, "Invalid storage type: %s", storageType)
	}
	if gib < min || gib > max {
		// RDS answers a size out of range with InvalidParameterCombination (public evidence:
		// convox/rack#2846).
		return newError(codeInvalidCombination, "Invalid storage size for engine name %s and storage type %s: %d", engine, storageType, gib)
	}
	return nil
}

// maxIOPSPerGiB is the most IOPS RDS provisions per GiB of io1 and io2 storage.
var maxIOPSPerGiB = map[string]int{"io1": 50, "io2": 1000}

// gp3's provisioned performance for MySQL, MariaDB and PostgreSQL from 400 GiB (RDS User
// Guide, "General Purpose SSD storage"): IOPS 12,000-64,000, throughput 500-4,000 MiB/s,
// and at most 0.25 MiB/s of throughput per IOPS. What is not provisioned is the baseline,
// 12,000 IOPS and 500 MiB/s, and counts in the ratio.
const (
	gp3MinIOPS, gp3MaxIOPS             = 12000, 64000
	gp3MinThroughput, gp3MaxThroughput = 500, 4000
)

// checkProvisioned applies RDS's rules for provisioned IOPS and throughput (0: not asked):
// io1 and io2 need IOPS (1,000 to 256,000, at most 50 or 1,000 per GiB; io1 at least 0.5
// per GiB) and take no throughput; gp3 takes either only from 400 GiB (below it has a
// fixed baseline), and then only in gp3's ranges; gp2 and magnetic take neither. The
// messages are RDS's where known (docs/rds-emulator-errors.md says which are not).
func checkProvisioned(engine, storageType string, gib, iops, throughput int) error {
	switch storageType {
	case "io1", "io2":
		if iops == 0 {
			return newError(codeInvalidCombination, "The storage type %s requires iops to be specified.", storageType)
		}
		tooFew := storageType == "io1" && iops*2 < gib
		if iops < 1000 || iops > 256000 || iops > maxIOPSPerGiB[storageType]*gib || tooFew {
			return newError(codeInvalidCombination, "Invalid iops to storage (GB) ratio for engine name %s and storage type %s: %.4f", engine, storageType, float64(iops)/float64(gib))
		}
		if throughput != 0 {
			return newError(codeInvalidCombination, "You can't specify storage throughput for storage type %s.", storageType)
		}
	case "gp3":
		if iops == 0 && throughput == 0 {
			return nil
		}
		if gib < 400 {
			return newError(codeInvalidCombination, "You can't specify IOPS or storage throughput for engine %s and a storage size less than 400.", engine)
		}
		if iops != 0 && (iops < gp3MinIOPS || iops > gp3MaxIOPS) {
			return newError(codeInvalidCombination, "Invalid iops value for engine name %s and storage type gp3: %d", engine, iops)
		}
		if throughput != 0 && (throughput < gp3MinThroughput || throughput > gp3MaxThroughput) {
			return newError(codeInvalidCombination, "Invalid storage throughput value for engine name %s and storage type gp3: %d", engine, throughput)
		}
		effIOPS, effThroughput := reportedIOPS("gp3", gib, iops), reportedThroughput("gp3", gib, throughput)
		if effThroughput*4 > effIOPS {
			return newError(codeInvalidCombination, "Invalid storage throughput to iops ratio for engine name %s and storage type gp3: %.4f", engine, float64(effThroughput)/float64(effIOPS))
		}
	default:
		if iops != 0 || throughput != 0 {
			return newError(codeInvalidCombination, "You can't specify IOPS or storage throughput for storage type %s.", storageType)
		}
	}
	return nil
}

// reportedIOPS is the IOPS RDS reports for storage: what was provisioned, else gp3's
// baseline (3,000 below 400 GiB, 12,000 from it); 0 (not reported) for gp2 and magnetic.
func reportedIOPS(storageType string, gib, provisioned int) int {
	switch {
	case provisioned > 0:
		return provisioned
	case storageType == "gp3" && gib < 400:
		return 3000
	case storageType == "gp3":
		return 12000
	}
	return 0
}

// reportedThroughput is the throughput (MiB/s) RDS reports for storage: what was
// provisioned, else gp3's baseline (125 below 400 GiB, 500 from it); 0 for other types.
func reportedThroughput(storageType string, gib, provisioned int) int {
	switch {
	case provisioned > 0:
		return provisioned
	case storageType == "gp3" && gib < 400:
		return 125
	case storageType == "gp3":
		return 500
	}
	return 0
}

// nonzero is n for the wire, nil (not rendered) when it is 0.
func nonzero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// grownStorage returns the storage RDS ends up with when asked to grow from current to
// requested: an increase of less than 10% is rounded up to 10%.
func grownStorage(current, requested int) int {
	least := (current*110 + 99) / 100
	if requested < least {
		return least
	}
	return requested
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// derivedStorage returns the storage type and size of an instance made from another (a read
// replica of its source, a restore of a snapshot): the base's unless the request asks for
// more, never less than the base has.
func derivedStorage(engine, baseType string, baseSize int, askedType string, askedSize *int, base string) (string, int, error) {
	storageType, size := baseType, baseSize
	if askedType != "" {
		storageType = askedType
	}
	if askedSize != nil {
		if *askedSize < baseSize {
			return "", 0, newError(codeInvalidValue, "The allocated storage %d GiB is less than the %d GiB of %s.", *askedSize, baseSize, base)
		}
		size = *askedSize
	}
	if err := checkStorage(engine, storageType, size); err != nil {
		return "", 0, err
	}
	return storageType, size, nil
}
