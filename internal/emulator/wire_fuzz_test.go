package emulator

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// queryAPISeeds are requests as aws-sdk-go-v2 serialises them, one per line: a line is one
// request, so one input can create an instance and then modify, tag or delete it.
var queryAPISeeds = []string{
	"Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop-orders-1a2b3c4d&Engine=postgres&EngineVersion=17&DBInstanceClass=db.t4g.micro&AllocatedStorage=20&StorageType=gp3&MasterUsername=sysadmin&MasterUserPassword=Secr3t-pw-1234567890&BackupRetentionPeriod=7&Tags.Tag.1.Key=matrixmind.cloud%2Fowner&Tags.Tag.1.Value=shop%2Forders\n" +
		"Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=shop-orders-1a2b3c4d\n" +
		"Action=ModifyDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop-orders-1a2b3c4d&AllocatedStorage=30&ApplyImmediately=true&MasterUserPassword=N3w-pw-0987654321\n" +
		"Action=AddTagsToResource&Version=2014-10-31&ResourceName=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Adb%3Ashop-orders-1a2b3c4d&Tags.Tag.1.Key=team&Tags.Tag.1.Value=x\n" +
		"Action=ListTagsForResource&Version=2014-10-31&ResourceName=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Adb%3Ashop-orders-1a2b3c4d\n" +
		"Action=RemoveTagsFromResource&Version=2014-10-31&ResourceName=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Adb%3Ashop-orders-1a2b3c4d&TagKeys.member.1=team\n" +
		"Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=shop-orders-1a2b3c4d&FinalDBSnapshotIdentifier=shop-orders-final",
	"Action=CreateDBSnapshot&DBInstanceIdentifier=a&DBSnapshotIdentifier=b\nAction=DescribeDBSnapshots&DBInstanceIdentifier=a\nAction=DeleteDBSnapshot&DBSnapshotIdentifier=b",
	"Action=RestoreDBInstanceFromDBSnapshot&DBInstanceIdentifier=r&DBSnapshotIdentifier=b&DBInstanceClass=db.t4g.micro",
	"Action=DescribeDBInstances&MaxRecords=20&Marker=x&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres",
	"Action=DescribeDBInstances&MaxRecords=99999999999999999999",
	"Action=CreateDBInstance&DBInstanceIdentifier=a--b&Engine=postgres&AllocatedStorage=-1&MasterUserPassword=%00",
	"Action=ModifyDBInstance&DBInstanceIdentifier=x&ApplyImmediately=maybe",
	"Action=CreateDBInstance&DBInstanceIdentifier=src&Engine=postgres&DBInstanceClass=db.t4g.micro&AllocatedStorage=20&MasterUsername=master&MasterUserPassword=Src-secret-4711\n" +
		"Action=CreateDBInstanceReadReplica&DBInstanceIdentifier=ro&SourceDBInstanceIdentifier=src&AvailabilityZone=us-east-1b&MultiAZ=false\n" +
		"Action=DeleteDBInstance&DBInstanceIdentifier=ro&SkipFinalSnapshot=true",
	"Action=CreateDBCluster&DBClusterIdentifier=cl&Engine=aurora-mysql&MasterUsername=master&MasterUserPassword=Cluster-secret-42&Tags.Tag.1.Key=a&Tags.Tag.1.Value=b\n" +
		"Action=CreateDBInstance&DBInstanceIdentifier=cl-1&DBClusterIdentifier=cl&Engine=aurora-mysql&DBInstanceClass=db.r7g.large\n" +
		"Action=ModifyDBCluster&DBClusterIdentifier=cl&MasterUserPassword=Cluster-secret-43&EngineVersion=8.0.mysql_aurora.3.09.0&ApplyImmediately=true\n" +
		"Action=DescribeDBClusters&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=aurora-mysql&MaxRecords=20\n" +
		"Action=DeleteDBCluster&DBClusterIdentifier=cl&FinalDBSnapshotIdentifier=cl-final\n" +
		"Action=DescribeDBClusterSnapshots&DBClusterIdentifier=cl&SnapshotType=manual\n" +
		"Action=RestoreDBClusterFromSnapshot&DBClusterIdentifier=cl2&SnapshotIdentifier=cl-final&Engine=aurora-mysql\n" +
		"Action=DeleteDBClusterSnapshot&DBClusterSnapshotIdentifier=cl-final",
	"Action=CreateDBInstance&DBInstanceIdentifier=src&Engine=postgres&DBInstanceClass=db.t4g.micro&AllocatedStorage=20&MasterUsername=master&MasterUserPassword=Src-secret-4711&CopyTagsToSnapshot=true&Tags.Tag.1.Key=owner&Tags.Tag.1.Value=a\n" +
		"Action=ModifyDBInstance&DBInstanceIdentifier=src&CopyTagsToSnapshot=false\n" +
		"Action=DescribeDBSnapshots&DBSnapshotIdentifier=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Asnapshot%3Ax&IncludeShared=true&IncludePublic=false\n" +
		"Action=RestoreDBInstanceFromDBSnapshot&DBInstanceIdentifier=r&DBSnapshotIdentifier=arn%3Aaws%3Ards%3Aeu-west-1%3A123456789012%3Asnapshot%3Ax&CopyTagsToSnapshot=1\n" +
		"Action=DeleteDBInstance&DBInstanceIdentifier=src&FinalDBSnapshotIdentifier=src-final",
	"Action=CreateDBParameterGroup&DBParameterGroupName=pg&DBParameterGroupFamily=postgres17&Description=d&Tags.Tag.1.Key=a&Tags.Tag.1.Value=b\n" +
		"Action=ModifyDBParameterGroup&DBParameterGroupName=pg&Parameters.Parameter.1.ParameterName=max_connections&Parameters.Parameter.1.ParameterValue=150&Parameters.Parameter.1.ApplyMethod=pending-reboot\n" +
		"Action=CreateDBInstance&DBInstanceIdentifier=a&Engine=postgres&DBInstanceClass=db.t4g.micro&AllocatedStorage=20&MaxAllocatedStorage=40&MasterUsername=master&MasterUserPassword=Src-secret-4711&DBParameterGroupName=pg\n" +
		"Action=DescribeDBParameters&DBParameterGroupName=pg&Source=user&MaxRecords=20\n" +
		"Action=RebootDBInstance&DBInstanceIdentifier=a&ForceFailover=false\n" +
		"Action=ResetDBParameterGroup&DBParameterGroupName=pg&ResetAllParameters=true\n" +
		"Action=DeleteDBParameterGroup&DBParameterGroupName=pg",
	"Action=ModifyDBParameterGroup&DBParameterGroupName=default.postgres17&Parameters.Parameter.3.ParameterName=%00",
	"Action=%ZZ", "Action=Nope&Version=2000-01-01", "", "=&&==", "Action=DescribeDBInstances&Action=DeleteDBInstance",
	"Action=CreateDBInstance&DBInstanceIdentifier=\xff\xfe&Engine=\x00",
}

