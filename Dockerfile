# syntax=docker/dockerfile:1
# One image for every Amrutam process (compose.yaml and deploy/k8s run all three from it):
#   the API (the default CMD)      node src/server.ts
#   the worker                     node src/worker.ts
#   migrations (a release step)    node src/cli.ts migrate
# Build: docker build -t amrutam .   Try it alone (embedded PostgreSQL, no Redis, development keys):
#   docker run --rm -p 3000:3000 -e NODE_ENV=development amrutam

# --- build: every dependency, to build the web app into web/dist with Vite ---
FROM node:24-slim AS build
WORKDIR /app
# The workspaces' manifests before `npm ci`, so it resolves them, and so its layer is reused until a
# manifest changes. --ignore-scripts: the only install scripts are the `node` devDependency's
# (it downloads a second Node 24; the image has one) and BullMQ's native decoder (not for a build).
COPY package.json package-lock.json ./
COPY web/package.json web/
COPY packages/client/package.json packages/client/
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY web/ web/
RUN node web/build.ts

# --- runtime: production dependencies, the server's TypeScript (Node runs it as-is), web/dist ---
FROM node:24-slim AS runtime
WORKDIR /app
# MALLOC_ARENA_MAX=2: what `npm start` sets; glibc's per-thread arenas otherwise inflate resident memory.
# DATA_DIR: in production nothing is written there (keys, mail and the audit checkpoint live
# elsewhere); the embedded trial mode keeps its database there, so the app's user owns it.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    DATA_DIR=/data
COPY package.json package-lock.json ./
COPY web/package.json web/
COPY packages/client/package.json packages/client/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY src/ src/
COPY --from=build /app/web/dist web/dist
RUN mkdir /data && chown 1000:1000 /data
# The base image's `node` user, by number so Kubernetes' runAsNonRoot can verify it. The code stays
# root-owned: the process can't rewrite it.
USER 1000:1000
EXPOSE 3000
# No curl in the slim image: Node's own fetch. The worker has no HTTP port (compose disables this there).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `npm start` without its web build step (done above) and without npm: node is PID 1 and gets
# SIGTERM itself (src/platform/signals.ts drains, then exits). Same memory flags as `npm start`.
CMD ["node", "--max-semi-space-size=16", "--max-old-space-size=256", "src/server.ts"]
