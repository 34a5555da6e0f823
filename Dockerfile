# syntax=docker/dockerfile:1
# Multi-stage build of the Ritual Roast image, for machines that can pull images from Docker Hub
# (needs BuildKit: Docker >= 23 or `docker buildx build`):
#   docker build -t ritual-roast .
#
# It CANNOT be built on the project's build machine: no base image can be pulled there (only FROM scratch
# works). There, build the binary with cargo on the host and use Dockerfile.scratch (deploy.sh does this).
# Both files produce the same runtime image: one static musl binary, non-root, port 80, SIGTERM.
# See docs/deploy.md.

ARG RUST_VERSION=1
FROM rust:${RUST_VERSION}-slim-bookworm AS build
# musl-tools: musl-gcc for the C parts (bundled SQLite, ring). No OpenSSL, no libmysqlclient.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
# The build inputs only (.dockerignore keeps everything else, notably target/, out of the context).
COPY Cargo.toml Cargo.lock build.rs diesel.toml ./
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
COPY config ./config
COPY certs ./certs
# The binary is copied out of the cached target dir within the same step (cache mounts are not in the layer).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --target x86_64-unknown-linux-musl \
 && install -m 0755 target/x86_64-unknown-linux-musl/release/ritual-roast /ritual-roast

FROM scratch
COPY --from=build /ritual-roast /ritual-roast
USER 10001:10001
ENV PORT=80
EXPOSE 80
STOPSIGNAL SIGTERM
ENTRYPOINT ["/ritual-roast"]
CMD ["serve"]
