# syntax=docker/dockerfile:1
# One image recipe for every Signalbox service, picked with the APP build argument:
#   docker build --build-arg APP=data-service -t signalbox/data-service .
# APP is one of data-service, webhook-gateway, scheduler-service, event-router, compute-runtime.
# docker-compose.yml builds all five from this file.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG APP

# --- the workspace's package.json files alone: `npm ci` below reruns only when one of them or the lockfile
# changes (a COPY --from is cached by content, so editing source leaves the dependency layers alone)
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY libs/ libs/
COPY apps/ apps/
COPY e2e/package.json e2e/
RUN find libs apps -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# --- every dependency (dev too). Install scripts are off for `npm ci`: the image brings its own Node.js 24, so
# the `node` devDependency (Node 24 for machines whose own node is older) is not set up here, and isolated-vm,
# the one native addon, is rebuilt alone. It ships prebuilt binaries for Node 24 on linux x64 and arm64, which
# the rebuild picks; the toolchain is there for any other platform, where it compiles against the image's headers.
FROM ${NODE_IMAGE} AS deps
ENV npm_config_nodedir=/usr/local
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=manifests /app/ ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild isolated-vm \
 && node --no-node-snapshot -e "require('isolated-vm')"

# --- production dependencies only; pruning keeps the native build from the stage above
FROM deps AS prod-deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- build the chosen app and the libraries it depends on (build dependsOn ^build in nx.json),
# then gather what runs: every library's package.json (the node_modules/@signalbox symlinks point at
# them), the built libraries, and the app's package.json (read for its version) and dist
FROM deps AS build
ARG APP
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false CI=true
RUN test -n "$APP" || { echo 'build with --build-arg APP=<service>' >&2; exit 1; }
COPY tsconfig.base.json nx.json ./
COPY libs/ libs/
COPY apps/ apps/
# data-service serves the web console (apps/console/dist) at /console: it is built and copied with it.
RUN projects="$APP"; dirs="apps/$APP"; \
    if [ "$APP" = data-service ]; then projects="$APP,console"; dirs="$dirs apps/console"; fi; \
    npx nx run-many -t build --projects="$projects" --outputStyle=static \
 && for dir in libs/* $dirs; do \
      mkdir -p "/out/$dir" && cp "$dir/package.json" "/out/$dir/" \
      && if [ -d "$dir/dist" ]; then cp -R "$dir/dist" "/out/$dir/"; fi; \
    done \
 && find /out -name '*.tsbuildinfo' -delete \
 && test -f "/out/apps/$APP/dist/main.js"

# --- runtime: a port per service (the health check and EXPOSE use it; PORT in the environment still wins)
FROM ${NODE_IMAGE} AS runtime-base
ENV NODE_ENV=production
WORKDIR /app

FROM runtime-base AS port-data-service
ENV PORT=3000
EXPOSE 3000

FROM runtime-base AS port-webhook-gateway
ENV PORT=3001
EXPOSE 3001

FROM runtime-base AS port-scheduler-service
ENV PORT=3002
EXPOSE 3002

FROM runtime-base AS port-event-router
ENV PORT=3003
EXPOSE 3003

FROM runtime-base AS port-compute-runtime
ENV PORT=3004
EXPOSE 3004

# --- the image: production node_modules, the built libraries and the one app, run as the non-root `node`
# user (the code stays root-owned, so the service cannot rewrite it). Without --build-arg APP=<service>
# the build stops at this FROM.
FROM port-${APP} AS runtime
ARG APP
ENV APP=${APP}
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# isolated-vm (compute-runtime) needs --no-node-snapshot on Node 20 and later (its sandbox workers get it through
# execArgv); the other services run the same way. `exec` leaves node as the process that gets SIGTERM.
CMD ["sh", "-c", "exec node --enable-source-maps --no-node-snapshot \"apps/$APP/dist/main.js\""]
