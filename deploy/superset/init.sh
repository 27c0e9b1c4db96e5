#!/usr/bin/env bash
# Superset's first start in docker-compose.yml: metadata, the admin user, and the read-only
# connection to the published marts (SOCIAL_ROI_BI_URI), then the server. Every step is idempotent.
set -euo pipefail
superset db upgrade
superset fab create-admin --username admin --firstname Admin --lastname Superset \
  --email admin@localhost --password "${SUPERSET_ADMIN_PASSWORD}"
superset init
superset set_database_uri --database_name "Social ROI marts" --uri "${SOCIAL_ROI_BI_URI}"
exec /usr/bin/run-server.sh
