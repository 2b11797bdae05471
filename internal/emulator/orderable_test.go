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
