# eldergate gateway image: the gateway, the rule engine, the built operator board and the
# simulators (the compose file's optional `sim` profile runs the police receiver and a town
# from this same image). Configuration comes only from the environment (README,
# "Configuration"); no secret is baked in.

# ---- build: full dependencies, then the board's static files ------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY dashboard ./dashboard
RUN npm run build:dashboard

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
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY gateway/src ./gateway/src
COPY rules/src ./rules/src
COPY simulators/src ./simulators/src
COPY simulators/scenarios ./simulators/scenarios
COPY --from=build /app/dashboard/dist ./dashboard/dist
# /data holds the embedded database when DATABASE_URL is unset (a single-box install).
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 1883 8080
VOLUME ["/data"]
# /healthz answers 200 once storage, broker and HTTP are up (node's fetch: no curl in -slim).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.EG_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Not `npm start`: its prestart rebuilds the board, which needs the build stage's dev tools.
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
