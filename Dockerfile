# syntax=docker/dockerfile:1.7
# One image recipe for every service, chosen by build argument:
#   docker build --build-arg SERVICE=national-council   -t samverkan/national-council .
#   docker build --build-arg SERVICE=regional-council   -t samverkan/regional-council .
#   docker build --build-arg SERVICE=notifications      -t samverkan/notifications .
# The container runs `<service> serve` on port 8000; `docker run IMAGE migrate` runs the
# service's Alembic migrations instead (the arguments replace `serve`).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- builder: uv + the lock file
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
ARG UV_VERSION=0.13.9
RUN test -n "${SERVICE}" || (echo "--build-arg SERVICE=national-council|regional-council|notifications is required" >&2; exit 1)
# uv from PyPI, pinned like the Makefile's; it stays in this stage only.
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first, from the lock file only: this layer is reused until
# uv.lock or a pyproject.toml changes. uv needs every workspace member's pyproject.toml.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/national-council/pyproject.toml services/national-council/
COPY services/regional-council/pyproject.toml services/regional-council/
COPY services/notifications/pyproject.toml services/notifications/
COPY deploy/local/pyproject.toml deploy/local/
COPY ops/pyproject.toml ops/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${SERVICE}"

# Then our own code: the shared package and the one service, installed as wheels
# (--no-editable), so the environment needs nothing from /src at run time.
COPY shared/src shared/src
COPY services/${SERVICE}/src services/${SERVICE}/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "${SERVICE}"

# ---------------------------------------------------------------- runtime: no compilers, no uv
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="samverkan-${SERVICE}" \
      org.opencontainers.image.description="Samverkan ${SERVICE}: <service> serve | migrate"

# A fixed numeric uid/gid, so Kubernetes can check runAsNonRoot without a name lookup.
RUN groupadd --system --gid 10001 samverkan \
 && useradd --system --uid 10001 --gid samverkan --home-dir /var/lib/samverkan \
      --shell /usr/sbin/nologin samverkan \
 && mkdir -p /var/lib/samverkan/keys \
 && chown -R samverkan:samverkan /var/lib/samverkan

COPY --from=builder /app/.venv /app/.venv
# The service's console script under one name, so ENTRYPOINT stays in exec form (the
# process is PID 1 and gets SIGTERM directly).
RUN ln -s "/app/.venv/bin/${SERVICE}" /usr/local/bin/samverkan-service

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SAMVERKAN_ENVIRONMENT=production \
    SAMVERKAN_HTTP_HOST=0.0.0.0 \
    SAMVERKAN_HTTP_PORT=8000 \
    SAMVERKAN_MIGRATE_ON_START=false

USER 10001:10001
WORKDIR /var/lib/samverkan
EXPOSE 8000

# The slim image has no curl: the interpreter asks /healthz (the process answers).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SAMVERKAN_HTTP_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["samverkan-service"]
CMD ["serve"]