// awsError is the Query protocol's error body.
type awsError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// FuzzQueryAPI sends any sequence of request bodies to the emulator. It must never panic or
// fail internally; every answer must be well-formed XML, either the action's response or an
// AWS-shaped error (Sender or Receiver, a code, a message, a request id) with a 4xx status;
// and a master password must never come back in an answer or the call log.
func FuzzQueryAPI(f *testing.F) {
	for _, s := range queryAPISeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if len(input) > 1<<16 {
			return
		}
		bodies := strings.Split(input, "\n")
		answers, log, passwords := runQueries(t, bodies, false)
		// A password could be part of the answer by chance (say "34567890" of the account
		// id): the same requests again with every password's letters and digits mirrored
		// tell an echo, which mirrors too, from a coincidence, which does not.
		mirrored, mirroredLog, _ := runQueries(t, bodies, true)
		for _, pw := range passwords {
			if strings.Contains(answers, pw) && strings.Contains(mirrored, mirror(pw)) {
				t.Fatalf("the master password %q comes back in an answer", pw)
			}
			if strings.Contains(log, pw) && strings.Contains(mirroredLog, mirror(pw)) {
				t.Fatalf("the master password %q is in the call log", pw)
			}
		}
	})
}

// runQueries sends bodies, one request each, to a new emulator and checks each answer's
// shape. It returns the answers, the call log and the passwords sent; with mirrorPasswords
// every MasterUserPassword is mirrored first.
func runQueries(t *testing.T, bodies []string, mirrorPasswords bool) (answers, log string, passwords []string) {
	t.Helper()
	e, err := New(Config{NoEngine: true, Delays: Delays{Create: time.Millisecond, BackingUp: time.Millisecond, Modify: time.Millisecond, Delete: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	var out strings.Builder
	for _, body := range bodies {
		if form, err := url.ParseQuery(body); mirrorPasswords && err == nil && form.Has("MasterUserPassword") {
			for i, pw := range form["MasterUserPassword"] {
				form["MasterUserPassword"][i] = mirror(pw)
			}
			body = form.Encode()
		}
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		checkAnswer(t, body, rec)
		out.WriteString(rec.Body.String())
		passwords = append(passwords, secretParams(body)...)
	}
	stats, err := json.Marshal(e.Stats())
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), string(stats), passwords
}

// mirror maps a-z to z-a, A-Z to Z-A and 0-9 to 9-0 and keeps every other byte, so the
// emulator must judge the result exactly as it judges s.
func mirror(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = 'z' - (c - 'a')
		case c >= 'A' && c <= 'Z':
			b[i] = 'Z' - (c - 'A')
		case c >= '0' && c <= '9':
			b[i] = '9' - (c - '0')
		}
	}
	return string(b)
}

