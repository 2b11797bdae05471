package engineparams

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEmbeddedCatalogs(t *testing.T) {
	c, err := readCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for name, cat := range c {
		if len(cat.params) == 0 {
			t.Errorf("catalog %s is empty", name)
		}
		for _, p := range cat.params {
			switch p.DataType {
			case TypeString, TypeInteger, TypeBoolean, TypeFloat, TypeList:
			default:
				t.Errorf("catalog %s: %s has data type %q", name, p.Name, p.DataType)
			}
			// The engine's default must pass the catalog's own check, else the emulator
			// would refuse what RDS shows.
			if p.Default != "" && p.DataType != TypeString && p.DataType != TypeList {
				if err := p.Check(p.Default); err != nil {
					t.Errorf("catalog %s: default of %s: %v", name, p.Name, err)
				}
			}
		}
	}
}

func TestCatalogFamilies(t *testing.T) {
	cases := map[string]struct {
		reason     string
		family     string
		want       bool
		wantEngine string
	}{
		"postgres":           {reason: "an RDS for PostgreSQL family has its major's catalog", family: "postgres16", want: true, wantEngine: "PostgreSQL 16."},
		"postgres newest":    {reason: "every major hack/postgres.sh fetches has a catalog", family: "postgres18", want: true, wantEngine: "PostgreSQL 18."},
		"aurora postgresql":  {reason: "Aurora PostgreSQL shares the catalog of its major", family: "aurora-postgresql15", want: true, wantEngine: "PostgreSQL 15."},
		"mysql":              {reason: "MariaDB stands in for MySQL", family: "mysql8.0", want: true, wantEngine: "MariaDB "},
		"mysql 8.4":          {reason: "MariaDB stands in for MySQL 8.4", family: "mysql8.4", want: true, wantEngine: "MariaDB "},
		"mariadb":            {reason: "a MariaDB family", family: "mariadb10.11", want: true, wantEngine: "MariaDB "},
		"aurora mysql":       {reason: "MariaDB stands in for Aurora MySQL", family: "aurora-mysql8.0", want: true, wantEngine: "MariaDB "},
		"postgres no build":  {reason: "a major without a catalog is unknown", family: "postgres9", want: false},
		"oracle":             {reason: "engines the emulator does not run are unknown", family: "oracle-ee-19", want: false},
		"empty":              {reason: "no family", family: "", want: false},
		"postgres no number": {reason: "a family needs its major", family: "postgres", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			params, ok := Catalog(tc.family)
			if ok != tc.want {
				t.Fatalf("%s\nCatalog(%q): ok %v, want %v", tc.reason, tc.family, ok, tc.want)
			}
			if !ok {
				return
			}
			if len(params) == 0 {
				t.Errorf("%s\nCatalog(%q) is empty", tc.reason, tc.family)
			}
			for i := 1; i < len(params); i++ {
				if params[i-1].Name >= params[i].Name {
					t.Fatalf("%s\nCatalog(%q) not sorted: %s before %s", tc.reason, tc.family, params[i-1].Name, params[i].Name)
				}
			}
			if got := loadCatalogs()[catalogName(tc.family)].engine; !strings.HasPrefix(got, tc.wantEngine) {
				t.Errorf("%s\nCatalog(%q) read from %q, want %q...", tc.reason, tc.family, got, tc.wantEngine)
			}
		})
	}
}

func TestCatalogIsTheCallers(t *testing.T) {
	params, _ := Catalog("postgres17")
	params[0].Name = "changed"
	again, _ := Catalog("postgres17")
	if again[0].Name == "changed" {
		t.Errorf("a change to a returned catalog showed in the next Catalog call")
	}
}

