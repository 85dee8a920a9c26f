//! With the `containerd` feature, builds podsim's `workload` and `pause` binaries statically (glibc,
//! `+crt-static`) in a nested cargo with its own target folder, and hands their paths to the crate as
//! `PODSIM_WORKLOAD_BIN` and `PODSIM_PAUSE_BIN` for `include_bytes!` (see `src/image.rs`). Without
//! the feature it does nothing.

use std::path::{Path, PathBuf};

#[path = "src/elf.rs"]
mod elf;
use std::process::Command;

/// The target the static binaries are built for: podsim's images are linux/amd64.
const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";

/// The binaries packed into podsim's images, with the variable that carries each one's path.
const BINARIES: [(&str, &str); 2] = [("workload", "PODSIM_WORKLOAD_BIN"), ("pause", "PODSIM_PAUSE_BIN")];

/// Variables the outer cargo sets for this build script that must not steer the nested build: its
/// target folder and target, its flags (which would override `RUSTFLAGS`), wrappers (clippy's among
/// them) and the jobserver.
const LEAKING_VARIABLES: [&str; 9] = [
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_CONTAINERD").is_none() {
        return;
    }
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("cri/ sits in the workspace root").to_path_buf();
    for watched in ["workload/src", "workload/Cargo.toml", "model/src", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let target_dir = PathBuf::from(env("OUT_DIR")).join("static-target");
    build_static_binaries(&workspace, &target_dir);
    let release_dir = target_dir.join(STATIC_TARGET).join("release");
    for (binary, variable) in BINARIES {
        let path = release_dir.join(binary);
        assert_statically_linked(&path);
        println!("cargo:rustc-env={variable}={}", path.display());
    }
}

/// Runs `cargo build --release -p podsim-workload --bins` for [`STATIC_TARGET`] with `+crt-static`,
/// in `target_dir` (apart from the outer build's folder, so the two never wait on each other's lock).
/// `--target` keeps the flag off build scripts and proc-macros, which cannot be static. Symbols are
/// stripped: the binaries go into every image.
fn build_static_binaries(workspace: &Path, target_dir: &Path) {
    let mut cargo = Command::new(env("CARGO"));
    cargo
        .arg("build")
        .arg("--release")
        .args(["-p", "podsim-workload", "--bins", "--target", STATIC_TARGET])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols");
    for variable in LEAKING_VARIABLES {
        cargo.env_remove(variable);
    }
    for (variable, _) in std::env::vars_os() {
        let name = variable.to_string_lossy();
        if name.starts_with("CARGO_FEATURE_") || name.starts_with("CARGO_CFG_") {
            cargo.env_remove(&variable);
        }
    }
    let output = cargo.output().expect("the nested cargo starts");
    assert!(
        output.status.success(),
        "building the static workload and pause binaries failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Asserts in words that `path` is a statically linked ELF executable: it has no `PT_INTERP`
/// program header (no dynamic loader), so it runs in an image that holds nothing else.
fn assert_statically_linked(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if let Err(why) = elf::check_static(&bytes) {
        panic!("{} is not a static executable: {why}", path.display());
    }
}

fn env(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| panic!("cargo sets {variable} for build scripts"))
}
