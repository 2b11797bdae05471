package mysqlfront

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewriteIAMUsers(t *testing.T) {
	password := func(user string) string { return "pw-" + user }
	byPassword := func(user string) string { return "IDENTIFIED BY PASSWORD '" + nativeHash(password(user)) + "'" }
	cases := []struct {
		reason, query, want string
	}{
		{reason: "RDS's own example becomes a password only the front knows.",
			query: "CREATE USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
			want:  "CREATE USER 'app'@'%' " + byPassword("app")},
		{reason: "Keywords and the plugin name go in any case, quoted or not, with any whitespace.",
			query: "  create\tuser if not exists `jane_doe`  identified\nwith 'awsauthenticationplugin'  as 'RDS';",
			want:  "  create\tuser if not exists `jane_doe`  " + byPassword("jane_doe") + ";"},
		{reason: "ALTER USER switches an account to IAM and keeps what follows the clause.",
			query: "ALTER USER 'app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' ACCOUNT UNLOCK",
			want:  "ALTER USER 'app'@'%' " + byPassword("app") + " ACCOUNT UNLOCK"},
		{reason: "Each account of a statement gets its own password; a host is optional.",
			query: "CREATE USER a IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', 'o''neil' @ 'localhost' IDENTIFIED WITH AWSAuthenticationPlugin AS \"RDS\"",
			want:  "CREATE USER a " + byPassword("a") + ", 'o''neil' @ 'localhost' " + byPassword("o'neil")},
		{reason: "An account with a password of its own is left to the server.",
			query: "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '*0123' ACCOUNT UNLOCK",
			want:  "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '*0123' ACCOUNT UNLOCK"},
		{reason: "The clause in a string of another statement is data.",
			query: "SELECT 'CREATE USER x IDENTIFIED WITH AWSAuthenticationPlugin AS ''RDS'''",
			want:  "SELECT 'CREATE USER x IDENTIFIED WITH AWSAuthenticationPlugin AS ''RDS'''"},
	}
	for _, tc := range cases {
		got := string(rewriteIAMUsers([]byte(tc.query), password))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
		}
	}
}

// frame is a packet as it goes on the wire.
func frame(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

func TestRelayCommands(t *testing.T) {
	rewrite := func(q []byte) []byte { return bytes.ReplaceAll(q, []byte("old"), []byte("newer")) }
	huge := bytes.Repeat([]byte("old"), maxPayload/3+1) // a query of 16 MiB and more
	hugeQuery := append([]byte{comQuery}, huge...)
	cases := []struct {
		reason   string
		in, want []byte
	}{
		{reason: "A COM_QUERY is rewritten and keeps its sequence id.",
			in: frame(0, []byte("\x03SELECT old")), want: frame(0, []byte("\x03SELECT newer"))},
		{reason: "Other commands pass as they came.",
			in: frame(0, []byte("\x16SELECT old")), want: frame(0, []byte("\x16SELECT old"))},
		{reason: "A query split over packets of 16 MiB passes untouched, and so does its last part.",
			in:   append(frame(0, hugeQuery[:maxPayload]), frame(1, hugeQuery[maxPayload:])...),
			want: append(frame(0, hugeQuery[:maxPayload]), frame(1, hugeQuery[maxPayload:])...)},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		if err := relayCommands(&out, bytes.NewReader(tc.in), rewrite); err != io.EOF {
			t.Errorf("%s\nrelayCommands: %v, want io.EOF at the end", tc.reason, err)
		}
		if !bytes.Equal(out.Bytes(), tc.want) {
			t.Errorf("%s\ngot %d bytes %.40q, want %d bytes %.40q", tc.reason, out.Len(), out.Bytes(), len(tc.want), tc.want)
		}
	}
}
