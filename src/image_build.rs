//! `podsim image build`: packs podsim itself, a static podsim binary and the scenario library, as an
//! OCI image layout tar (cri/src/podsim_image.rs), to run `podsim explore --shard I/N` as a
//! Kubernetes Indexed Job (examples/explore-job/). The binary is the running podsim unless
//! `--binary` names another; either way it must be static (`scripts/build-image.sh` builds one and
//! packs it).

use std::path::{Path, PathBuf};

use podsim_cri::oci_layout::normalise_reference;
use podsim_cri::podsim_image::{default_reference, podsim_image_tar, PodsimImage, MAX_SCENARIOS};
use podsim_sim::input::InputError;

/// How to build a static podsim, for the message that refuses a dynamic one.
pub const STATIC_BUILD: &str = "RUSTFLAGS='-C target-feature=+crt-static' cargo build --release \
--target x86_64-unknown-linux-gnu, then run target/x86_64-unknown-linux-gnu/release/podsim image build \
(or scripts/build-image.sh, which does both)";

/// `podsim image build`'s arguments.
#[derive(clap::Args, Clone, Debug)]
pub struct BuildArgs {
    /// The podsim binary to pack (default: this podsim); it must be statically linked
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// The folder whose *.yaml scenarios go into the image's /scenarios
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    pub scenarios: PathBuf,
    /// The image's name (default: podsim.local/podsim:VERSION)
    #[arg(long, value_name = "REF")]
    pub reference: Option<String>,
    /// Where to write the image (an OCI image layout tar)
    #[arg(long, value_name = "FILE.tar", default_value = "podsim-image.tar")]
    pub out: PathBuf,
}

/// Builds the image and writes it; says what it wrote and how to import it.
pub fn build(args: &BuildArgs) -> Result<(), InputError> {
    let binary_path = match &args.binary {
        Some(path) => path.clone(),
        None => std::env::current_exe().map_err(|e| {
            InputError::whole_file("podsim", format!("cannot find this podsim's binary: {e}"))
        })?,
    };
    let binary_name = binary_path.to_string_lossy().into_owned();
    let binary = std::fs::read(&binary_path)
        .map_err(|e| InputError::whole_file(&binary_name, format!("cannot read: {e}")))?;
    let scenarios = read_scenarios(&args.scenarios)?;
    let reference = normalise_reference(&args.reference.clone().unwrap_or_else(default_reference));
    let image = PodsimImage { binary: &binary, scenarios: &scenarios };
    let tar = podsim_image_tar(&image, &reference).map_err(|why| {
        let hint = if why.contains("not static") {
            format!("; build a static podsim: {STATIC_BUILD}")
        } else {
            String::new()
        };
        InputError::whole_file(&binary_name, format!("{why}{hint}"))
    })?;
    let out = args.out.to_string_lossy().into_owned();
    std::fs::write(&args.out, &tar)
        .map_err(|e| InputError::whole_file(&out, format!("cannot write the image: {e}")))?;
    println!(
        "wrote {out}: {reference}, {} MB, the podsim binary and {} scenarios\nimport it with: ctr -n k8s.io images import {out}",
        tar.len() / 1_000_000,
        scenarios.len()
    );
    Ok(())
}

/// Every `*.yaml` of `dir`, sorted by name, each checked to read as a scenario.
fn read_scenarios(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, InputError> {
    let dir_name = dir.to_string_lossy().into_owned();
    let loaded = crate::run::load_all(std::slice::from_ref(&dir_name))?;
    if !dir.is_dir() {
        return Err(InputError::whole_file(&dir_name, "not a folder of scenarios"));
    }
    if loaded.len() > MAX_SCENARIOS {
        return Err(InputError::whole_file(&dir_name, format!("more than {MAX_SCENARIOS} scenarios")));
    }
    loaded
        .iter()
        .map(|l| {
            let name =
                Path::new(&l.path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let contents = std::fs::read(&l.path)
                .map_err(|e| InputError::whole_file(&l.path, format!("cannot read: {e}")))?;
            Ok((name, contents))
        })
        .collect()
}
