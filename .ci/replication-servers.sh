#!/usr/bin/env bash
# Switches on what change-data replication needs on this machine's local servers, idempotently:
# PostgreSQL wal_level=logical (pgoutput, replication slots) and a row-format binlog with GTIDs on
# MariaDB. Each server is restarted only when a setting actually changes. CI runs this before the
# tests; the replication tests also check the settings and say which one is missing.
set -uo pipefail

if pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'show wal_level')" != "logical" ]; then
    echo "PostgreSQL: wal_level=logical (restart)"
    psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET wal_level = logical'
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main restart
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  echo "PostgreSQL wal_level: $(psql -h 127.0.0.1 -U postgres -Atc 'show wal_level')"
else
  echo "PostgreSQL is not answering on 127.0.0.1:5432"
fi

mariadb_var() { mysql -uroot -h127.0.0.1 -N -B -e "select @@$1" 2>/dev/null; }
if mysql -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1 || command -v mariadbd >/dev/null; then
  if [ "$(mariadb_var log_bin)" != "1" ] || [ "$(mariadb_var binlog_format)" != "ROW" ]; then
    conf=/etc/mysql/conf.d/jobgate-replication.cnf
    [ -d /etc/mysql/conf.d ] || conf=/etc/mysql/my.cnf
    if ! grep -q 'jobgate: replication' "$conf" 2>/dev/null; then
      printf '\n[mysqld]\n# jobgate: replication (row-format binlog for change data)\nlog_bin = mysql-bin\nbinlog_format = ROW\nbinlog_row_image = FULL\nserver_id = 1\nexpire_logs_days = 1\n' >>"$conf"
    fi
    echo "MariaDB: row-format binlog (restart)"
    mysqladmin -uroot -h127.0.0.1 shutdown 2>/dev/null || true
    for _ in $(seq 1 30); do pgrep -x mariadbd >/dev/null || break; sleep 1; done
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 30); do mysql -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1 && break; sleep 1; done
  fi
  echo "MariaDB log_bin: $(mariadb_var log_bin), binlog_format: $(mariadb_var binlog_format)"
else
  echo "MariaDB is not installed or not answering on 127.0.0.1:3306"
fi