// checkAnswer checks one answer's shape.
func checkAnswer(t *testing.T, body string, rec *httptest.ResponseRecorder) {
	t.Helper()
	raw := rec.Body.String()
	dec := xml.NewDecoder(strings.NewReader(raw))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("request %q: the answer is not well-formed XML (%v): %s", body, err, raw)
		}
	}
	if rec.Code == http.StatusOK {
		form, _ := url.ParseQuery(body)
		if action := form.Get("Action"); !strings.HasPrefix(raw, "<"+action+"Response ") || !strings.Contains(raw, "<RequestId>") {
			t.Fatalf("request %q: a 200 answer that is not a %sResponse: %s", body, action, raw)
		}
		return
	}
	var ae awsError
	if err := xml.Unmarshal([]byte(raw), &ae); err != nil {
		t.Fatalf("request %q: status %d with no ErrorResponse (%v): %s", body, rec.Code, err, raw)
	}
	if rec.Code < 400 || rec.Code >= 500 || ae.Error.Type != "Sender" || ae.Error.Code == "" || ae.Error.Message == "" || ae.RequestID == "" {
		t.Fatalf("request %q: not a client error in AWS's shape (status %d): %s", body, rec.Code, raw)
	}
}

// secretParams returns the passwords a request carries, when they are distinctive enough to
// look for: at least 8 characters and found in no other parameter (an identifier may
// legitimately be echoed back).
func secretParams(body string) []string {
	form, err := url.ParseQuery(body)
	if err != nil {
		return nil
	}
	var out []string
	for _, pw := range form["MasterUserPassword"] {
		if len(pw) < 8 {
			continue
		}
		elsewhere := false
		for k, vs := range form {
			for _, v := range vs {
				if k != "MasterUserPassword" && strings.Contains(strings.ToLower(k+"="+v), strings.ToLower(pw)) {
					elsewhere = true
				}
			}
		}
		if !elsewhere {
			out = append(out, pw)
		}
	}
	return out
}
