# The collector's container image (and, as target `sim`, the simulated kiosk fleet), for
# deploy/compose.yaml. Python packages are installed as everywhere else in this project: pip with the
# exact versions of requirements/constraints.txt. Build from the repository root:
#   docker build -t mettiamoci-la-faccia/collector:0.1.0 .
#   docker build --target sim -t mettiamoci-la-faccia/sim:0.1.0 .
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS source
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# What goes in is decided by .dockerignore: the packages, pyproject.toml and the constraints.
COPY . .
# The build backend (setuptools) is fetched by pip in an isolated build; the constraints pin the rest.
ENV PIP_CONSTRAINT=/src/requirements/constraints.txt

FROM source AS build-collector
RUN python -m venv /opt/mlf && /opt/mlf/bin/pip install ".[collector]"

FROM source AS build-sim
RUN python -m venv /opt/mlf && /opt/mlf/bin/pip install ".[collector,sim]"

FROM ${PYTHON_IMAGE} AS runtime
# One unprivileged account; files it writes in shared volumes get their group from the folder (setgid).
RUN groupadd --system --gid 10001 mlf \
 && useradd --system --uid 10001 --gid mlf --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mlf \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/mlf-sim
ENV PATH=/opt/mlf/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /tmp

# Simulated button kiosks (mlf-sim): the `sim` profile of deploy/compose.yaml. Their outboxes live in
# /var/lib/mlf-sim (a volume there starts owned by the unprivileged account).
FROM runtime AS sim
COPY --from=build-sim /opt/mlf /opt/mlf
ENTRYPOINT ["mlf-sim"]
CMD ["--help"]

# The collector (the default target: last in this file).
FROM runtime AS collector
COPY --from=build-collector /opt/mlf /opt/mlf
ENV COLLECTOR_HTTP_HOST=0.0.0.0 COLLECTOR_HTTP_PORT=8000
EXPOSE 8000
# SIGINT: the collector disconnects from the broker first, so nothing unacknowledged is lost.
STOPSIGNAL SIGINT
# /healthz answers 503 while the database or the broker is unreachable.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('COLLECTOR_HTTP_PORT', '8000'), timeout=4)"
ENTRYPOINT ["mlf-collector"]
# `serve` applies the database migrations before it starts ingesting (serialised: safe with several).
CMD ["serve"]
