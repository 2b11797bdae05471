package engineparams

// postgresReserved are the PostgreSQL parameters an engine would let a superuser change
// but RDS keeps to itself, shown not modifiable: where the server listens and keeps its
// files, its TLS certificate and key, WAL archiving and recovery (RDS runs backups and
// replicas itself), and where its logs go (RDS collects them). The emulator relies on the
// same ones: its servers are laid out by package pgserver. docs/engine-parameters-facts.md
// says what this rests on.
var postgresReserved = names(
	// Network and files.
	"port", "listen_addresses", "unix_socket_directories", "unix_socket_group",
	"unix_socket_permissions", "data_directory", "config_file", "hba_file", "ident_file",
	"external_pid_file", "dynamic_library_path",
	// TLS: the certificate, key and CA are the cloud's.
	"ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "ssl_crl_file", "ssl_crl_dir",
	"ssl_dh_params_file", "ssl_passphrase_command", "ssl_passphrase_command_supports_reload",
	"ssl_library",
	// WAL archiving, recovery and replication wiring.
	"archive_mode", "archive_command", "archive_library", "archive_timeout",
	"restore_command", "archive_cleanup_command", "recovery_end_command",
	"primary_conninfo", "primary_slot_name", "promote_trigger_file", "hot_standby",
	"wal_level", "full_page_writes", "fsync",
	// Logging destination: RDS collects the server log itself.
	"logging_collector", "log_directory", "log_file_mode", "event_source",
	"syslog_facility", "syslog_ident",
	// Superuser-only escape hatches.
	"allow_system_table_mods", "allow_alter_system", "krb_server_keyfile",
)

// mariadbReserved are the MariaDB (and MySQL) variables RDS keeps to itself, shown not
// modifiable: where the server listens and keeps its files, its identity in replication,
// its TLS files, and where its binary, relay and error logs go.
var mariadbReserved = names(
	// Network and files.
	"port", "socket", "bind_address", "skip_networking", "extra_port", "datadir", "basedir",
	"tmpdir", "pid_file", "plugin_dir", "character_sets_dir", "lc_messages_dir",
	"secure_file_priv", "innodb_data_home_dir", "innodb_log_group_home_dir",
	"innodb_undo_directory", "innodb_tmpdir", "aria_log_dir_path", "init_file",
	// Fixed when the data directory is made: a change would keep the server from starting.
	"innodb_page_size",
	// Replication identity and the binary and relay logs' place.
	"server_id", "log_bin", "log_bin_basename", "log_bin_index", "relay_log",
	"relay_log_basename", "relay_log_index", "relay_log_info_file",
	// TLS: the certificate, key and CA are the cloud's.
	"ssl_ca", "ssl_capath", "ssl_cert", "ssl_crl", "ssl_crlpath", "ssl_key", "have_ssl",
	"have_openssl",
	// Logs: RDS collects them in its own place.
	"log_error", "general_log_file", "slow_query_log_file",
)

func names(ns ...string) map[string]bool {
	m := make(map[string]bool, len(ns))
	for _, n := range ns {
		m[n] = true
	}
	return m
}
