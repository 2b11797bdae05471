# The operator's image for users with a container builder:
#   docker build -t ghcr.io/matrixmind-cloud/aws-rds-operator:dev .
# `make image` builds the same image without a daemon or a base image (cmd/image-build).

# The builder runs on the build machine and cross-compiles, so multi-platform builds
# (docker buildx build --platform linux/amd64,linux/arm64) need no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
# Modules first, in their own layer, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w" -o /out/manager ./cmd/manager

# Static, no shell, no package manager; CA certificates and the nonroot user (65532) included.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.source="https://github.com/matrixmind-cloud/aws-rds-operator" \
      org.opencontainers.image.title="aws-rds-operator" \
      org.opencontainers.image.version="$VERSION"
COPY --from=builder /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
