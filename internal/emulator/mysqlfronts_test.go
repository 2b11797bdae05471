package emulator

import "testing"

func TestIAMPasswordsKeepTheirKey(t *testing.T) {
	dir := t.TempDir()
	first, err := loadIAMPasswords(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadIAMPasswords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.password("app") != again.password("app") {
		t.Errorf("a restart on the same DataDir derived another password: its IAM users could no longer log in")
	}
	if first.password("app") == first.password("other") {
		t.Errorf("two users share a password")
	}
	other, err := loadIAMPasswords(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if other.password("app") == first.password("app") {
		t.Errorf("another DataDir derived the same password")
	}
}
