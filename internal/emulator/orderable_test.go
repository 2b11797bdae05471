package emulator

import "testing"

func TestCheckInstanceClass(t *testing.T) {
	cases := []struct {
		reason, engine, class string
		ok                    bool
	}{
		{"The smallest burstable class is offered for PostgreSQL.", "postgres", "db.t4g.micro", true},
		{"A current memory optimised class is offered for MySQL.", "mysql", "db.r7g.16xlarge", true},
		{"A typo is no class.", "postgres", "db.t4g.micr", false},
		{"db.t2 is no longer offered.", "mariadb", "db.t2.micro", false},
		{"A size a family does not have is not offered.", "postgres", "db.m7g.micro", false},
		{"Aurora has no micro instances.", "aurora-postgresql", "db.t4g.micro", false},
		{"Aurora's smallest burstable class is medium.", "aurora-mysql", "db.t4g.medium", true},
		{"Aurora Serverless v2 instances are db.serverless.", "aurora-postgresql", "db.serverless", true},
		{"Aurora has no general purpose m classes.", "aurora-postgresql", "db.m7g.large", false},
		{"db.serverless is Aurora's only.", "postgres", "db.serverless", false},
	}
	for _, tc := range cases {
		err := checkInstanceClass(tc.engine, "17", tc.class)
		if (err == nil) != tc.ok {
			t.Errorf("%s\n%s on %s: %v, want offered %t", tc.reason, tc.class, tc.engine, err, tc.ok)
		}
		if err != nil && err.(*apiError).Code != codeInvalidCombination {
			t.Errorf("%s\ncode %s, want %s as RDS answers", tc.reason, err.(*apiError).Code, codeInvalidCombination)
		}
	}
}

func TestClassOffersVersion(t *testing.T) {
	cases := []struct {
		reason, engine, class, version string
		ok                             bool
	}{
		{"Provisioned classes do not depend on the version.", "aurora-postgresql", "db.r7g.large", "12.9", true},
		{"Aurora PostgreSQL 13 offers db.serverless from 13.6.", "aurora-postgresql", "db.serverless", "13.6", true},
		{"13.4 is older than Serverless v2.", "aurora-postgresql", "db.serverless", "13.4", false},
		{"14.3 is Serverless v2's first 14.", "aurora-postgresql", "db.serverless", "14.3", true},
		{"A major alone means its newest minor.", "aurora-postgresql", "db.serverless", "13", true},
		{"Every 15 and later offers it.", "aurora-postgresql", "db.serverless", "15.2", true},
		{"12 never had Serverless v2.", "aurora-postgresql", "db.serverless", "12.22", false},
		{"Aurora MySQL offers it from 3.02.0.", "aurora-mysql", "db.serverless", "8.0.mysql_aurora.3.02.0", true},
		{"Aurora MySQL 3.01 is older.", "aurora-mysql", "db.serverless", "8.0.mysql_aurora.3.01.1", false},
		{"Aurora MySQL 2 never had it.", "aurora-mysql", "db.serverless", "5.7.mysql_aurora.2.12.1", false},
	}
	for _, tc := range cases {
		err := checkInstanceClass(tc.engine, tc.version, tc.class)
		if (err == nil) != tc.ok {
			t.Errorf("%s\n%s on %s %s: %v, want offered %t", tc.reason, tc.class, tc.engine, tc.version, err, tc.ok)
		}
	}
}
