# syntax=docker/dockerfile:1
# Flink JobManager/TaskManager image: the official Flink 2.3.0 (same version as apache-flink in
# requirements-flink.lock) plus the Flink venv, because PyFlink runs the jobs' Python UDFs (the
# compliance core) in Python workers started by each TaskManager.
# Build context: the repository root (docker-compose.yaml sets it).
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM flink:2.3.0-scala_2.12-java17

USER root
COPY --from=uv /uv /usr/local/bin/uv
# A compiler and the OpenSSL headers build the tokenizer's C extension (pyproject.toml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
# Python 3.11 like the client venv (the lock is compiled for it); Ubuntu noble only ships 3.12.
ENV UV_PYTHON_INSTALL_DIR=/opt/python \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1
# Python UDFs on a cluster need flink-python on the classpath; the distribution keeps it in opt/.
RUN cp /opt/flink/opt/flink-python-*.jar /opt/flink/lib/
# Beam (PyFlink's Python-worker runner) logs each worker's whole environment, SDP_TOKEN_KEY with
# it, when it closes one: that logger is switched off in every log configuration of the image.
RUN for f in /opt/flink/conf/log4j*.properties; do \
      printf '\nlogger.beamenv.name = org.apache.beam.runners.fnexecution.control.DefaultJobBundleFactory\nlogger.beamenv.level = OFF\n' >> "$f"; \
    done
# Same uid/gid as the platform image (50000:0) so both can write the shared data-zone volume.
RUN usermod --uid 50000 --gid 0 flink \
    && mkdir -p /opt/sdp/data \
    && chown -R flink:0 /opt/flink /opt/sdp

WORKDIR /opt/sdp
COPY requirements-flink.lock ./
RUN uv venv --python 3.11 /opt/flink-venv \
    && uv pip install --python /opt/flink-venv/bin/python -r requirements-flink.lock
COPY pyproject.toml ./
COPY native ./native
COPY compliance ./compliance
COPY include ./include
COPY flink_jobs ./flink_jobs
RUN uv pip install --python /opt/flink-venv/bin/python --no-deps -e . \
    && chown -R flink:0 /opt/sdp /opt/flink-venv /opt/python

USER flink
WORKDIR /opt/flink
