# The one image of every Airflow service in docker-compose.yml, and of the sandbox: Airflow's
# official slim image at the version requirements.txt pins, plus this project's pinned stack.
# tests/deploy/test_compose.py checks the versions here against requirements.txt.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:slim-${AIRFLOW_VERSION}-python${PYTHON_VERSION}

COPY --chown=airflow:0 requirements.txt constraints.txt /opt/social_roi/
RUN pip install --no-cache-dir -r /opt/social_roi/requirements.txt -c /opt/social_roi/constraints.txt

# settings.REPO_ROOT is AIRFLOW_HOME: dags/, plugins/ (the social_roi package), dbt_project/ and
# expectations/ sit where a clone has them; runtime state goes to the volumes (var/, warehouse/).
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 dbt_project/ /opt/airflow/dbt_project/
COPY --chown=airflow:0 expectations/ /opt/airflow/expectations/
ENV PYTHONPATH=/opt/airflow/plugins \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=False
