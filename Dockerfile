# syntax=docker/dockerfile:1
# The poolpilot image: the controller (`poolpilot`, the default command) and the reference NAS
# service (`poolpilot-nas`), as the Helm chart under helm/poolpilot runs them. It holds what the
# npm package ships (package.json "files") and the production dependencies, nothing else.
#
#   docker build -t poolpilot:0.1.0 .
#   docker run --rm poolpilot:0.1.0 validate /app/policies/presets/seed.yaml

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: compile the TypeScript, then pack exactly what the npm package ships.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm pack --silent --pack-destination /tmp \
 && mkdir /pkg \
 && tar -xzf /tmp/poolpilot-*.tgz -C /pkg --strip-components=1 \
 && cp package-lock.json /pkg/

# Runtime: the packed files and the production dependencies, read-only to a non-root user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /pkg/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && groupadd --system --gid 10001 poolpilot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin poolpilot
# Numeric, so that the kubelet can check runAsNonRoot against it.
USER 10001:10001
EXPOSE 9464 8080
# The node flags of the poolpilot bin's shebang (dist/controller/cli/main.js, line 1): they keep
# the sidecar's memory down (BENCHMARKS.md, footprint); test/controller/bin-flags.test.ts holds
# them equal.
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/dist/controller/cli/main.js"]
CMD ["run"]
