//! `podsim run --runtime containerd`, `podsim conform` and `podsim clean`: the real-runtime backend
//! (the `containerd` cargo feature).

#[cfg(feature = "containerd")]
use std::io::Write;
use std::path::Path;

use podsim_sim::input::InputError;
#[cfg(feature = "containerd")]
use podsim_sim::scenario::duration;

use crate::run::Loaded;

/// What went wrong: a message for the user (exit 1), or bad input (exit 2).
pub enum RealError {
    /// The backend failed (containerd would not start, a call failed, ...).
    Failed(String),
    /// The scenario or flags cannot be used.
    #[cfg_attr(not(feature = "containerd"), allow(dead_code))]
    BadInput(InputError),
}

/// Runs one scenario on containerd and prints its outcome; `Ok(false)`: an expectation failed.
#[cfg(feature = "containerd")]
pub fn run(
    loaded: &Loaded,
    address: Option<&Path>,
    trace: Option<&str>,
    json: bool,
) -> Result<bool, RealError> {
    use podsim_cri::real::{run_on_containerd, Runtime};
    let scenario = &loaded.scenario;
    let span = podsim_cri::conform::real_span(scenario).map_or(scenario.duration, |(span, _)| span);
    let runtime = match address {
        Some(socket) => Runtime::Address(socket),
        None => Runtime::Private,
    };
    let (outcome, recorded) =
        run_on_containerd(scenario, runtime, span, trace.is_some()).map_err(RealError::Failed)?;
    if let Some(file) = trace {
        std::fs::write(file, recorded.to_jsonl()).map_err(|e| {
            RealError::BadInput(InputError::whole_file(file, format!("cannot write the trace: {e}")))
        })?;
    }
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer(&mut out, &outcome).map_err(std::io::Error::from).and_then(|_| writeln!(out))
    } else {
        print_outcome(&mut out, loaded, &outcome, span)
    };
    written.map_err(|e| RealError::Failed(e.to_string()))?;
    if !outcome.passed() && !json {
        eprintln!("rerun it: podsim run {} --runtime containerd", loaded.path);
    }
    Ok(outcome.passed())
}