func TestLookup(t *testing.T) {
	cases := map[string]struct {
		reason string
		family string
		name   string
		want   Parameter
		wantOK bool
	}{
		"postgres static": {
			reason: "max_connections is read at server start: static, an integer range in RDS's form",
			family: "postgres17", name: "max_connections", wantOK: true,
			want: Parameter{Name: "max_connections", Default: "100", DataType: TypeInteger, AllowedValues: "1-262143", Static: true, Modifiable: true, Description: "Sets the maximum number of concurrent connections."},
		},
		"postgres dynamic with unit": {
			reason: "work_mem changes on reload; its unit leads the description as on RDS",
			family: "postgres17", name: "work_mem", wantOK: true,
			want: Parameter{Name: "work_mem", Default: "4096", DataType: TypeInteger, AllowedValues: "64-2147483647", Modifiable: true, Description: "(kB) Sets the maximum memory to be used for query workspaces."},
		},
		"postgres boolean": {
			reason: "RDS shows PostgreSQL booleans as 0,1",
			family: "postgres16", name: "enable_seqscan", wantOK: true,
			want: Parameter{Name: "enable_seqscan", Default: "1", DataType: TypeBoolean, AllowedValues: "0,1", Modifiable: true, Description: "Enables the planner's use of sequential-scan plans."},
		},
		"postgres reserved": {
			reason: "the port is RDS's: listed, not modifiable",
			family: "postgres15", name: "port", wantOK: true,
			want: Parameter{Name: "port", Default: "5432", DataType: TypeInteger, AllowedValues: "1-65535", Static: true, Description: "Sets the TCP port the server listens on."},
		},
		"mysql dynamic": {
			reason: "innodb_lock_wait_timeout is a dynamic integer of MariaDB, standing in for MySQL",
			family: "mysql8.0", name: "innodb_lock_wait_timeout", wantOK: true,
			want: Parameter{Name: "innodb_lock_wait_timeout", Default: "50", DataType: TypeInteger, AllowedValues: "0-100000000", Modifiable: true,
				Description: "Timeout in seconds an InnoDB transaction may wait for a lock before being rolled back. The value 100000000 is infinite timeout."},
		},
		"unknown parameter": {reason: "a name the engine lacks", family: "postgres17", name: "no_such_parameter"},
		"unknown family":    {reason: "a family without a catalog", family: "sqlserver-ee-16.0", name: "max_connections"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Lookup(tc.family, tc.name)
			if ok != tc.wantOK {
				t.Fatalf("%s\nLookup(%q, %q): ok %v, want %v", tc.reason, tc.family, tc.name, ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nLookup(%q, %q): -want +got:\n%s", tc.reason, tc.family, tc.name, diff)
			}
		})
	}
}

