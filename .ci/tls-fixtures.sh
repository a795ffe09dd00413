#!/usr/bin/env bash
# What the transport tests need (run as root): a test CA and an unrelated "wrong" CA; a second
# PostgreSQL cluster that speaks only TLS (`vialtls` on port 5433, certificate for the test host
# name `db.vial.test`, every TCP connection `hostssl` trust, plain TCP rejected); a certificate
# for `s3.vial.test`, which the S3 tests put in front of Garage with socat, and one for
# `smtp.vial.test`, the notices test's aiosmtpd. The names are
# hosts-file lines to 127.0.0.1. Prints the variables the tests read. Idempotent.
set -euo pipefail
# Only the exports go to stdout (the caller evals it); anything the tools print goes to stderr
# (pg_ctlcluster may print "Removed stale pid file" on a fresh machine).
exec 3>&1 1>&2  # commands that start a daemon close fd 3 (3>&-), or the caller waits on it forever

dir="${VIAL_PG_TLS_DIR:-/var/lib/postgresql/vial-tls}"
host="db.vial.test"
s3_host="s3.vial.test"
smtp_host="smtp.vial.test"
port=5433
version="$(ls /etc/postgresql | sort -V | tail -n 1)"

for name in "$host" "$s3_host" "$smtp_host"; do
  grep -q " $name\$" /etc/hosts || echo "127.0.0.1 $name" >>/etc/hosts
done

if [ ! -f "$dir/s3.crt" ]; then
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Vial test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  # A second, unrelated CA: the "wrong CA" case.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Vial wrong CA" \
    -keyout "$dir/wrong-ca.key" -out "$dir/wrong-ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$host" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$s3_host" \
    -keyout "$dir/s3.key" -out "$dir/s3.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$s3_host" >"$dir/s3.ext"
  openssl x509 -req -in "$dir/s3.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/s3.ext" -out "$dir/s3.crt" 2>/dev/null
  chown -R postgres:postgres "$dir"
  chmod 600 "$dir"/*.key
  chmod 644 "$dir"/*.crt
fi

# The SMTP relay's certificate (the notices test runs aiosmtpd with it), by the same test CA.
if [ ! -f "$dir/smtp.crt" ]; then
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$smtp_host" \
    -keyout "$dir/smtp.key" -out "$dir/smtp.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$smtp_host" >"$dir/smtp.ext"
  openssl x509 -req -in "$dir/smtp.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/smtp.ext" -out "$dir/smtp.crt" 2>/dev/null
  chown postgres:postgres "$dir"/smtp.*
  chmod 644 "$dir/smtp.key" "$dir/smtp.crt"
fi

if ! pg_lsclusters -h | awk '{print $2}' | grep -qx vialtls; then
  pg_createcluster "$version" vialtls -p "$port" >/dev/null 3>&-
  conf="/etc/postgresql/$version/vialtls"
  cat >>"$conf/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_min_protocol_version = 'TLSv1.2'
listen_addresses = '127.0.0.1'
EOF
  cat >"$conf/pg_hba.conf" <<EOF
local   all all                trust
hostssl all all 127.0.0.1/32   trust
host    all all 127.0.0.1/32   reject
EOF
fi
if ! pg_lsclusters -h | awk '$2 == "vialtls" {print $4}' | grep -qx online; then
  pg_ctlcluster --skip-systemctl-redirect "$version" vialtls start 3>&-
else
  # Certificates made anew above are read on reload.
  pg_ctlcluster --skip-systemctl-redirect "$version" vialtls reload 3>&-
fi

echo >&3 "export VIAL_TEST_PG_TLS_URL=postgres://postgres@$host:$port/postgres"
echo >&3 "export VIAL_TEST_TLS_CA=$dir/ca.crt"
echo >&3 "export VIAL_TEST_TLS_WRONG_CA=$dir/wrong-ca.crt"
echo >&3 "export VIAL_TEST_S3_TLS_CERT=$dir/s3.crt"
echo >&3 "export VIAL_TEST_S3_TLS_KEY=$dir/s3.key"
echo >&3 "export VIAL_TEST_SMTP_TLS_CERT=$dir/smtp.crt"
echo >&3 "export VIAL_TEST_SMTP_TLS_KEY=$dir/smtp.key"
