#!/bin/bash
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one role and one
# database per service deployment, named in SAMVERKAN_DATABASES (compose.yaml, generated from
# the region registry). Each role owns its database and nobody else may connect to it.
set -euo pipefail

for db in ${SAMVERKAN_DATABASES}; do
  echo "samverkan: creating role and database ${db}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set db="${db}" --set password="${POSTGRES_PASSWORD}" <<'SQL'
CREATE ROLE :"db" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done
