# meshd's container image: a static-stdlib release build, then a slim runtime.
#
#   docker build -t meshd:latest .
#
# The builder compiles with --static-swift-stdlib, so the runtime needs no Swift toolchain or libswift*.so,
# only glibc, libstdc++, libcurl (FoundationNetworking, used by `meshd proxy-status`) and the CA bundle.
# Scripts/check-static-build runs the same build command on a machine without Docker and checks the
# binary. The runtime also carries iptables, because the same image serves as the init container of
# `meshd inject` (it installs the sidecar's redirect).

# ---- build ----
FROM swift:6.3-bookworm AS build
WORKDIR /src
# Resolve dependencies first, so that source edits do not refetch them.
# Package.resolved is not committed; the glob copies it only when present.
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY Sources ./Sources
COPY Protos ./Protos
# SwiftPM needs every target's directory to exist, including the test targets it will not build.
COPY Tests ./Tests
# libcurl4-openssl-dev: the static FoundationNetworking links -lcurl.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
RUN swift build -c release --static-swift-stdlib --product meshd \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/meshd" /out/meshd \
    && strip /out/meshd

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates iptables libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 meshd \
    && useradd --system --uid 10001 --gid meshd --home-dir /var/lib/meshd --shell /usr/sbin/nologin meshd \
    && install -d -o meshd -g meshd -m 0700 /var/lib/meshd
COPY --from=build /out/meshd /usr/local/bin/meshd
USER 10001:10001
WORKDIR /var/lib/meshd
# 15010 xDS and CSR (plaintext), 15012 xDS and CSR over TLS, 15014 admin and metrics.
EXPOSE 15010 15012 15014
ENTRYPOINT ["/usr/local/bin/meshd"]
CMD ["--help"]
