# The screening server in a container, built from Debian bookworm packages only.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN bash scripts/install-deps.sh && \
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DSCREENING_BUILD_TESTS=OFF -DSCREENING_BUILD_BENCH=OFF && \
    cmake --build build --target screening-server screening-cli

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libsqlite3-0 libssl3 libcurl4 libxml2 libxxhash0 libspdlog1.10 libjemalloc2 \
      ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/server/screening-server /src/build/client/screening-cli /usr/local/bin/
COPY lists/ /etc/screening/lists/
VOLUME /var/lib/screening
EXPOSE 50051
ENTRYPOINT ["screening-server", "--db", "/var/lib/screening/screening.db", "--lists", "/etc/screening/lists/sources.conf"]
# Plaintext outside loopback is refused: give TLS files, or --insecure behind a TLS-terminating proxy.
CMD ["--listen", "0.0.0.0:50051", "--insecure"]
