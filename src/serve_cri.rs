//! `podsim serve-cri`: the simulated containerd as a CRI endpoint on a unix socket, for crictl,
//! critest and a kubelet (the `containerd` cargo feature: the CRI server is built on its tonic
//! bindings).

use std::path::PathBuf;

use podsim_sim::input::InputError;

use crate::run;

/// What `podsim serve-cri` was asked.
#[cfg_attr(not(feature = "containerd"), allow(dead_code))]
pub struct ServeArgs {
    /// `--socket`.
    pub socket: PathBuf,
    /// The scenario, if any.
    pub scenario: Option<String>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--trace`.
    pub trace: Option<PathBuf>,
    /// `--image`, each.
    pub images: Vec<String>,
}

/// How serving failed: bad input or usage (exit 2), or the server failed (exit 1).
pub enum ServeFailure {
    /// A scenario that cannot be read.
    BadInput(InputError),
    /// Flags or paths that cannot be used, or a build without the backend.
    Usage(String),
    /// Serving failed.
    #[cfg_attr(not(feature = "containerd"), allow(dead_code))]
    Failed(String),
}

/// Serves until Ctrl-C or SIGTERM.
#[cfg(feature = "containerd")]
pub fn serve(args: ServeArgs) -> Result<(), ServeFailure> {
    use podsim_cri::serve::{serve_cri, ServeError, ServeOptions};
    let loaded = match &args.scenario {
        Some(path) => Some(run::load(path).map_err(ServeFailure::BadInput)?),
        None => None,
    };
    let seed = args.seed.or(loaded.as_ref().and_then(|l| l.scenario.seed)).unwrap_or(0);
    let faults = loaded.as_ref().map_or(0, |l| podsim_cri::sim_faults::runtime_faults(&l.scenario).len());
    let options = ServeOptions {
        socket: args.socket,
        scenario: loaded.map(|l| l.scenario),
        seed,
        trace: args.trace,
        images: args.images,
    };
    let report = serve_cri(options, |socket, images| {
        eprintln!(
            "serving the simulated containerd on unix://{} ({images} images in the registry, {faults} runtime \
             faults scheduled, seed {seed}); Ctrl-C stops it",
            socket.display()
        );
    })
    .map_err(|e| match e {
        ServeError::BadInput(m) => ServeFailure::Usage(m),
        ServeError::Failed(m) => ServeFailure::Failed(m),
    })?;
    eprintln!("stopped after {} ms; {} faults fired; socket removed", report.served_for, report.faults);
    Ok(())
}

/// Without the backend: say how to get it.
#[cfg(not(feature = "containerd"))]
pub fn serve(args: ServeArgs) -> Result<(), ServeFailure> {
    if let Some(path) = &args.scenario {
        run::load(path).map_err(ServeFailure::BadInput)?;
    }
    Err(ServeFailure::Usage(format!("serve-cri is not available: {}", podsim_cri::NOT_BUILT)))
}
