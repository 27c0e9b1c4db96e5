"""Superset's configuration in docker-compose.yml: secrets from the environment, metadata in the
superset-home volume, and no database connection that could reach files or hosts of the server."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"
# refuse SQLite and other local-file connections that an analyst might add by hand
PREVENT_UNSAFE_DB_CONNECTIONS = True
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False}
