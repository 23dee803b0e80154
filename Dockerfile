# syntax=docker/dockerfile:1
# Interchange gateway image: compiled TypeScript on the current Node LTS, production
# dependencies only, running as the unprivileged `node` user.

ARG NODE_VERSION=24-bookworm-slim

FROM node:${NODE_VERSION} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY demo ./demo
RUN npm run build
RUN npm prune --omit=dev

FROM node:${NODE_VERSION} AS runtime
ENV NODE_ENV=production PORT=4000 DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node schema ./schema
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Connectors are loaded from the compiled dist/connectors.
ENV CONNECTORS_DIR=/app/dist/connectors
# One helper thread for V8's collector and compiler instead of four, and a 32 MB young-generation
# semi-space instead of 16: see "Configuration" in README.md.
ENV NODE_OPTIONS="--v8-pool-size=1 --max-semi-space-size=32"
CMD ["node", "bin/interchange.js", "start"]
