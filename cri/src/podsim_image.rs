//! The image of podsim itself, to run `podsim explore --shard I/N` on a cluster (examples/explore-job/):
//! the static podsim binary at `/bin/podsim` (the entrypoint) and the scenario library at
//! `/scenarios`, the working directory `/`, so that `podsim explore` finds `scenarios/` as in a
//! checkout and every replay command it prints runs the same in a checkout. Packed by
//! [`crate::oci_layout`] as podsim's workload and pause images are, with no registry and no docker;
//! the Dockerfile at the top of the repository builds the same for those who use docker.

use crate::elf::check_static;
use crate::oci_layout::{layout_tar, normalise_reference, RunConfig, TarWriter};

/// The image's name when none is given: `podsim.local/podsim:VERSION`.
pub fn default_reference() -> String {
    format!("podsim.local/podsim:{}", env!("CARGO_PKG_VERSION"))
}

/// Where the binary lies in the image, without the leading slash.
pub const BINARY_PATH: &str = "bin/podsim";
/// The folder of the scenarios in the image, without the leading slash.
pub const SCENARIOS_DIR: &str = "scenarios";
/// The most scenario files an image holds.
pub const MAX_SCENARIOS: usize = 10_000;
/// How a container of the image runs when it gives no arguments: `podsim explore` (every scenario,
/// the default seeds).
pub const DEFAULT_ARGS: [&str; 1] = ["explore"];

/// What goes into podsim's image.
pub struct PodsimImage<'a> {
    /// The podsim executable: statically linked, since the image holds no libc and no loader.
    pub binary: &'a [u8],
    /// The scenario files: (file name, contents), put in `/scenarios` in this order.
    pub scenarios: &'a [(String, Vec<u8>)],
}

/// The OCI layout tar of podsim's image under `reference` (normalised docker-style), or why it
/// cannot be made (a dynamic binary, a scenario name that is not a plain `*.yaml` file name).
pub fn podsim_image_tar(image: &PodsimImage<'_>, reference: &str) -> Result<Vec<u8>, String> {
    check_static(image.binary).map_err(|why| format!("the podsim binary is not static: {why}"))?;
    if image.scenarios.len() > MAX_SCENARIOS {
        return Err(format!("{} scenarios; an image holds at most {MAX_SCENARIOS}", image.scenarios.len()));
    }
    if let Some((name, _)) = image.scenarios.iter().find(|(name, _)| !is_plain_yaml_name(name)) {
        return Err(format!("{name:?} is not a plain scenario file name (NAME.yaml)"));
    }
    let run =
        RunConfig { entrypoint: &["/bin/podsim"], cmd: &DEFAULT_ARGS, env: &["PATH=/bin"], working_dir: "/" };
    Ok(layout_tar(layer(image), &run, &[normalise_reference(reference)]))
}

/// A file name of the scenario folder: no folder, no hidden file, ending in `.yaml` or `.yml`.
fn is_plain_yaml_name(name: &str) -> bool {
    let plain = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0']);
    plain && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// The image's only layer: the root folders a container expects, a minimal /etc, the binary and the
/// scenarios.
fn layer(image: &PodsimImage<'_>) -> Vec<u8> {
    let mut layer = TarWriter::new();
    layer.root_folders("/bin/podsim");
    layer.file(BINARY_PATH, image.binary, 0o755);
    layer.folder(SCENARIOS_DIR, 0o755);
    for (name, contents) in image.scenarios {
        layer.file(&format!("{SCENARIOS_DIR}/{name}"), contents, 0o644);
    }
    layer.finish()
}

/// ELF files made by hand, for tests: a 64-bit header and a program header table.
#[cfg(test)]
pub(crate) mod fake_elf {
    /// An ELF executable whose program headers are of these types (3 = PT_INTERP: dynamic).
    pub fn with_program_headers(types: &[u32]) -> Vec<u8> {
        let mut elf = vec![0u8; 0x40];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x20..0x28].copy_from_slice(&0x40u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&(types.len() as u16).to_le_bytes());
        for kind in types {
            let mut header = vec![0u8; 56];
            header[..4].copy_from_slice(&kind.to_le_bytes());
            elf.extend(header);
        }
        elf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci_layout::read::{blob, entries, json};
    use crate::oci_layout::REF_NAME_ANNOTATION;

    const PT_LOAD: u32 = 1;
    const PT_INTERP: u32 = 3;

    fn scenarios() -> Vec<(String, Vec<u8>)> {
        vec![("a.yaml".into(), b"name: a\n".to_vec()), ("b.yaml".into(), b"name: b\n".to_vec())]
    }

    #[test]
    fn the_image_holds_the_binary_and_the_scenarios_and_starts_podsim() {
        let binary = fake_elf::with_program_headers(&[PT_LOAD, PT_LOAD]);
        let scenarios = scenarios();
        let image = PodsimImage { binary: &binary, scenarios: &scenarios };
        let layout = entries(&podsim_image_tar(&image, "podsim:dev").expect("an image"));
        let index = json(&layout["index.json"].1);
        let entry = &index["manifests"][0];
        assert_eq!(entry["annotations"][REF_NAME_ANNOTATION], "docker.io/library/podsim:dev");
        let manifest = json(blob(&layout, entry));
        let config = json(blob(&layout, &manifest["config"]));
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/bin/podsim"]));
        assert_eq!(config["config"]["Cmd"], serde_json::json!(["explore"]));
        assert_eq!(config["config"]["WorkingDir"], "/", "`scenarios` resolves to /scenarios");
        let layer = entries(blob(&layout, &manifest["layers"][0]));
        assert_eq!(layer["bin/podsim"], (0o755, binary));
        assert_eq!(layer["scenarios/a.yaml"], (0o644, b"name: a\n".to_vec()));
        assert_eq!(layer["scenarios/b.yaml"], (0o644, b"name: b\n".to_vec()));
        assert!(layer.contains_key("tmp/") && layer.contains_key("etc/passwd"));
        assert_eq!(default_reference(), format!("podsim.local/podsim:{}", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn the_image_is_reproducible() {
        let binary = fake_elf::with_program_headers(&[PT_LOAD]);
        let scenarios = scenarios();
        let image = PodsimImage { binary: &binary, scenarios: &scenarios };
        assert!(podsim_image_tar(&image, "x:1").unwrap() == podsim_image_tar(&image, "x:1").unwrap());
    }

    #[test]
    fn a_dynamic_binary_or_a_bad_scenario_name_is_refused() {
        let dynamic = fake_elf::with_program_headers(&[PT_LOAD, PT_INTERP]);
        let scenarios = scenarios();
        let e = podsim_image_tar(&PodsimImage { binary: &dynamic, scenarios: &scenarios }, "x").unwrap_err();
        assert!(e.contains("not static: dynamically linked"), "{e}");
        let e = podsim_image_tar(&PodsimImage { binary: b"#!/bin/sh\n", scenarios: &scenarios }, "x")
            .unwrap_err();
        assert!(e.contains("not a 64-bit little-endian ELF"), "{e}");
        let truncated = &fake_elf::with_program_headers(&[PT_LOAD])[..0x42];
        assert!(check_static(truncated).unwrap_err().contains("truncated"));
        let binary = fake_elf::with_program_headers(&[]);
        for name in ["../x.yaml", "sub/x.yaml", ".hidden.yaml", "x.json", ""] {
            let bad = vec![(name.to_string(), Vec::new())];
            let e = podsim_image_tar(&PodsimImage { binary: &binary, scenarios: &bad }, "x").unwrap_err();
            assert!(e.contains("not a plain scenario file name"), "{name}: {e}");
        }
    }
}