func TestReservedAreNotModifiable(t *testing.T) {
	for _, tc := range []struct {
		families []string
		reserved map[string]bool
	}{
		{families: []string{"postgres14", "postgres15", "postgres16", "postgres17", "postgres18"}, reserved: postgresReserved},
		{families: []string{"mariadb10.11"}, reserved: mariadbReserved},
	} {
		seen := map[string]bool{}
		for _, family := range tc.families {
			params, ok := Catalog(family)
			if !ok {
				t.Fatalf("no catalog of %s", family)
			}
			for _, p := range params {
				if tc.reserved[p.Name] {
					seen[p.Name] = true
					if p.Modifiable {
						t.Errorf("%s: %s is reserved to RDS but modifiable in the checked-in catalog (regenerate it)", family, p.Name)
					}
				}
			}
		}
		for n := range tc.reserved {
			if !seen[n] {
				t.Errorf("reserved %s is a parameter of none of %v (a typo?)", n, tc.families)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	integer := Parameter{Name: "max_connections", DataType: TypeInteger, AllowedValues: "1-262143"}
	negative := Parameter{Name: "log_min_duration_statement", DataType: TypeInteger, AllowedValues: "-1-2147483647"}
	unsigned := Parameter{Name: "max_binlog_cache_size", DataType: TypeInteger, AllowedValues: "4096-18446744073709547520"}
	float := Parameter{Name: "random_page_cost", DataType: TypeFloat, AllowedValues: "0-1.79769e+308"}
	fraction := Parameter{Name: "sample_rate", DataType: TypeFloat, AllowedValues: "0-1"}
	boolean := Parameter{Name: "autovacuum", DataType: TypeBoolean, AllowedValues: "0,1"}
	enum := Parameter{Name: "log_min_messages", DataType: TypeString, AllowedValues: "debug1,info,warning,error"}
	free := Parameter{Name: "application_name", DataType: TypeString}
	list := Parameter{Name: "sql_mode", DataType: TypeList, AllowedValues: "ANSI_QUOTES,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION"}
	anyList := Parameter{Name: "shared_preload_libraries", DataType: TypeList}

	cases := map[string]struct {
		reason  string
		p       Parameter
		value   string
		wantErr string // a part of the error; "" for none
	}{
		"integer in range":         {reason: "a plain integer inside the range", p: integer, value: "200"},
		"integer at bounds":        {reason: "the bounds belong to the range", p: integer, value: "262143"},
		"integer below":            {reason: "below the minimum", p: integer, value: "0", wantErr: "outside the range 1-262143"},
		"integer above":            {reason: "above the maximum", p: integer, value: "262144", wantErr: "outside the range"},
		"integer with unit":        {reason: "RDS takes integers without units", p: integer, value: "100MB", wantErr: "not an integer"},
		"integer fraction":         {reason: "a fraction is no integer", p: integer, value: "1.5", wantErr: "not an integer"},
		"integer empty":            {reason: "an empty value is no integer", p: integer, value: "", wantErr: "not an integer"},
		"negative minimum":         {reason: "a range with a negative minimum parses at the right dash", p: negative, value: "-1"},
		"below negative":           {reason: "below a negative minimum", p: negative, value: "-2", wantErr: "outside the range"},
		"unsigned 64-bit":          {reason: "64-bit unsigned bounds compare exactly", p: unsigned, value: "18446744073709547520"},
		"beyond unsigned 64-bit":   {reason: "one past a 64-bit unsigned bound", p: unsigned, value: "18446744073709547521", wantErr: "outside the range"},
		"float":                    {reason: "a decimal inside the range", p: float, value: "1.1"},
		"float integer":            {reason: "an integer is a float too", p: float, value: "4"},
		"float negative":           {reason: "below the minimum 0", p: float, value: "-0.5", wantErr: "outside the range"},
		"float not a number":       {reason: "words are no number", p: float, value: "fast", wantErr: "not a number"},
		"fraction above":           {reason: "above the maximum 1", p: fraction, value: "1.01", wantErr: "outside the range 0-1"},
		"boolean one":              {reason: "RDS booleans are 0 or 1", p: boolean, value: "1"},
		"boolean zero":             {reason: "RDS booleans are 0 or 1", p: boolean, value: "0"},
		"boolean word":             {reason: "RDS does not take on/off for a boolean parameter", p: boolean, value: "on", wantErr: `"on" is not one of 0,1`},
		"enum":                     {reason: "a listed value", p: enum, value: "warning"},
		"enum case":                {reason: "the engines take enum values in any case", p: enum, value: "WARNING"},
		"enum unknown":             {reason: "an unlisted value", p: enum, value: "loud", wantErr: "not one of debug1,info,warning,error"},
		"free string":              {reason: "a string without listed values takes anything", p: free, value: "it's mine"},
		"list":                     {reason: "every item listed", p: list, value: "ANSI_QUOTES, STRICT_TRANS_TABLES"},
		"list empty":               {reason: "an empty list is a list", p: list, value: ""},
		"list unknown item":        {reason: "one item not listed", p: list, value: "ANSI_QUOTES,NO_SUCH_MODE", wantErr: `item "NO_SUCH_MODE"`},
		"list without allowed":     {reason: "a list without listed items takes any", p: anyList, value: "pg_stat_statements,auto_explain"},
		"error names parameter":    {reason: "the error names the parameter", p: integer, value: "x", wantErr: "parameter max_connections:"},
		"unknown data type":        {reason: "a parameter of no known type takes nothing", p: Parameter{Name: "odd", DataType: "blob"}, value: "x", wantErr: "unknown data type"},
		"integer list of values":   {reason: "AllowedValues may list integers rather than a range", p: Parameter{Name: "n", DataType: TypeInteger, AllowedValues: "1,2,4"}, value: "4"},
		"integer not in list":      {reason: "an integer not in the listed ones", p: Parameter{Name: "n", DataType: TypeInteger, AllowedValues: "1,2,4"}, value: "3", wantErr: "not one of 1,2,4"},
		"integer without allowed":  {reason: "an integer without a range takes any integer", p: Parameter{Name: "n", DataType: TypeInteger}, value: "-7"},
		"integer spaces":           {reason: "no spaces around a number", p: integer, value: " 5", wantErr: "not an integer"},
		"float exponent in bounds": {reason: "exponent form inside the range", p: float, value: "1e3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.p.Check(tc.value)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s\nCheck(%q): %v, want no error", tc.reason, tc.value, err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("%s\nCheck(%q): no error, want one containing %q", tc.reason, tc.value, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("%s\nCheck(%q): %v, want an error containing %q", tc.reason, tc.value, err, tc.wantErr)
			}
		})
	}
}
