//! The `podsim` command line.

mod input;
mod plan;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::ser::{SerializeMap, Serializer};

use podsim_model::format_hash;
use podsim_model::manifest::PodManifest;

use crate::input::{parse_document, read_source, InputError};

/// Deterministic simulation and test harness for the kubelet's pod management.
#[derive(Parser)]
#[command(name = "podsim", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Examples:\n  podsim plan examples/plan/image-changed.yaml\n  podsim hash examples/pod.yaml\n  kubectl get pod web -o yaml | podsim hash -"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what the kubelet would do for one pod (its computePodActions), as JSON
    #[command(
        long_about = "Print what the kubelet would do for one pod, as one JSON object.\n\n\
The input (YAML or JSON) has `pod:` (a v1 Pod manifest), `runtime:` (its sandboxes, newest first, and \
its containers as the runtime reports them) and `probes:` (cached liveness/startup results by container \
id). The output is the kubelet's podActions: killPod, createSandbox, sandboxId, attempt, \
initContainersToStart, containersToStart, ephemeralContainersToStart, containersToKill.",
        after_help = "Examples:\n  podsim plan examples/plan/image-changed.yaml\n  podsim plan - < plan.yaml"
    )]
    Plan {
        /// The plan document, or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Print the kubelet's hash of every container of a pod, as JSON
    #[command(
        long_about = "Print the kubelet's HashContainer of every container of a pod (init, regular, \
ephemeral), as one JSON object {name: hash}. The hash is the value the kubelet writes in the \
io.kubernetes.container.hash annotation.",
        after_help = "Examples:\n  podsim hash examples/pod.yaml\n  kubectl get pod web -o yaml | podsim hash -"
    )]
    Hash {
        /// A v1 Pod manifest (YAML or JSON), or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
    },
}

/// How a command failed: bad input (exit 2) or a failure of podsim itself (exit 1).
enum Failure {
    BadInput(InputError),
    Io(std::io::Error),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Failure {
        Failure::BadInput(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Io(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan { file } => run_plan(&file),
        Command::Hash { file } => run_hash(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn run_plan(file: &str) -> Result<(), Failure> {
    let text = read_source(file)?;
    let input = plan::read_plan(file, &text)?;
    print_json(&plan::plan(&input))
}

/// Container hashes in spec order (init, regular, ephemeral).
struct Hashes(Vec<(String, String)>);

impl serde::Serialize for Hashes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

fn run_hash(file: &str) -> Result<(), Failure> {
    let text = read_source(file)?;
    let manifest: PodManifest = parse_document(file, &text)?;
    let pod = manifest.into_pod().map_err(|e| InputError {
        file: if file == "-" { "<stdin>".into() } else { file.into() },
        location: None,
        field: Some(e.path),
        message: e.message,
    })?;
    let hashes = pod.all_containers().map(|(_, c)| (c.name().to_string(), format_hash(c.hash()))).collect();
    print_json(&Hashes(hashes))
}
