package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

func TestStorageEncryption(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	const account, region = "123456789012", "us-east-1"
	keyARN := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cases := map[string]struct {
		reason    string
		encrypted *bool
		key       string
		wantCode  string
		wantKey   string // "" = unencrypted; "arn" = an ARN of this account's key
	}{
		"Unencrypted":        {reason: "Without StorageEncrypted nothing is encrypted.", wantKey: ""},
		"DefaultKey":         {reason: "Encrypted without a key uses the account's default RDS key.", encrypted: aws.Bool(true), wantKey: "arn"},
		"KeyARN":             {reason: "A key ARN is reported as given.", encrypted: aws.Bool(true), key: keyARN, wantKey: keyARN},
		"KeyID":              {reason: "A key ID becomes the ARN of that key in this account.", encrypted: aws.Bool(true), key: "1234abcd-12ab-34cd-56ef-1234567890ab", wantKey: "arn:aws:kms:" + region + ":" + account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		"Alias":              {reason: "An alias is resolved to a key ARN, never reported as the alias.", encrypted: aws.Bool(true), key: "alias/rds-data", wantKey: "arn"},
		"KeyWithoutEncrypt":  {reason: "A key without StorageEncrypted is refused.", key: keyARN, wantCode: codeInvalidCombination},
		"MalformedKey":       {reason: "A key that is no KMS identifier is not accessible.", encrypted: aws.Bool(true), key: "my-key", wantCode: codeKMSKeyNotAccessible},
		"MalformedARN":       {reason: "An ARN of another service is not a KMS key.", encrypted: aws.Bool(true), key: "arn:aws:s3:::bucket", wantCode: codeKMSKeyNotAccessible},
		"UnknownAlias":       {reason: "An alias the account does not hold is not accessible.", encrypted: aws.Bool(true), key: "alias/doesnotexist", wantCode: codeKMSKeyNotAccessible},
		"UnknownKeyID":       {reason: "A key ID the account does not hold is not accessible.", encrypted: aws.Bool(true), key: "00000000-0000-0000-0000-000000000000", wantCode: codeKMSKeyNotAccessible},
		"OwnUnknownKeyARN":   {reason: "A key ARN of this account and region must exist too.", encrypted: aws.Bool(true), key: "arn:aws:kms:" + region + ":" + account + ":key/00000000-0000-0000-0000-000000000000", wantCode: codeKMSKeyNotAccessible},
		"ExplicitlyDisabled": {reason: "StorageEncrypted false is unencrypted.", encrypted: aws.Bool(false), wantKey: ""},
	}
	i := 0
	for name, tc := range cases {
		i++
		t.Run(name, func(t *testing.T) {
			in := createInput("enc-" + string(rune('a'+i)))
			in.StorageEncrypted = tc.encrypted
			if tc.key != "" {
				in.KmsKeyId = aws.String(tc.key)
			}
			_, err := c.CreateDBInstance(ctx, in)
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("%s\nCreateDBInstance: error code %q (%v), want %q", tc.reason, got, err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			got := describe(t, c, *in.DBInstanceIdentifier)
			if aws.ToBool(got.StorageEncrypted) != (tc.wantKey != "") {
				t.Errorf("%s\nStorageEncrypted = %v", tc.reason, aws.ToBool(got.StorageEncrypted))
			}
			key := aws.ToString(got.KmsKeyId)
			switch tc.wantKey {
			case "arn":
				if !kmsKeyARN.MatchString(key) {
					t.Errorf("%s\nKmsKeyId = %q, want a key ARN", tc.reason, key)
				}
			default:
				if key != tc.wantKey {
					t.Errorf("%s\nKmsKeyId = %q, want %q", tc.reason, key, tc.wantKey)
				}
			}
		})
	}
}

func TestSecurityGroupsAndPublicAccessChangeAtOnce(t *testing.T) {
	_, c := start(t, Config{NoEngine: true})
	ctx := context.Background()
	in := createInput("net")
	in.VpcSecurityGroupIds = []string{"sg-0a1b2c3d"}
	if _, err := c.CreateDBInstance(ctx, in); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	waitStatus(t, c, "net", "available", 5*time.Second)
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("net"),
		VpcSecurityGroupIds: []string{"sg-0123456789abcdef0", "sg-0a1b2c3d"}, PubliclyAccessible: aws.Bool(true)}); err != nil {
		t.Fatalf("ModifyDBInstance: %v", err)
	}
	got := describe(t, c, "net")
	var groups []string
	for _, g := range got.VpcSecurityGroups {
		groups = append(groups, aws.ToString(g.VpcSecurityGroupId))
	}
	if len(groups) != 2 || groups[0] != "sg-0123456789abcdef0" || !aws.ToBool(got.PubliclyAccessible) {
		t.Errorf("after modify without ApplyImmediately: groups %v, public %v; want both applied at once", groups, aws.ToBool(got.PubliclyAccessible))
	}
	if s := aws.ToString(got.DBInstanceStatus); s != "available" {
		t.Errorf("status %s, want available (no modifying for groups or public access)", s)
	}
	_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("net"), VpcSecurityGroupIds: []string{"default"}})
	if got := errorCode(err); got != codeInvalidValue {
		t.Errorf("malformed group: error code %q, want %s", got, codeInvalidValue)
	}
}
