# orderdesk: the API, the console and the workers in one image (docs/deploy.md).
#   docker build -t orderdesk .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://… orderdesk            # everything
#   … -e ORDERDESK_ROLE=api / -e ORDERDESK_ROLE=worker                          # split roles

# ---- build: all dependencies, the console bundle, then only the runtime dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json biome.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
RUN npm run build:web && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: no compilers, no dev dependencies, not root
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/web/dist ./web/dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# /readyz answers 200 once the database answers (the worker role serves no HTTP: its compose
# service replaces this check)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]