#[cfg(feature = "containerd")]
fn print_outcome(
    out: &mut impl Write,
    loaded: &Loaded,
    outcome: &podsim_cri::real::RealOutcome,
    span: podsim_model::Millis,
) -> std::io::Result<()> {
    let s = &loaded.scenario;
    let verdict = if outcome.passed() { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "{verdict} {} on containerd (run {}): {} of wall-clock time, {} faults",
        s.name,
        outcome.run_id,
        duration::human(outcome.wall_millis),
        outcome.applied_faults.len()
    )?;
    writeln!(out, "  {}", s.description)?;
    if span < s.duration {
        writeln!(
            out,
            "  not checked: expectations (the run was shortened to {}; `podsim conform` compares it with the simulator)",
            duration::human(span)
        )?;
    }
    for v in &outcome.violations {
        writeln!(out, "  at {:>9}  {:?}: {}", duration::human(v.t), v.rule, v.detail)?;
    }
    if outcome.liveness_checked {
        let converged = !outcome.violations.iter().any(|v| v.rule == podsim_sim::checker::Rule::Convergence);
        let verdict = if converged { "every pod converged" } else { "not converged (see violations)" };
        writeln!(out, "  liveness: judged on containerd, {verdict}")?;
    }
    writeln!(out, "pods:")?;
    for p in &outcome.pods {
        let phase = if p.phase.is_empty() { "no status" } else { p.phase.as_str() };
        writeln!(out, "  {} {phase}, {} sandbox(es)", p.name, p.sandboxes)?;
        for c in &p.containers {
            let exit = c.exit_code.map(|e| format!(" exit {e}")).unwrap_or_default();
            let reason = if c.reason.is_empty() { String::new() } else { format!(" ({})", c.reason) };
            writeln!(out, "    {:<16} {}{reason}{exit}, {} restarts", c.name, c.state, c.restarts)?;
        }
    }
    writeln!(out, "CRI calls:")?;
    for (method, st) in &outcome.cri_calls {
        writeln!(
            out,
            "  {method:<16} {:>5} calls, {:>3} failed, mean {:>7.1} ms, max {:>7.1} ms",
            st.calls,
            st.errors,
            st.total_micros as f64 / st.calls.max(1) as f64 / 1000.0,
            st.max_micros as f64 / 1000.0
        )?;
    }
    for note in &outcome.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

/// Runs each scenario in the simulator and on containerd (`jobs` scenarios at a time, each on its
/// own private containerd) and prints the comparisons in order; `Ok(false)`: some scenario differs.
#[cfg(feature = "containerd")]
pub fn conform(
    scenarios: &[Loaded],
    address: Option<&Path>,
    jobs: usize,
    json: bool,
) -> Result<bool, RealError> {
    use podsim_cri::conform::real_span;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    for loaded in scenarios {
        if real_span(&loaded.scenario).is_none() {
            return Err(RealError::BadInput(InputError::whole_file(
                &loaded.path,
                "this scenario is not marked `realRuntime:` (it can run in the simulator only)",
            )));
        }
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Conformed>>> = scenarios.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, scenarios.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(loaded) = scenarios.get(i) else { break };
                eprintln!("conform: {} ...", loaded.scenario.name);
                let result = conform_one(loaded, address);
                *results[i].lock().expect("result lock") = Some(result);
            });
        }
    });
    let mut out = std::io::stdout().lock();
    let mut comparisons = Vec::new();
    for (loaded, result) in scenarios.iter().zip(results) {
        let result = result.into_inner().expect("result lock").expect("every scenario ran");
        let (comparison, notes) = result.map_err(|e| RealError::Failed(format!("{}: {e}", loaded.path)))?;
        if !json {
            comparison.print(&mut out).map_err(|e| RealError::Failed(e.to_string()))?;
            for note in &notes {
                let _ = writeln!(out, "  note: {note}");
            }
            if !comparison.agrees() {
                let _ = writeln!(out, "  rerun it: podsim conform {}", loaded.path);
            }
            let _ = writeln!(out);
        }
        comparisons.push(comparison);
    }
    let agree = comparisons.iter().filter(|c| c.agrees()).count();
    let written = if json {
        serde_json::to_writer(&mut out, &comparisons)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        writeln!(out, "{agree} of {} scenarios conform", comparisons.len()).and_then(|_| {
            // The differing ones again at the end, where a log's tail shows them.
            for (loaded, comparison) in scenarios.iter().zip(&comparisons).filter(|(_, c)| !c.agrees()) {
                writeln!(out, "differs: {} (rerun it: podsim conform {})", comparison.scenario, loaded.path)?;
            }
            Ok(())
        })
    };
    written.map_err(|e| RealError::Failed(e.to_string()))?;
    Ok(agree == comparisons.len())
}

/// One scenario compared, with the real run's notes; or why it could not run.
#[cfg(feature = "containerd")]
type Conformed = Result<(podsim_cri::conform::Comparison, Vec<String>), String>;

/// One scenario both ways: the comparison, and the real run's notes.
#[cfg(feature = "containerd")]
fn conform_one(loaded: &Loaded, address: Option<&Path>) -> Conformed {
    use podsim_cri::conform::{compare, real_span, simulate, Side};
    use podsim_cri::real::{run_on_containerd, Runtime};
    let s = &loaded.scenario;
    let (span, tolerance) = real_span(s).expect("checked: marked realRuntime");
    let sim = simulate(s, span, s.seed.unwrap_or(0));
    let runtime = match address {
        Some(socket) => Runtime::Address(socket),
        None => Runtime::Private,
    };
    let (real, _) = run_on_containerd(s, runtime, span, false)?;
    // The checker judged both runs: a violation on either side is a difference.
    let real_side = Side::new(real.pods, &real.starts, real.steps).with_violations(&real.violations);
    let comparison = compare(&s.name, span, tolerance, &sim, &real_side);
    Ok((comparison, real.notes))
}

