# syntax=docker/dockerfile:1
# One image recipe for every Signalbox service: `docker build --build-arg APP=data-service .`
ARG NODE_IMAGE=node:20-bookworm-slim

# --- dependencies (with the toolchain native addons need, e.g. isolated-vm for compute-runtime)
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/ libs/
COPY apps/ apps/
COPY e2e/package.json e2e/package.json
RUN npm ci --no-audit --no-fund

# --- build the chosen app and the libraries it uses
FROM deps AS build
ARG APP
COPY tsconfig.base.json nx.json jest.preset.js ./
ENV NX_DAEMON=false NX_NO_CLOUD=true
RUN test -n "$APP" || (echo "build with --build-arg APP=<service>" && exit 1) \
 && npx nx run ${APP}:build --outputStyle=static \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies, the built libraries and the one app, as a non-root user
FROM ${NODE_IMAGE} AS runtime
ARG APP
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/libs ./libs
COPY --from=build --chown=node:node /app/apps/${APP}/package.json ./apps/${APP}/package.json
COPY --from=build --chown=node:node /app/apps/${APP}/dist ./apps/${APP}/dist
USER node
# isolated-vm (compute-runtime) needs --no-node-snapshot on Node 20+; harmless for the others.
CMD ["sh", "-c", "exec node --enable-source-maps --no-node-snapshot apps/${APP}/dist/main.js"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
