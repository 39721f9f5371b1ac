# syntax=docker/dockerfile:1
# The platform image: Airflow 3.3.2 + the project and its locked Airflow venv, a Java runtime
# (spark-submit and the PyFlink client need one) and the locked Flink venv.
# Airflow, the stream consumer, the migrations and the Spark master/worker all run this image, so
# the Spark driver (in the scheduler) and its executors share one Python, one pyspark and one
# compliance core: PySpark refuses mixed Python minors, and mapInArrow needs pyarrow on executors.
# Build context: the repository root (docker-compose.yaml sets it).
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps gcc libc6-dev libssl-dev \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
# Mount points of named volumes: a new volume copies this ownership (uid 50000, gid 0), which the
# Flink image uses too, so every engine can write the shared data zones.
RUN mkdir -p /opt/sdp/data /opt/sdp/state /opt/airflow/auth /opt/flink-venv \
    && chown -R airflow:0 /opt/sdp /opt/airflow/auth /opt/flink-venv

USER airflow
WORKDIR /opt/sdp
COPY --chown=airflow:0 requirements.lock requirements-flink.lock ./
# The lock pins apache-airflow==3.3.2 itself, so pip cannot move Airflow away from the base image.
RUN pip install --no-cache-dir -r requirements.lock
# apache-flink pins an old pyarrow/numpy (two venvs: docs/architecture.md); PIP_USER is the image's default.
RUN python -m venv /opt/flink-venv \
    && PIP_USER=false /opt/flink-venv/bin/pip install --no-cache-dir -r requirements-flink.lock

COPY --chown=airflow:0 pyproject.toml ./
# The tokenizer's C extension (pyproject.toml ext-modules; gcc + libssl-dev above) is built in place.
COPY --chown=airflow:0 native ./native
COPY --chown=airflow:0 compliance ./compliance
COPY --chown=airflow:0 include ./include
COPY --chown=airflow:0 spark_jobs ./spark_jobs
COPY --chown=airflow:0 flink_jobs ./flink_jobs
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 plugins ./plugins
COPY --chown=airflow:0 docker/consumer_healthcheck.py ./docker/consumer_healthcheck.py
# Editable, as in the dev venvs: include.settings locates the repository from its own path.
RUN pip install --no-cache-dir --no-deps -e . \
    && PIP_USER=false /opt/flink-venv/bin/pip install --no-cache-dir --no-deps -e .
