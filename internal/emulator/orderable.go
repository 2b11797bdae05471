package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// Instance classes RDS offers for new DB instances of MySQL, MariaDB and PostgreSQL, by
// family and size, as RDS's DescribeOrderableDBInstanceOptions lists them for current
// versions: the burstable t3 and t4g, and the general purpose and memory optimised m5, m6g,
// m6i, m7g, r5, r6g, r6i and r7g families. Older families (t2, m4, r4) are no longer offered
// for current versions.
var (
	burstableSizes = []string{"micro", "small", "medium", "large", "xlarge", "2xlarge"}
	standardSizes  = []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"}
	classFamilies  = map[string][]string{
		"t3": burstableSizes, "t4g": burstableSizes,
		"m5": standardSizes, "m6g": standardSizes, "m6i": standardSizes, "m7g": standardSizes,
		"r5": standardSizes, "r6g": standardSizes, "r6i": standardSizes, "r7g": standardSizes,
	}
)

// orderable reports whether RDS offers class for a new DB instance of engine. Aurora
// instances (no micro or small sizes, and db.serverless) are checked by orderableAurora.
func orderable(class string) bool {
	family, size, ok := strings.Cut(strings.TrimPrefix(class, "db."), ".")
	return ok && strings.HasPrefix(class, "db.") && slices.Contains(classFamilies[family], size)
}

// orderableAurora reports whether RDS offers class for an Aurora DB instance: db.serverless,
// the t3 and t4g medium and large sizes, and the r families.
func orderableAurora(class string) bool {
	if class == "db.serverless" {
		return true
	}
	family, size, ok := strings.Cut(strings.TrimPrefix(class, "db."), ".")
	if !ok || !strings.HasPrefix(class, "db.") {
		return false
	}
	switch family {
	case "t3", "t4g":
		return size == "medium" || size == "large"
	case "r5", "r6g", "r6i", "r7g":
		return slices.Contains(standardSizes, size)
	}
	return false
}

// licenseModel is the license model RDS reports for an engine.
func licenseModel(engine string) string {
	if strings.Contains(engine, "postgres") {
		return "postgresql-license"
	}
	return "general-public-license"
}

// checkInstanceClass refuses a class RDS does not offer for the engine, in RDS's words.
func checkInstanceClass(engine, version, class string) error {
	ok := orderable(class)
	if strings.HasPrefix(engine, "aurora") {
		ok = orderableAurora(class)
	}
	if ok {
		return nil
	}
	return newError(codeInvalidCombination, "RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.",
		class, engine, version, licenseModel(engine))
}

// orderableStorageTypes are the storage types every orderable class offers.
var orderableStorageTypes = []string{"gp2", "gp3", "io1", "io2", "standard"}

type xmlOrderableOption struct {
	Engine                    string
	EngineVersion             string
	DBInstanceClass           string
	LicenseModel              string
	StorageType               string
	MultiAZCapable            bool
	ReadReplicaCapable        bool
	Vpc                       bool
	SupportsStorageEncryption bool
	SupportsIops              bool
	SupportsStorageThroughput bool
	MinStorageSize            int
	MaxStorageSize            int
}

// describeOrderable answers DescribeOrderableDBInstanceOptions: for an engine (required),
// optionally one version and one class, every class RDS offers with every storage type.
func (e *Emulator) describeOrderable(p params) (any, string, error) {
	engine := p.str("Engine")
	if engine == "" {
		return nil, "", newError(codeMissingParameter, "The request must contain the parameter Engine.")
	}
	if _, ok := engineVersions[engine]; !ok {
		return nil, "", newError(codeInvalidValue, "Invalid DB engine: %s", engine)
	}
	version, class := p.str("EngineVersion"), p.str("DBInstanceClass")
	max, err := p.maxRecords()
	if err != nil {
		return nil, "", err
	}
	var classes []string
	for family, sizes := range classFamilies {
		for _, size := range sizes {
			classes = append(classes, "db."+family+"."+size)
		}
	}
	slices.Sort(classes)
	var keys []string
	rows := map[string]xmlOrderableOption{}
	for i, v := range versionsOf(engine) {
		if version != "" && v != version && majorOf(engine, v) != version {
			continue
		}
		for j, c := range classes {
			if class != "" && c != class {
				continue
			}
			for k, st := range orderableStorageTypes {
				min, max, _ := storageLimits(st)
				key := fmt.Sprintf("%04d/%04d/%d", i, j, k)
				keys = append(keys, key)
				rows[key] = xmlOrderableOption{
					Engine: engine, EngineVersion: v, DBInstanceClass: c, LicenseModel: licenseModel(engine), StorageType: st,
					MultiAZCapable: true, ReadReplicaCapable: true, Vpc: true, SupportsStorageEncryption: true,
					SupportsIops: st == "io1" || st == "io2" || st == "gp3", SupportsStorageThroughput: st == "gp3",
					MinStorageSize: min, MaxStorageSize: max,
				}
			}
		}
	}
	items, next := pageOf(rows, keys, p.str("Marker"), max)
	return struct {
		OrderableDBInstanceOptions []xmlOrderableOption `xml:"OrderableDBInstanceOptions>OrderableDBInstanceOption"`
		Marker                     string               `xml:",omitempty"`
	}{items, next}, "", nil
}
