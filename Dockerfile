# Sawmill as a container image: the same `sawmill serve` the README runs, embedded by default,
# a cluster node when SAWMILL_ROLE / SAWMILL_STORE / SAWMILL_BUFFER / SAWMILL_CACHE are set
# (deploy/docker-compose.yml). Docker does not run on the project's CI machines; what this file
# runs is what test/cluster/*.test.ts runs there without it.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet (they are next, for layer caching).
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SAWMILL_DATA=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
VOLUME /data
EXPOSE 3000 5140/tcp 5140/udp 12201/tcp 12201/udp
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js", "serve"]
