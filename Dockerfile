# Postern in a container (docs/deploy.md): built from this checkout, installed from its own package
# tarball exactly as `npm install` would, and run as the unprivileged "node" user with its data
# (SQLite database, instance secret) in the /data volume. deploy/compose.yaml puts Caddy in front.
ARG NODE_VERSION=22

# Bundle src/ into dist/ and pack the package.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir /opt/postern && cd /opt/postern \
 && npm install --omit=dev --no-audit --no-fund /tmp/postern-*.tgz

# Only what runs: Node.js, the installed package and its production dependencies.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    POSTERN_DATA_DIR=/data \
    POSTERN_HOST=0.0.0.0 \
    POSTERN_PORT=8080
COPY --from=build /opt/postern /opt/postern
RUN ln -s /opt/postern/node_modules/.bin/postern /usr/local/bin/postern \
 && mkdir -p /data /etc/postern && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.POSTERN_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["postern"]
CMD ["serve"]
