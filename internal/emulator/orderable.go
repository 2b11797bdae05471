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

// checkInstanceClass refuses a class RDS does not offer for the engine, or not for its
// version, in RDS's words: RDS's one message lists the class, the engine and the version
// whichever of them is at fault (elastic/beats#38473, aws-quickstart/quickstart-awx#47). Where the
// class is offered for the engine but not for this version, the emulator adds a sentence
// saying so, so that a client can tell the user to change the version, not the class.
func checkInstanceClass(engine, version, class string) error {
	ok := orderable(class)
	if strings.HasPrefix(engine, "aurora") {
		ok = orderableAurora(class)
	}
	refusal := fmt.Sprintf("RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and database engine version, see the documentation.",
		class, engine, version, licenseModel(engine))
	if !ok {
		return newError(codeInvalidCombination, "%s", refusal)
	}
	if least, offered := classOffersVersion(engine, class, version); !offered {
		return newError(codeInvalidCombination, "%s The engine version is not supported with this instance class: %s needs %s %s or later.", refusal, class, engine, least)
	}
	return nil
}

// serverlessMinimum is, per Aurora engine and major, the oldest version that offers
// db.serverless (Aurora Serverless v2), as AWS's "Supported Regions and Aurora DB engines
// for Aurora Serverless v2" lists it for us-east-1: Aurora MySQL 3.02.0, Aurora PostgreSQL
// 13.6, 14.3 and every version of 15 and later. Majors not listed offer none.
var serverlessMinimum = map[string]map[string]string{
	"aurora-mysql":      {"8.0": "8.0.mysql_aurora.3.02.0"},
	"aurora-postgresql": {"13": "13.6", "14": "14.3"},
}

// classOffersVersion reports whether a class RDS offers for an engine is offered for this
// version of it and, when not, the oldest version that is. Only db.serverless depends on
// the version among the classes the emulator knows.
func classOffersVersion(engine, class, version string) (least string, ok bool) {
	if class != "db.serverless" {
		return "", true
	}
	switch engine {
	case "aurora-mysql":
		least := serverlessMinimum[engine]["8.0"]
		v, min := auroraMySQLParts(version), auroraMySQLParts(least)
		return least, v != nil && v[0] == 8 && compareVersions(v, min) >= 0
	case "aurora-postgresql":
		v, parsed := parseVersion(version)
		least := serverlessMinimum[engine]["13"]
		if !parsed {
			return least, false
		}
		if v[0] >= 15 {
			return "", true
		}
		min, listed := serverlessMinimum[engine][fmt.Sprint(v[0])]
		if !listed {
			return least, false
		}
		m, _ := parseVersion(min)
		// A major alone ("14") means its newest minor, which is offered.
		return min, len(v) == 1 || compareVersions(v, m) >= 0
	}
	return "", true
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
