//! `podsim serve-cri`: the simulated containerd's RuntimeService and ImageService on a unix socket,
//! on the wall clock, until Ctrl-C or SIGTERM, so that crictl, critest or a kubelet
//! (`--container-runtime-endpoint unix:///PATH`) can use a simulated node.
//!
//! The registry holds the scenario's images, the `--image` ones and every image critest pulls
//! ([`crate::sim_images::CRITEST_IMAGES`]). The scenario's runtime faults fire at their times on
//! the server's clock (0 when it starts); `--trace` writes every call and reply, fault and heal as
//! the project's trace records (JSON lines), as they happen.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use podsim_model::Millis;
use podsim_sim::containerd::{PullFailure, RegistryImage};
use podsim_sim::rng::SimRng;
use podsim_sim::scenario::{PullFailureSpec, Scenario};
use podsim_sim::trace::TraceRecord;

use crate::sim_faults::{self, Heal};
use crate::sim_images::{self, CRITEST_IMAGES};
use crate::sim_server::{SimCri, SimCriOptions, TraceSink};

/// How `podsim serve-cri` serves.
pub struct ServeOptions {
    /// The unix socket to serve on.
    pub socket: PathBuf,
    /// The scenario whose images and runtime faults the node has, if any.
    pub scenario: Option<Scenario>,
    /// Draws the targets of faults that name none.
    pub seed: u64,
    /// Where to write the trace (JSON lines).
    pub trace: Option<PathBuf>,
    /// More images for the registry (pullable, not on the node).
    pub images: Vec<String>,
}

/// Why serving failed.
#[derive(Debug)]
pub enum ServeError {
    /// The options cannot be used (exit 2).
    BadInput(String),
    /// Serving failed (exit 1).
    Failed(String),
}

/// What a served session did.
#[derive(Debug, Default)]
pub struct ServeReport {
    /// How long it served, in milliseconds.
    pub served_for: Millis,
    /// Faults realised.
    pub faults: usize,
}

