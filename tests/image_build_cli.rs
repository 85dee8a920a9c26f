//! `podsim image build`: podsim's own image (cri/src/podsim_image.rs) written as an OCI image layout
//! tar with the binary and the scenarios; a dynamic binary and bad scenarios refused (exit 2). The
//! image run on a real containerd is tested in tests/shard_image_containerd.rs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn podsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("podsim").expect("built").args(args).output().expect("podsim runs");
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image_build_cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory is made");
    dir
}

/// A file that reads as a static ELF executable: a 64-bit header and no program headers.
fn fake_static_elf() -> Vec<u8> {
    let mut elf = vec![0u8; 0x40];
    elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
    elf[0x20..0x28].copy_from_slice(&0x40u64.to_le_bytes());
    elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
    elf
}

/// The entries of a tar: path → contents.
fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(bytes);
    let mut entries = BTreeMap::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        let path = entry.path().expect("a path").to_string_lossy().into_owned();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).expect("contents");
        entries.insert(path, contents);
    }
    entries
}

#[test]
fn the_image_holds_the_binary_and_every_scenario() {
    let dir = scratch("build");
    let binary = dir.join("podsim");
    std::fs::write(&binary, fake_static_elf()).unwrap();
    let out = dir.join("image.tar");
    let build = |out: &Path| {
        let args =
            ["image", "build", "--binary", binary.to_str().unwrap(), "--reference", "podsim:test", "--out"];
        podsim(&[&args[..], &[out.to_str().unwrap()]].concat())
    };
    let (code, stdout, err) = build(&out);
    assert_eq!(code, 0, "{stdout}{err}");
    let shipped: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    let wrote = format!("wrote {}: docker.io/library/podsim:test, ", out.display());
    assert!(stdout.starts_with(&wrote), "{stdout}");
    assert!(stdout.contains(&format!("and {} scenarios", shipped.len())), "{stdout}");

    let layout = entries(&std::fs::read(&out).unwrap());
    let index: serde_json::Value = serde_json::from_slice(&layout["index.json"]).unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "docker.io/library/podsim:test"
    );
    let manifest_blob = |d: &serde_json::Value| {
        let digest = d["digest"].as_str().unwrap().trim_start_matches("sha256:").to_string();
        layout[&format!("blobs/sha256/{digest}")].clone()
    };
    let manifest: serde_json::Value = serde_json::from_slice(&manifest_blob(&index["manifests"][0])).unwrap();
    let layer = entries(&manifest_blob(&manifest["layers"][0]));
    assert_eq!(layer["bin/podsim"], fake_static_elf());
    for name in &shipped {
        assert_eq!(
            layer[&format!("scenarios/{name}")],
            std::fs::read(format!("scenarios/{name}")).unwrap(),
            "{name}"
        );
    }
    let again = dir.join("again.tar");
    let (code, _, _) = build(&again);
    assert_eq!(code, 0);
    assert!(
        std::fs::read(&again).unwrap() == std::fs::read(&out).unwrap(),
        "the same inputs give the same image"
    );
}

#[test]
fn a_dynamic_binary_and_bad_scenarios_are_refused() {
    let dir = scratch("refusals");
    let out = dir.join("image.tar");
    let out = out.to_str().unwrap();
    // The podsim under test is a dynamic (ordinary cargo) build.
    let (code, _, err) = podsim(&["image", "build", "--out", out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the podsim binary is not static: dynamically linked"), "{err}");
    assert!(err.contains("target-feature=+crt-static"), "says how to build a static one: {err}");
    assert!(!Path::new(out).exists(), "nothing written");

    let binary = dir.join("podsim");
    std::fs::write(&binary, fake_static_elf()).unwrap();
    let binary = binary.to_str().unwrap();
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("x.yaml"), "name: x\ndescription: d\nduration: soon\n").unwrap();
    let (code, _, err) =
        podsim(&["image", "build", "--binary", binary, "--scenarios", bad.to_str().unwrap(), "--out", out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("x.yaml:3:") && err.contains("duration"), "{err}");
    let (code, _, err) = podsim(&["image", "build", "--binary", "/no/such/podsim", "--out", out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/no/such/podsim: cannot read"), "{err}");
}
