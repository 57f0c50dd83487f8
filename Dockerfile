# eldergate gateway image: the gateway, the rule engine, the built operator board and the
# simulators (the compose file's optional `sim` profile runs the police receiver and a town
# from this same image). Configuration comes only from the environment (README,
# "Configuration"); no secret is baked in.

# ---- build: full dependencies, then `npm run build` (scripts/build.mjs, the build `npm ci` runs) --
# dist/gateway/main.js: the gateway bundled by esbuild for plain `node` (npm packages stay in
# node_modules), dist/gateway/migrations: its SQL, dashboard/dist: the board's static files.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" build needs the sources, copied below; it runs as `npm run build`.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY contract ./contract
COPY gateway/src ./gateway/src
COPY rules/src ./rules/src
COPY dashboard ./dashboard
RUN npm run build

# ---- runtime: production dependencies only, non-root ---------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    EG_HOST=0.0.0.0 \
    EG_MQTT_PORT=1883 \
    EG_HTTP_PORT=8080 \
    EG_DATA_DIR=/data \
    EG_DASHBOARD_DIR=/app/dashboard/dist
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no "prepare" build here (no sources, no devDependencies); the build stage built it.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The gateway runs from the build stage's output: dist/gateway/ sits as deep as gateway/src/, so
# the bundle finds ../../dashboard/dist (EG_DASHBOARD_DIR says it too) and its migrations beside it.
COPY --from=build /app/dist/gateway ./dist/gateway
COPY --from=build /app/dashboard/dist ./dashboard/dist
# Sources for the simulators only (the compose `sim` profile runs them through tsx, a dependency).
COPY tsconfig.json ./
COPY contract ./contract
COPY gateway/src ./gateway/src
COPY rules/src ./rules/src
COPY simulators/src ./simulators/src
COPY simulators/scenarios ./simulators/scenarios
# /data holds the embedded database when DATABASE_URL is unset (a single-box install).
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 1883 8080
VOLUME ["/data"]
# /healthz answers 200 once storage, broker and HTTP are up (node's fetch: no curl in -slim).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.EG_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Compiled JavaScript, no tsx and no Vite: what `npm start` runs, without its prestart staleness
# check (the image has no devDependencies to rebuild with, and nothing to rebuild).
CMD ["node", "--enable-source-maps", "dist/gateway/main.js"]
