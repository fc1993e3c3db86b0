# syntax=docker/dockerfile:1
# One Dockerfile for the three Portico services; scripts/build-image.sh passes the arguments:
#   scripts/build-image.sh gateway        (or key-manager, store)
# which runs, from the repository root:
#   docker build --build-arg SERVICE=gateway --build-arg PORT=8080 --build-arg ADMIN_PORT=9080 \
#     --target service -t portico/gateway .
# The store's image is the `store` target: the same image plus the built developer portal.
# The build stage runs scripts/package-service.sh, the same command helm/test/images.test.ts runs
# locally, so what the image holds is what the tests check (docs/adr/0040-container-images.md).

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
# Same pnpm as scripts/lib.sh (PNPM_VERSION); the test keeps them equal.
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-audit --no-fund "pnpm@${PNPM_VERSION}"
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches ./patches
COPY scripts/lib.sh scripts/package-service.sh ./scripts/
COPY libs ./libs
COPY services/${SERVICE} ./services/${SERVICE}
RUN bash scripts/package-service.sh ${SERVICE} /out

# The developer portal (services/portal) built into static files by the same script `make up`
# and `make test` run (scripts/build-portal.sh); only the store target uses this stage.
FROM ${NODE_IMAGE} AS portal
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-audit --no-fund "pnpm@${PNPM_VERSION}"
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches ./patches
COPY scripts/lib.sh scripts/build-portal.sh ./scripts/
COPY libs ./libs
COPY e2e ./e2e
COPY services/portal ./services/portal
RUN pnpm install --frozen-lockfile --filter "@portico/portal..." && bash scripts/build-portal.sh --force

FROM ${NODE_IMAGE} AS service
ARG SERVICE
ARG PORT
ARG ADMIN_PORT
ENV NODE_ENV=production \
    HOST=0.0.0.0
# Files stay owned by root and read-only to the process: the pod mounts the root filesystem
# read-only anyway, and nothing here writes outside /tmp.
COPY --from=build /out /app
WORKDIR /app/services/${SERVICE}
# The image's unprivileged `node` user, by number so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE ${PORT} ${ADMIN_PORT}
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "src/main.ts"]

FROM service AS store
COPY --from=portal /src/services/portal/dist /app/services/portal/dist