/// Serves until Ctrl-C or SIGTERM, then removes the socket. `ready` is told the socket once it
/// accepts connections.
pub fn serve_cri(options: ServeOptions, ready: impl FnOnce(&Path, usize)) -> Result<ServeReport, ServeError> {
    prepare_socket(&options.socket)?;
    let registry = registry(options.scenario.as_ref(), &options.images)?;
    let preloaded = preloaded(options.scenario.as_ref());
    let trace = match &options.trace {
        Some(path) => Some(trace_sink(path)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Failed(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(async {
        let listener = tokio::net::UnixListener::bind(&options.socket)
            .map_err(|e| ServeError::Failed(format!("cannot listen on {}: {e}", options.socket.display())))?;
        let images = registry.len();
        let cri = SimCri::with_options(SimCriOptions {
            registry,
            preloaded,
            wall_clock: true,
            trace: trace.clone(),
        });
        ready(&options.socket, images);
        let fired = Arc::new(AtomicUsize::new(0));
        let faults =
            tokio::spawn(fire_faults(cri.clone(), options.scenario.clone(), options.seed, fired.clone()));
        let serving = cri.clone().serve_unix(listener);
        let outcome = tokio::select! {
            served = serving => served.map_err(|e| ServeError::Failed(format!("serving failed: {e}"))),
            signal = stop_signal() => signal,
        };
        faults.abort();
        outcome.map(|()| ServeReport { served_for: cri.now(), faults: fired.load(Ordering::SeqCst) })
    });
    let removed = std::fs::remove_file(&options.socket);
    let report = result?;
    removed.map_err(|e| ServeError::Failed(format!("cannot remove {}: {e}", options.socket.display())))?;
    Ok(report)
}

/// Refuses a path that exists and is not a socket, or a socket something still serves on; removes
/// a stale socket (its server is gone).
fn prepare_socket(socket: &Path) -> Result<(), ServeError> {
    let Ok(metadata) = std::fs::symlink_metadata(socket) else { return Ok(()) };
    if !metadata.file_type().is_socket() {
        return Err(ServeError::BadInput(format!(
            "{} exists and is not a socket; refusing to replace it",
            socket.display()
        )));
    }
    if std::os::unix::net::UnixStream::connect(socket).is_ok() {
        return Err(ServeError::BadInput(format!("{} is in use: something serves on it", socket.display())));
    }
    std::fs::remove_file(socket)
        .map_err(|e| ServeError::Failed(format!("cannot remove the stale socket {}: {e}", socket.display())))
}

/// The registry: the scenario's images as it describes them, the `--image` ones and critest's, all
/// pulled at once (an unknown name is bad input).
fn registry(
    scenario: Option<&Scenario>,
    extra: &[String],
) -> Result<BTreeMap<String, RegistryImage>, ServeError> {
    let instant = || RegistryImage { pull_latency: 0, failure: PullFailure::None, workload: None };
    let mut registry: BTreeMap<String, RegistryImage> =
        CRITEST_IMAGES.iter().map(|name| (name.to_string(), instant())).collect();
    for name in extra {
        let normal =
            sim_images::normalize(name).map_err(|e| ServeError::BadInput(format!("--image {name}: {e}")))?;
        registry.insert(normal, instant());
    }
    for (name, spec) in scenario.map(|s| &s.images).into_iter().flatten() {
        let failure = match spec.failure {
            PullFailureSpec::None => PullFailure::None,
            PullFailureSpec::Permanent => PullFailure::Permanent,
            PullFailureSpec::Transient(n) => PullFailure::Transient { failures_left: n },
        };
        let image = RegistryImage { pull_latency: spec.pull_latency, failure, workload: spec.workload };
        registry.insert(sim_images::normalize(name).unwrap_or_else(|_| name.clone()), image);
    }
    Ok(registry)
}

/// The scenario's images that are on the node from the start.
fn preloaded(scenario: Option<&Scenario>) -> Vec<String> {
    let images = scenario.map(|s| &s.images).into_iter().flatten();
    images.filter(|(_, spec)| spec.preloaded).map(|(name, _)| name.clone()).collect()
}

/// A trace file written a record a line, as records come.
fn trace_sink(path: &Path) -> Result<TraceSink, ServeError> {
    let file = std::fs::File::create(path)
        .map_err(|e| ServeError::BadInput(format!("{}: cannot write the trace: {e}", path.display())))?;
    let file = Mutex::new(std::io::LineWriter::new(file));
    Ok(Arc::new(move |record: TraceRecord| {
        let line = serde_json::to_string(&record).unwrap_or_default();
        if let Ok(mut file) = file.lock() {
            let _ = writeln!(file, "{line}");
        }
    }))
}

/// Fires the scenario's runtime faults at their times, and their heals, counting the faults in
/// `fired`.
async fn fire_faults(cri: SimCri, scenario: Option<Scenario>, seed: u64, fired: Arc<AtomicUsize>) {
    let Some(scenario) = scenario else { return };
    let mut rng = SimRng::new(seed);
    let mut heals: Vec<Heal> = Vec::new();
    for (at, fault) in sim_faults::runtime_faults(&scenario) {
        heal_due(&cri, &mut heals, at).await;
        sleep_until(&cri, at).await;
        let done = cri.realise_fault(&fault, &mut rng, Some(&scenario));
        fired.fetch_add(1, Ordering::SeqCst);
        heals.extend(done.heal);
    }
    heal_due(&cri, &mut heals, Millis::MAX).await;
}

/// Carries out, in time order, the heals due before `before`.
async fn heal_due(cri: &SimCri, heals: &mut Vec<Heal>, before: Millis) {
    heals.sort_by_key(|h| h.at);
    while heals.first().is_some_and(|h| h.at < before) {
        let heal = heals.remove(0);
        sleep_until(cri, heal.at).await;
        cri.heal_fault(&heal.action);
    }
}

/// Sleeps until the server's clock reads `at`.
async fn sleep_until(cri: &SimCri, at: Millis) {
    let now = cri.now();
    if at > now {
        tokio::time::sleep(Duration::from_millis(at - now)).await;
    }
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() -> Result<(), ServeError> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| ServeError::Failed(format!("cannot watch for SIGTERM: {e}")))?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => {
            interrupted.map_err(|e| ServeError::Failed(format!("cannot watch for Ctrl-C: {e}")))
        }
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_is_not_a_socket_is_refused_and_a_stale_socket_removed() {
        let dir = std::env::temp_dir().join(format!("podsim-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(matches!(prepare_socket(&file), Err(ServeError::BadInput(m)) if m.contains("not a socket")));
        assert!(file.exists(), "left alone");
        let stale = dir.join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        prepare_socket(&stale).unwrap();
        assert!(!stale.exists());
        let live = dir.join("live.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        assert!(matches!(prepare_socket(&live), Err(ServeError::BadInput(m)) if m.contains("in use")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_registry_holds_critests_images_the_extra_ones_and_refuses_bad_names() {
        let registry = registry(None, &["busybox".to_string()]).unwrap();
        assert!(registry.contains_key("docker.io/library/busybox:latest"));
        assert!(CRITEST_IMAGES.iter().all(|image| registry.contains_key(*image)));
        assert!(matches!(registry_of_bad(), Err(ServeError::BadInput(m)) if m.contains("--image Bad")));
    }

    fn registry_of_bad() -> Result<BTreeMap<String, RegistryImage>, ServeError> {
        registry(None, &["Bad".to_string()])
    }
}
