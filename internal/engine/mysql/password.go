package mysql

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// nativePasswordHash returns the mysql_native_password hash of password: "*" and the
// upper-case hex of SHA1(SHA1(password)), the form IDENTIFIED WITH mysql_native_password AS
// takes on MySQL and MariaDB. Sending the hash keeps the password itself out of the server,
// its logs and its replication stream.
func nativePasswordHash(password string) string {
	first := sha1.Sum([]byte(password))
	second := sha1.Sum(first[:])
	return "*" + strings.ToUpper(hex.EncodeToString(second[:]))
}
