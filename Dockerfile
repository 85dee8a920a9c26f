# podsim's own image for those who build with docker: the same contents as `podsim image build`
# (cri/src/podsim_image.rs; scripts/build-image.sh builds it without docker, and is what podsim's
# tests run): the static podsim binary at /bin/podsim, the entrypoint, and the scenario library at
# /scenarios, with / as the working directory, so `podsim explore` finds `scenarios/` as in a
# checkout. Not tested with docker (podsim's machines have none); the image's layer differs from
# `podsim image build`'s in timestamps and in the /etc, /tmp and root folders that one adds.
#
#   docker build -t podsim.local/podsim:0.1.0 .
#   docker run --rm podsim.local/podsim:0.1.0 explore --shard 0/8 --seeds 0..200 --json
#
# The binary is glibc, statically linked (+crt-static, as the workload and pause binaries of
# cri/build.rs); --target keeps the flag off build scripts and proc-macros.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN RUSTFLAGS='-C target-feature=+crt-static' CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked -p podsim --bin podsim --target x86_64-unknown-linux-gnu \
 && cp target/x86_64-unknown-linux-gnu/release/podsim /podsim

FROM scratch
COPY --from=build /podsim /bin/podsim
COPY scenarios/*.yaml /scenarios/
WORKDIR /
ENV PATH=/bin
ENTRYPOINT ["/bin/podsim"]
CMD ["explore"]
