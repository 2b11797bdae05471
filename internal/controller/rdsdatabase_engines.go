package controller

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	v1 "github.com/matrixmind-cloud/aws-rds-operator/api/v1"
)

// engineProfile is everything that differs between the engines the operator serves, in one
// place: the controller asks it rather than testing the type.
type engineProfile struct {
	// engine names it in cloud.Desired (postgres, mysql, mariadb, aurora-postgresql, aurora-mysql:
	// each provider maps it to its cloud's own); it also picks the engine.Connector.
	engine string
	// name is how Events and the Service port name the engine.
	name string
	// adminDatabase is the database the master logs in to, and the dbname of a Secret whose
	// user is on no database's list; "" means none (MySQL logs in without one).
	adminDatabase string
	// majorParts is how many leading parts of a version make its major version: 1 for
	// PostgreSQL (16, 17), 2 for MySQL (8.0, 8.4) and MariaDB (10.11, 11.4).
	majorParts int
	// uris returns a Secret's uri and jdbc-uri.
	uris func(host string, port int32, user, pw, database string) (uri, jdbc string)
}

var (
	postgresProfile       = engineProfile{engine: "postgres", name: "postgresql", adminDatabase: "postgres", majorParts: 1, uris: postgresURIs}
	mysqlProfile          = engineProfile{engine: "mysql", name: "mysql", majorParts: 2, uris: mysqlURIs}
	mariadbProfile        = engineProfile{engine: "mariadb", name: "mariadb", majorParts: 2, uris: mariadbURIs}
	auroraPostgresProfile = engineProfile{engine: "aurora-postgresql", name: "postgresql", adminDatabase: "postgres", majorParts: 1, uris: postgresURIs}
	auroraMySQLProfile    = engineProfile{engine: "aurora-mysql", name: "mysql", majorParts: 2, uris: mysqlURIs}
)

// engineOf returns the profile of db's engine type.
func engineOf(db *v1.RDSDatabase) engineProfile {
	switch db.Spec.Type.Normalized() {
	case v1.TypeMySQL:
		return mysqlProfile
	case v1.TypeMariaDB:
		return mariadbProfile
	case v1.TypeAuroraPostgreSQL:
		return auroraPostgresProfile
	case v1.TypeAuroraMySQL:
		return auroraMySQLProfile
	}
	return postgresProfile
}

// major returns the major version of version, e.g. "16" of "16.4" for PostgreSQL and "8.0"
// of "8.0.40" for MySQL.
func (e engineProfile) major(version string) string {
	parts := strings.SplitN(version, ".", e.majorParts+1)
	if len(parts) > e.majorParts {
		parts = parts[:e.majorParts]
	}
	return strings.Join(parts, ".")
}

// postgresURIs returns a libpq uri and a JDBC uri, both requiring TLS.
func postgresURIs(host string, port int32, user, pw, database string) (string, string) {
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(port)))
	uri := url.URL{Scheme: "postgresql", User: userInfo(user, pw), Host: hostPort, Path: "/" + database, RawQuery: "sslmode=require"}
	jdbc := url.URL{Scheme: "postgresql", Host: hostPort, Path: "/" + database,
		RawQuery: credentialValues(user, pw, "sslmode", "require").Encode()}
	return uri.String(), "jdbc:" + jdbc.String()
}

// mysqlURIs returns a MySQL uri (the form of MySQL Shell and most drivers) and a MySQL
// Connector/J uri, both requiring TLS.
func mysqlURIs(host string, port int32, user, pw, database string) (string, string) {
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(port)))
	uri := url.URL{Scheme: "mysql", User: userInfo(user, pw), Host: hostPort, Path: "/" + database, RawQuery: "ssl-mode=REQUIRED"}
	jdbc := url.URL{Scheme: "mysql", Host: hostPort, Path: "/" + database,
		RawQuery: credentialValues(user, pw, "sslMode", "REQUIRED").Encode()}
	return uri.String(), "jdbc:" + jdbc.String()
}

// mariadbURIs returns a MariaDB uri (MySQL's form with MariaDB's scheme) and a MariaDB
// Connector/J uri, both requiring TLS. Connector/J 3 takes only the jdbc:mariadb: scheme, and
// its sslMode=trust is what MySQL's REQUIRED is: encrypted, the certificate not verified
// (a cloud's database CA is rarely in a default trust store; the Secret's ca.crt verifies
// it where the operator has one).
func mariadbURIs(host string, port int32, user, pw, database string) (string, string) {
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(port)))
	uri := url.URL{Scheme: "mariadb", User: userInfo(user, pw), Host: hostPort, Path: "/" + database, RawQuery: "ssl-mode=REQUIRED"}
	jdbc := url.URL{Scheme: "mariadb", Host: hostPort, Path: "/" + database,
		RawQuery: credentialValues(user, pw, "sslMode", "trust").Encode()}
	return uri.String(), "jdbc:" + jdbc.String()
}

// userInfo is a uri's user and password; a user who logs in with tokens has no password
// to put there.
func userInfo(user, pw string) *url.Userinfo {
	if pw == "" {
		return url.User(user)
	}
	return url.UserPassword(user, pw)
}

// credentialValues are a JDBC uri's query: the user, its password when it has one, and the
// TLS setting.
func credentialValues(user, pw, tlsKey, tlsValue string) url.Values {
	v := url.Values{"user": {user}, tlsKey: {tlsValue}}
	if pw != "" {
		v.Set("password", pw)
	}
	return v
}
