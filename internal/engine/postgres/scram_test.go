package postgres

import (
	"encoding/base64"
	"testing"
)

func TestScramVerifierWithSalt(t *testing.T) {
	// RFC 7677's worked example: user password "pencil", this salt, 4096 iterations; its
	// StoredKey and ServerKey are the ones PostgreSQL stores in pg_authid.
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	got, err := scramVerifierWithSalt("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
	if got != want {
		t.Errorf("scramVerifierWithSalt(pencil) = %q, want %q", got, want)
	}
}