/// Removes what killed podsim runs left behind; prints what it removed.
#[cfg(feature = "containerd")]
pub fn clean(all: bool, address: Option<&Path>, json: bool) -> Result<(), RealError> {
    let report = podsim_cri::clean::clean_all(all).map_err(RealError::Failed)?;
    let mut removed_via_cri = (0, 0);
    let mut images_removed = 0;
    if let Some(socket) = address {
        let tokio = tokio_runtime()?;
        removed_via_cri = tokio.block_on(async {
            let probe = client(socket, "");
            let ids = probe.podsim_run_ids().await.map_err(|e| RealError::Failed(format!("{e:?}")))?;
            let mut removed = (0, 0);
            for id in ids {
                let (s, c) = client(socket, &id)
                    .remove_everything()
                    .await
                    .map_err(|e| RealError::Failed(format!("{e:?}")))?;
                removed = (removed.0 + s, removed.1 + c);
            }
            let images = podsim_cri::image::labelled_images(socket).map_err(RealError::Failed)?;
            for image in &images {
                if let podsim_model::io::CriReply::Err(e) = probe.remove_image(image).await {
                    return Err(RealError::Failed(format!("removing image {image}: {e:?}")));
                }
            }
            images_removed = images.len();
            Ok::<_, RealError>(removed)
        })?;
    }
    let mut out = std::io::stdout().lock();
    let written = if json {
        let value = serde_json::json!({
            "local": report,
            "sandboxesRemoved": removed_via_cri.0,
            "containersRemoved": removed_via_cri.1,
            "imagesRemoved": images_removed,
        });
        serde_json::to_writer(&mut out, &value).map_err(std::io::Error::from).and_then(|_| writeln!(out))
    } else {
        writeln!(
            out,
            "cleaned {} run folder(s): stopped {} containerd, killed {} container process(es) and {} shim(s), \
unmounted {}, removed {} cgroup folder(s) and {} folder(s)",
            report.runs,
            report.containerd_stopped,
            report.containers_killed,
            report.shims_killed,
            report.mounts_unmounted,
            report.cgroups_removed,
            report.dirs_removed
        )
        .and_then(|_| {
            for live in &report.skipped_live {
                writeln!(out, "skipped {live} (--all cleans it too)")?;
            }
            if address.is_some() {
                writeln!(
                    out,
                    "removed {} sandbox(es), {} container(s) and {images_removed} image(s) labelled by podsim from the \
containerd at the address",
                    removed_via_cri.0, removed_via_cri.1
                )?;
            }
            Ok(())
        })
    };
    written.map_err(|e| RealError::Failed(e.to_string()))
}

#[cfg(feature = "containerd")]
fn tokio_runtime() -> Result<tokio::runtime::Runtime, RealError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RealError::Failed(format!("cannot start the async runtime: {e}")))
}

#[cfg(feature = "containerd")]
fn client(socket: &Path, run_id: &str) -> podsim_cri::client::CriClient {
    let run = podsim_cri::client::RunContext {
        run_id: run_id.to_string(),
        log_root: podsim_cri::run_dir::state_root().join(run_id).join("logs"),
        cgroup_parent: podsim_cri::run_dir::cgroup_parent(run_id),
        clock_origin_unix_nanos: 0,
    };
    podsim_cri::client::CriClient::unix(socket, run, podsim_cri::client::ClientOptions::default())
}

/// Without the backend: say how to get it.
#[cfg(not(feature = "containerd"))]
pub fn run(_: &Loaded, _: Option<&Path>, _: Option<&str>, _: bool) -> Result<bool, RealError> {
    Err(RealError::Failed(podsim_cri::NOT_BUILT.to_string()))
}

/// Without the backend: say how to get it.
#[cfg(not(feature = "containerd"))]
pub fn conform(_: &[Loaded], _: Option<&Path>, _: usize, _: bool) -> Result<bool, RealError> {
    Err(RealError::Failed(podsim_cri::NOT_BUILT.to_string()))
}

/// Without the backend: say how to get it.
#[cfg(not(feature = "containerd"))]
pub fn clean(_: bool, _: Option<&Path>, _: bool) -> Result<(), RealError> {
    Err(RealError::Failed(podsim_cri::NOT_BUILT.to_string()))
}
