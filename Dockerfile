# syntax=docker/dockerfile:1
# WinDI Messenger: a multi-stage build on Debian 12 (bookworm).
#
#   docker build -t windi-messenger .
#   docker run -p 8000:8000 -e SECRET_KEY="$(openssl rand -hex 32)" -v windi-data:/app/data windi-messenger
#
# Without DATABASE_URL the container keeps a SQLite database in /app/data (mount a volume there, as above); with
# DATABASE_URL=postgresql://… (and REDIS_URL for several replicas) it uses PostgreSQL. docker-compose.yml runs it
# with PostgreSQL 15 and Redis 7. Outside DEBUG=true the server refuses to start without a SECRET_KEY of at least
# 32 characters. Demo data: `docker-compose exec app windi create-test-data` (or `docker exec <container> …`).

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- build: the C++ server --------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libpq-dev libssl-dev libsqlite3-dev libsodium-dev libjwt-dev libhiredis-dev libicu-dev libstemmer-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev \
      libvips-dev libmagic-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the release build reads (the OpenAPI document is embedded in the binary), so that edits to the web
# folder, the tests or the docs do not rebuild the server.
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY migrations/ migrations/
COPY docs/openapi.json docs/openapi.json
COPY src/ src/
RUN cmake --preset release -DWINDI_BENCH=OFF \
 && cmake --build --preset release --target windi \
 && strip build/release/windi \
 && build/release/windi --help >/dev/null

# ---- web: Swagger UI's assets for /docs (npm ci from the lock file) ---------------------------------------
FROM ${DEBIAN_IMAGE} AS web
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /web
COPY web/package.json web/package-lock.json ./
# --ignore-scripts: the packages ship ready-made files; no install script (telemetry included) runs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && test -f node_modules/swagger-ui-dist/swagger-ui-bundle.js
COPY web/public/ public/

# ---- runtime: the binary, its shared libraries, and the web folder ----------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 \
      libpq5 libssl3 libsqlite3-0 libsodium23 libjwt0 libhiredis0.14 libicu72 libstemmer0d libspdlog1.10 libfmt9 libjemalloc2 \
      libvips42 libmagic1 libmagic-mgc \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 windi \
 && useradd --system --uid 10001 --gid windi --home-dir /app --no-create-home --shell /usr/sbin/nologin windi \
 && mkdir -p /app/data \
 && chown windi:windi /app/data
COPY --from=build /src/build/release/windi /usr/local/bin/windi
COPY --from=web /web/public/ /app/web/public/
COPY --from=web /web/node_modules/swagger-ui-dist/ /app/web/node_modules/swagger-ui-dist/
# Fails the build if a shared library is missing from the list above.
RUN ! ldd /usr/local/bin/windi | grep -q 'not found'

WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data \
    WEB_DIR=/app/web
USER windi
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT:-8000}/health" || exit 1
# windi handles SIGTERM itself (drains requests, closes sockets with 1001) and starts no child processes.
STOPSIGNAL SIGTERM
CMD ["windi", "serve"]
