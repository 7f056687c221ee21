# Heed in a container: Node 24 slim, production dependencies only, run as the unprivileged `node` user.
#   docker build -t heed .
#   docker run --env-file .env -v heed-data:/app/data -v "$PWD/heed.config.json:/app/heed.config.json:ro" -p 3000:3000 heed
# The SQLite file lives in the volume at /app/data; for several replicas use PostgreSQL (compose.yaml).
# CI runs this file's last stage outside Docker (scripts/container-check.ts: the same npm command, the same files,
# the same CMD and HEALTHCHECK), so keep each instruction on one line and CMD and HEALTHCHECK in exec (JSON) form.

# Build stage: the Prisma clients are generated here, with the dev dependencies (the prisma CLI) that the image
# leaves out; only the generated code is carried over.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/generate-prisma.mjs scripts/
COPY prisma prisma
RUN npm ci --no-audit --no-fund

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --omit=optional too: the prisma CLI and its tree are an optional peer of @prisma/client as well as a dev
# dependency, and --omit=dev alone keeps them. --ignore-scripts: postinstall would regenerate the Prisma clients,
# which needs that CLI; they come from the build stage instead. No production dependency needs an install script
# (better-sqlite3 ships its prebuilt binaries in the package).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY prisma prisma
COPY src src
COPY manifest.json ./
COPY --from=build /app/src/generated src/generated
RUN mkdir -p data && chown node:node data
USER node
ENV DATABASE_URL=file:./data/heed.db
ENV HEED_CONFIG=./heed.config.json
ENV PORT=3000
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/heed.js", "start"]
