# syntax=docker/dockerfile:1
# otagw image: one program, every role (`start --role all|api|worker|smsc-sim`, `smsc-sim`, `certs`,
# `keys`, `import`, ...). tsx compiles the TypeScript sources on load, as in development: the image runs
# src/ itself, there is no dist/.
#   docker build -t otagw .
#   docker run --rm -e REDIS_URL=redis://... -p 127.0.0.1:8080:8080 -v otagw-data:/var/lib/otagw otagw
# (No redis-server in the image: give it REDIS_URL. Without DATABASE_URL it keeps PGlite under
# /var/lib/otagw.) docker-compose.yml runs the scaled-out setup.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every dependency, dev ones included (the type checker) ----------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are not needed: esbuild (under tsx) takes its binary from its @esbuild/<platform>
# optional package.
RUN npm ci --ignore-scripts --no-audit --no-fund

# ---- build: the gate. The production stage copies its sources from here, so it cannot be built
# from sources that do not type-check. ---------------------------------------------------------------
FROM deps AS build
COPY tsconfig.json ./
COPY bin ./bin
COPY codecs ./codecs
COPY src ./src
COPY config ./config
RUN npm run typecheck

# ---- production: runtime dependencies and what runs ----------------------------------------------
FROM ${NODE_IMAGE} AS production
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/tsconfig.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/codecs ./codecs
COPY --from=build /app/src ./src
COPY --from=build /app/config ./config
# /var/lib/otagw: PGlite's data (when there is no DATABASE_URL). /app/var: run-time files of one
# container (var/run/api.json, through which `otagw keys` reaches the running server). /certs: where
# docker-compose.yml's certs volume is mounted; a new named volume takes this directory's owner.
RUN mkdir -p /var/lib/otagw /app/var /certs && chown node:node /var/lib/otagw /app/var /certs
ENV OTAGW_DATA_DIR=/var/lib/otagw \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/var/lib/otagw"]
USER node
# tsx keeps what it compiles under /tmp/tsx-<uid> and uses it for about a week: compiling the start
# command's modules now spares a new container's first start that work (measured: 4.1 s -> 2.0 s to a
# healthy api role on a loaded 2-core machine). An older image simply compiles on load.
RUN node bin/otagw.js start --help > /dev/null
# HTTP API (PORT), SMSC simulator SMPP and control API (smsc.simulator.port / controlPort)
EXPOSE 8080 2775 2776
# GET /healthz, over HTTPS with $OTAGW_TLS_DIR/ca.cert.pem when OTAGW_TLS_DIR is set. Roles without
# HTTP (worker, smsc-sim) override or disable it (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/otagw.js"]
CMD ["start"]
