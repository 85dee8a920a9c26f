#!/usr/bin/env bash
# Builds podsim's own image (the static podsim binary and scenarios/) as an OCI image layout tar:
# a static release build of podsim (glibc, +crt-static, as the workload and pause binaries are built
# in cri/build.rs), which then packs itself with `podsim image build`. Arguments go to `image build`
# (--out FILE.tar, default podsim-image.tar; --reference REF; --scenarios DIR).
#
#   scripts/build-image.sh --out podsim-image.tar
#   ctr -n k8s.io images import podsim-image.tar            # a containerd node (or kind load image-archive)
#   skopeo copy oci-archive:podsim-image.tar docker://REGISTRY/podsim:0.1.0   # or push it
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
# --target keeps the flag off build scripts and proc-macros, which cannot be static.
RUSTFLAGS='-C target-feature=+crt-static' CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked -p podsim --bin podsim --target "$target"
exec "${CARGO_TARGET_DIR:-target}/$target/release/podsim" image build "$@"
