//! The `podsim` command line.

mod coverage;
mod explore_generated;
mod explore_merge;
mod image_build;
mod phase;
mod plan;
mod real;
mod run;
mod serve_cri;
mod shard;
mod status;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::ser::{SerializeMap, Serializer};

use podsim_model::kubelet::KubeletBug;
use podsim_model::manifest::PodManifest;
use podsim_model::{format_hash, FeatureGates};

use podsim_sim::input::{parse_document, read_source, InputError};

/// Deterministic simulation and test harness for the kubelet's pod management.
#[derive(Parser)]
#[command(name = "podsim", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Examples:\n  podsim plan examples/plan/image-changed.yaml\n  podsim hash examples/pod.yaml\n  kubectl get pod web -o yaml | podsim hash -\n  kubectl get pod web -o yaml | podsim phase -\n  podsim status examples/status/crash-loop.yaml"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario in the simulated world with one seed (or on a real containerd), and check it
    #[command(
        long_about = "Run one scenario in the simulated world with one seed: the kubelet model against a \
simulated API server, etcd and containerd, with the scenario's timeline and faults. Every safety invariant \
is checked after every event, liveness once the faults have healed, and the scenario's expectations at \
the end. Exit code 0: passed; 1: a violation or unmet expectation; 2: bad input.\n\n\
With --runtime containerd the same kubelet model and in-process API server run on the wall clock \
against a real containerd through the CRI (a private one podsim starts and stops, or the one at \
--address), for the scenario's realRuntime span; faults that exist on a real node are realised for \
real. Needs the `containerd` build feature and root.",
        after_help = "Examples:\n  podsim run scenarios/crash-loop-backoff.yaml\n  podsim run scenarios/churn-random-faults.yaml --seed 7 --trace run.jsonl\n  podsim run scenarios/pod-runs.yaml --json\n  podsim run scenarios/pause-death-recreates-sandbox.yaml --runtime containerd"
    )]
    #[command(visible_alias = "replay")]
    Run {
        /// The scenario file
        #[arg(value_name = "SCENARIO")]
        scenario: String,
        /// The seed (default: the scenario's own, else 0)
        #[arg(long)]
        seed: Option<u64>,
        /// Inject random faults (the scenario's profile, or the default one), as `explore` does
        #[arg(long)]
        random_faults: bool,
        /// Write the full trace as JSON lines to this file
        #[arg(long, value_name = "FILE.jsonl")]
        trace: Option<String>,
        /// Print the outcome as JSON instead of the summary
        #[arg(long)]
        json: bool,
        /// Write a timeline report of the run (one self-contained HTML file) to this file
        #[arg(long, value_name = "FILE.html")]
        report: Option<String>,
        /// Also print what happened, one happening a line in the words `expect.happened` selects
        /// them with (CRI List calls left out); with --json, as the list `happenings`
        #[arg(long)]
        happened: bool,
        /// If the run fails, shrink it to a small scenario that still fails and write it to a file
        #[arg(long)]
        shrink: bool,
        /// Where --shrink writes the small scenario (default: NAME-shrunk-seedN.yaml here)
        #[arg(long, value_name = "FILE.yaml", requires = "shrink")]
        shrink_to: Option<String>,
        /// Where to run it: the simulator, or a real containerd through the CRI (wall-clock time;
        /// needs the `containerd` build feature, root, and the containerd and runc packages)
        #[arg(long, value_enum, default_value = "sim")]
        runtime: RuntimeKind,
        /// With --runtime containerd: use the containerd at this socket instead of starting a
        /// private one (podsim touches only what it creates there)
        #[arg(long, value_name = "SOCKET")]
        address: Option<std::path::PathBuf>,
        #[arg(long, value_name = "LIST", help = feature_gates_help())]
        feature_gates: Option<String>,
        #[arg(long = "kubelet-bug", value_name = "NAME", value_parser = KubeletBug::parse, help = kubelet_bug_help())]
        kubelet_bug: Vec<KubeletBug>,
    },
    /// Run scenarios in the simulator and on a real containerd, and compare their outcomes
    #[command(
        long_about = "Run each scenario in the simulator and on a real containerd (through the CRI, \
on the wall clock) over the same span, and compare what can be observed: per pod its phase; per \
container its state, exit code, reason and restart count (within the scenario's tolerance); and the \
order in which its sandbox and containers first started. Prints both side by side. Exit code 0: every \
scenario conforms; 1: some differ (or the runtime failed); 2: bad input. Without arguments it takes \
every scenario of scenarios/ marked `realRuntime:`. Needs the `containerd` build feature and root.",
        after_help = "Examples:\n  podsim conform\n  podsim conform scenarios/crash-loop-backoff.yaml --json\n  podsim conform scenarios/pod-runs.yaml --address /run/containerd/containerd.sock"
    )]
    Conform {
        /// Scenario files or directories (default: the scenarios/ marked realRuntime)
        #[arg(value_name = "SCENARIO|DIR")]
        paths: Vec<String>,
        /// Use the containerd at this socket instead of a private one per scenario
        #[arg(long, value_name = "SOCKET")]
        address: Option<std::path::PathBuf>,
        /// Scenarios run at a time, each on its own private containerd
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Print the comparisons as JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove what a killed podsim left behind on a real runtime
    #[command(
        long_about = "Remove what real-runtime runs of a podsim that was killed (SIGKILL, a crash) left \
behind: their private containerd, container processes, shims, mounts, cgroup folders, logs and run \
folders. Runs whose podsim is still alive are skipped unless --all. With --address, also stop and remove \
every sandbox and container labelled by podsim in that containerd (nothing else is touched).",
        after_help = "Examples:\n  podsim clean\n  podsim clean --address /run/containerd/containerd.sock"
    )]
    Clean {
        /// Also clean runs whose podsim process is still alive
        #[arg(long)]
        all: bool,
        /// Also remove podsim's sandboxes and containers from the containerd at this socket
        #[arg(long, value_name = "SOCKET")]
        address: Option<std::path::PathBuf>,
        /// Print what was removed as JSON
        #[arg(long)]
        json: bool,
    },
    /// Serve the simulated containerd as a CRI endpoint on a unix socket (for crictl, critest, a kubelet)
    #[command(
        name = "serve-cri",
        long_about = "Serve the simulated containerd's RuntimeService and ImageService (CRI runtime.v1) on a \
unix socket, on the wall clock, until Ctrl-C or SIGTERM; then remove the socket. Point crictl \
(--runtime-endpoint unix://PATH) or a kubelet (--container-runtime-endpoint unix://PATH) at it. The \
registry holds the scenario's images, every --image, and the images critest pulls; the scenario's \
runtime faults (containerCrash, oomKill, pauseDeath, containerdRestart, nodeReboot, slowPull, \
imagePullFailure, removeImage, criFailure) fire at their times from the start; faults that do not \
touch the runtime are skipped. Exec, attach, port-forward and networking are not simulated. Refuses a \
path that exists and is not a socket (exit 2). Needs the `containerd` build feature.",
        after_help = "Examples:\n  podsim serve-cri --socket /tmp/sim.sock\n  podsim serve-cri --socket /tmp/sim.sock scenarios/serve-cri-crash.yaml --trace cri.jsonl\n  crictl --runtime-endpoint unix:///tmp/sim.sock --image-endpoint unix:///tmp/sim.sock ps -a"
    )]
    ServeCri {
        /// The unix socket to serve on
        #[arg(long, value_name = "PATH")]
        socket: std::path::PathBuf,
        /// A scenario whose images and runtime faults the node has
        #[arg(value_name = "SCENARIO")]
        scenario: Option<String>,
        /// The seed that draws the targets of faults that name none (default: the scenario's, else 0)
        #[arg(long)]
        seed: Option<u64>,
        /// Write every call and reply, fault and heal as JSON lines to this file
        #[arg(long, value_name = "FILE.jsonl")]
        trace: Option<std::path::PathBuf>,
        /// One more image for the registry (pullable; repeat the flag for more)
        #[arg(long = "image", value_name = "NAME")]
        images: Vec<String>,
    },
    /// Run scenarios over many seeds with random faults, and report failures with their replay command
    #[command(
        long_about = "Run every scenario over a range of seeds, each seed with its own random faults \
(each seed enables its own subset of fault kinds, swarm-testing style, and every fault heals by a time \
so the node can converge). Prints a summary and, for each failing run, the one command that replays it. \
Without scenario arguments it explores the shipped scenarios/ folder.",
        after_help = "Examples:\n  podsim explore\n  podsim explore scenarios/churn-random-faults.yaml --seeds 0..1000 --jobs 2\n  podsim explore --json > failures.json\n  podsim explore --generate --seeds 0..2000 --out failures/\n  podsim explore --coverage --seeds 0..5\n  podsim explore --generate --coverage --seeds 0..200"
    )]
    Explore {
        /// Scenario files or directories (default: scenarios/)
        #[arg(value_name = "SCENARIO|DIR", conflicts_with = "generate")]
        paths: Vec<String>,
        /// Run one generated world a seed instead of scenario files: pods, containers, workloads,
        /// Secrets, volumes, images, a timeline and the seed's random faults, all drawn from the seed.
        /// A failing world is written to DIR/generated-seed-N.yaml, which `podsim run` replays
        #[arg(long)]
        generate: bool,
        /// With --generate: where failing worlds are written (default: the current directory)
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
        /// The seeds, as A..B (B excluded)
        #[arg(long, default_value = "0..20", value_parser = run::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Threads to run on (default: the number of cores)
        #[arg(long)]
        jobs: Option<usize>,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "LIST", help = feature_gates_help(), conflicts_with = "generate")]
        feature_gates: Option<String>,
        #[arg(long = "kubelet-bug", value_name = "NAME", value_parser = KubeletBug::parse, help = kubelet_bug_help())]
        kubelet_bug: Vec<KubeletBug>,
        /// Report rule coverage: per probe of the kubelet model, the runs that reached it and the
        /// first seed that did, and the probes never reached
        #[arg(long)]
        coverage: bool,
        #[command(flatten)]
        sharding: shard::ShardArgs,
        #[command(subcommand)]
        action: Option<ExploreAction>,
    },
    /// Build podsim's own image (the static podsim binary and the scenarios), to explore on a cluster
    #[command(subcommand)]
    Image(ImageAction),
    /// Print what the kubelet would do for one pod (its computePodActions), as JSON
    #[command(
        long_about = "Print what the kubelet would do for one pod, as one JSON object.\n\n\
The input (YAML or JSON) has `pod:` (a v1 Pod manifest), `runtime:` (its sandboxes, newest first, and \
its containers as the runtime reports them) and `probes:` (cached liveness/startup results by container \
id). A runtime container may carry `resources:` (cpuRequest, cpuLimit, memoryLimit: what it runs \
with), and the pod's `status.conditions` an AllContainersRestarting condition. An optional \
`actuated:` gives the allocation manager's actuated resources by container name (requests and limits: \
what the kubelet last started or resized it with); a resize then compares the spec with them, as the \
1.34+ kubelet does, instead of with the runtime's resources. The output is the \
kubelet's podActions: killPod, createSandbox, sandboxId, attempt, initContainersToStart, \
containersToStart, ephemeralContainersToStart, containersToKill; and when set, \
nextInitContainerToStart (the legacy init path), containersToUpdate and updatePodResources (in-place \
resize), containersToReset (all containers restarting).\n\n\
--feature-gates takes the kubelet's syntax (NAME=true,NAME=false), applied over the current \
kubelet's defaults, for the gates podsim knows: SidecarContainers, InPlacePodVerticalScaling, \
ContainerRestartRules, RestartAllContainersOnContainerExits (all on by default). An unknown name is \
an error.",
        after_help = "Examples:\n  podsim plan examples/plan/image-changed.yaml\n  podsim plan - < plan.yaml\n  \
podsim plan examples/plan/resize-cpu.yaml\n  \
podsim plan examples/plan/resize-actuated.yaml\n  \
podsim plan --feature-gates InPlacePodVerticalScaling=false examples/plan/resize-cpu.yaml"
    )]
    Plan {
        /// The plan document, or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
        /// Kubelet feature gates over the defaults, as `--feature-gates` takes them
        /// (e.g. `SidecarContainers=false,ContainerRestartRules=false`)
        #[arg(long = "feature-gates", value_name = "LIST")]
        feature_gates: Option<String>,
    },
    /// Print the phase the kubelet's getPhase computes for a Pod with its status, as JSON
    #[command(
        long_about = "Print the phase the kubelet's getPhase computes from a Pod's container statuses, as \
one JSON object: phase, the pod, the reportedPhase of the input, the podIsTerminal and podHasInitialized \
used, whether the pod is static, the feature gates that differ from the defaults, and the counters \
getPhase decided from.\n\n\
The input (YAML or JSON) is a Pod with its status, as `kubectl get pod NAME -o yaml` prints it: every \
field is accepted; the restart policies (pod, container, restartPolicyRules) and the container and init \
container statuses are read. podHasInitialized is taken from the statuses (a regular container is \
running or terminated), as the API object cannot say what the runtime's current sandbox holds.",
        after_help = "Examples:\n  podsim phase examples/phase/running.yaml\n  kubectl get pod web -o yaml | podsim phase -\n  podsim phase examples/phase/restart-rules.yaml --feature-gates ContainerRestartRules=false"
    )]
    Phase {
        /// A Pod with its status (YAML or JSON), or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
        /// Kubelet feature gates, as the kubelet's --feature-gates (A=true,B=false)
        #[arg(long, value_name = "LIST", value_parser = FeatureGates::parse)]
        feature_gates: Option<FeatureGates>,
        /// The pod worker has terminated the pod: its containers will not restart (podIsTerminal)
        #[arg(long)]
        terminal: bool,
    },
    /// Print the API pod status the kubelet would write for one pod, as JSON
    #[command(
        long_about = "Print the status the kubelet's generateAPIPodStatus would write for one pod, shaped \
like the API's PodStatus: phase, conditions (PodReadyToStartContainers, Initialized, Ready, \
ContainersReady, PodScheduled), podIP, and the container and init container statuses (state with \
reason and message, lastState, ready, started, restartCount, image, imageID, containerID).\n\n\
The input is a `podsim plan` document (`pod:`, `runtime:`, `probes:`), whose runtime containers may \
also give `restartCount`, `image` and `sandboxId`, plus an optional `reasonCache:` (container name -> \
{reason, message}: why its last start failed, e.g. CrashLoopBackOff). Containers have no readiness \
probes in podsim: a started, running container is ready.",
        after_help = "Examples:\n  podsim status examples/status/crash-loop.yaml\n  podsim status - < status.yaml"
    )]
    Status {
        /// The status document, or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
        /// Kubelet feature gates, as the kubelet's --feature-gates (A=true,B=false)
        #[arg(long, value_name = "LIST", value_parser = FeatureGates::parse)]
        feature_gates: Option<FeatureGates>,
        /// The pod worker has terminated the pod: its containers will not restart (podIsTerminal)
        #[arg(long)]
        terminal: bool,
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

/// `--kubelet-bug`'s help: every historical bug podsim can re-introduce.
fn kubelet_bug_help() -> String {
    let names: Vec<&str> = KubeletBug::ALL.iter().map(|b| b.name()).collect();
    format!(
        "Re-introduce a historical kubelet bug into the model (repeatable; each is documented, with its \
         upstream issue and fix, in BUGS.md): {}",
        names.join(", ")
    )
}

/// `podsim explore`'s subcommands.
#[derive(Subcommand)]
enum ExploreAction {
    /// Join the --json results of an exploration's shards (`explore --shard I/N --json`) into one
    /// summary, with every failure's replay command
    #[command(
        long_about = "Join the --json results of the shards of one exploration (`podsim explore --shard \
I/N --json`) into one summary: the same as the unsharded exploration's (runs, failures in (scenario, seed) \
order with their replay commands, virtual time, events; wall time is the shards' added up), plus which \
shards were merged. Refused (exit 2): a file that is not a shard's result, shards of different \
explorations, the same shard twice, and an incomplete set of shards unless --allow-missing. Exit 1 if a \
merged run failed.",
        after_help = "Examples:\n  podsim explore merge results/\n  podsim explore merge shard-0.json shard-1.json shard-2.json --json"
    )]
    Merge(explore_merge::MergeArgs),
}

/// `podsim image`'s subcommands.
#[derive(Subcommand)]
enum ImageAction {
    /// Write podsim's image: the static podsim binary at /bin/podsim (its entrypoint) and the
    /// scenarios at /scenarios, as an OCI image layout tar
    #[command(
        long_about = "Write podsim's own image, to run `podsim explore --shard I/N` as a Kubernetes \
Indexed Job (examples/explore-job/): the podsim binary at /bin/podsim (the entrypoint; default \
arguments: explore) and every scenario of --scenarios at /scenarios (the working directory is /). \
The binary, this podsim unless --binary names another, must be statically linked: the image holds \
nothing else. The image is an OCI image layout tar with fixed timestamps (the same inputs give the \
same digests), built as podsim's workload image is, with no registry and no docker; import it with \
`ctr -n k8s.io images import FILE`, or push it with skopeo.",
        after_help = "Examples:\n  scripts/build-image.sh --out podsim-image.tar\n  target/x86_64-unknown-linux-gnu/release/podsim image build --reference registry.example/podsim:1"
    )]
    Build(image_build::BuildArgs),
}

/// `--feature-gates`'s help: the syntax and every gate podsim knows, with its default.
fn feature_gates_help() -> String {
    let gates: Vec<String> = podsim_model::gates::GATES
        .iter()
        .map(|g| format!("{}={} ({})", g.name, g.default, g.stages))
        .collect();
    format!(
        "The kubelet's feature gates over the scenario's kubelet.featureGates, as the kubelet's \
         --feature-gates: A=true,B=false. Known gates (default): {}",
        gates.join(", ")
    )
}

/// Where `podsim run` runs a scenario.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RuntimeKind {
    /// The deterministic simulator (virtual time, seeded faults)
    Sim,
    /// A real containerd through the CRI (wall-clock time)
    Containerd,
}

/// How a command failed: bad input (exit 2) or a failure of podsim itself (exit 1).
enum Failure {
    /// The run found a violation (its report is printed already).
    Failed,
    BadInput(InputError),
    /// Flags that do not go together (exit 2).
    Usage(String),
    /// The real runtime failed (exit 1), with why.
    Runtime(String),
    Io(std::io::Error),
}

impl From<real::RealError> for Failure {
    fn from(e: real::RealError) -> Failure {
        match e {
            real::RealError::Failed(m) => Failure::Runtime(m),
            real::RealError::BadInput(e) => Failure::BadInput(e),
        }
    }
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
        Command::Run {
            scenario,
            address,
            runtime: RuntimeKind::Containerd,
            trace,
            json,
            seed,
            random_faults,
            report,
            shrink,
            feature_gates,
            kubelet_bug,
            ..
        } => {
            let simulator_only = [
                (seed.is_some(), "--seed"),
                (random_faults, "--random-faults"),
                (report.is_some(), "--report"),
                (shrink, "--shrink"),
            ];
            match simulator_only.iter().find(|(given, _)| *given) {
                Some((_, flag)) => Err(Failure::Usage(format!(
                    "{flag} is for the simulator only; a run on containerd has no seed or random faults"
                ))),
                None => {
                    let real = RealOptions {
                        feature_gates: feature_gates.as_deref(),
                        bugs: &kubelet_bug,
                        address: address.as_deref(),
                    };
                    run_real(&scenario, &real, trace.as_deref(), json)
                }
            }
        }
        Command::Run { address: Some(_), .. } => {
            Err(Failure::Usage("--address needs --runtime containerd".into()))
        }
        Command::Conform { paths, address, jobs, json } => run_conform(paths, address.as_deref(), jobs, json),
        Command::Clean { all, address, json } => {
            real::clean(all, address.as_deref(), json).map_err(Failure::from)
        }
        Command::Run {
            scenario,
            seed,
            random_faults,
            trace,
            json,
            report,
            shrink,
            shrink_to,
            feature_gates,
            happened,
            kubelet_bug,
            ..
        } => {
            let options = RunOptions {
                seed,
                random_faults,
                feature_gates: feature_gates.as_deref(),
                kubelet_bugs: &kubelet_bug,
                trace: trace.as_deref(),
                report: report.as_deref(),
                json,
                happened,
            };
            run_scenario(&scenario, &options).or_else(|failure| match failure {
                Failure::Failed if shrink => shrink_run(&scenario, &options, shrink_to.as_deref()),
                other => Err(other),
            })
        }
        Command::Explore { action: Some(ExploreAction::Merge(args)), .. } => {
            match explore_merge::run(&args) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Failure::Failed),
                Err(e) => Err(Failure::BadInput(e)),
            }
        }
        Command::Explore { coverage: true, sharding, .. }
            if sharding.shard.is_some() || sharding.json_file.is_some() =>
        {
            Err(Failure::Usage("--shard and --json-file are for `explore` without --coverage".into()))
        }
        Command::Explore { generate: true, coverage: true, out: Some(_), .. } => Err(Failure::Usage(
            "--out writes the failing worlds of `explore --generate`; with --coverage, replay a failing \
             seed with `podsim explore --generate --seeds N --out DIR`"
                .into(),
        )),
        Command::Explore { generate: true, coverage: true, kubelet_bug, .. } if !kubelet_bug.is_empty() => {
            Err(Failure::Usage(
                "--kubelet-bug is not measured by `explore --generate --coverage`; use `explore --generate`"
                    .into(),
            ))
        }
        Command::Explore { generate: true, coverage: true, seeds, jobs, json, .. } => {
            run_explore_generated_coverage(seeds, jobs, json)
        }
        Command::Explore { generate: true, seeds, jobs, json, out, sharding, kubelet_bug, .. } => {
            run_explore_generated(
                seeds,
                jobs,
                shard::Output { json, args: &sharding },
                out.as_deref(),
                &kubelet_bug,
            )
        }
        Command::Explore { out: Some(_), .. } => {
            Err(Failure::Usage("--out is where --generate writes failing worlds; it needs --generate".into()))
        }
        Command::Explore { paths, seeds, jobs, json, feature_gates, kubelet_bug, coverage: true, .. } => {
            let variant = Variant { feature_gates: feature_gates.as_deref(), bugs: &kubelet_bug };
            run_explore_coverage(paths, seeds, jobs, json, &variant)
        }
        Command::Explore { paths, seeds, jobs, json, feature_gates, kubelet_bug, sharding, .. } => {
            let variant = Variant { feature_gates: feature_gates.as_deref(), bugs: &kubelet_bug };
            run_explore(paths, seeds, jobs, shard::Output { json, args: &sharding }, &variant)
        }
        Command::ServeCri { socket, scenario, seed, trace, images } => {
            serve_cri::serve(serve_cri::ServeArgs { socket, scenario, seed, trace, images }).map_err(|f| {
                match f {
                    serve_cri::ServeFailure::BadInput(e) => Failure::BadInput(e),
                    serve_cri::ServeFailure::Usage(m) => Failure::Usage(m),
                    serve_cri::ServeFailure::Failed(m) => Failure::Runtime(m),
                }
            })
        }
        Command::Image(ImageAction::Build(args)) => image_build::build(&args).map_err(Failure::BadInput),
        Command::Plan { file, feature_gates } => run_plan(&file, feature_gates.as_deref()),
        Command::Hash { file } => run_hash(&file),
        Command::Phase { file, feature_gates, terminal } => {
            run_phase(&file, feature_gates.unwrap_or_default(), terminal)
        }
        Command::Status { file, feature_gates, terminal } => {
            run_status(&file, feature_gates.unwrap_or_default(), terminal)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Failed) => ExitCode::from(1),
        Err(Failure::BadInput(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
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

fn run_plan(file: &str, feature_gates: Option<&str>) -> Result<(), Failure> {
    let gates = FeatureGates::parse(feature_gates.unwrap_or(""))
        .map_err(|e| Failure::Usage(format!("--feature-gates: {e}")))?;
    let text = read_source(file)?;
    let input = plan::read_plan(file, &text, &gates)?;
    print_json(&plan::plan(&input))
}

fn run_phase(file: &str, gates: FeatureGates, pod_is_terminal: bool) -> Result<(), Failure> {
    let text = read_source(file)?;
    let pod = phase::read_pod(file, &text)?;
    print_json(&phase::phase(&pod, &phase::PhaseSettings { gates, pod_is_terminal }))
}

fn run_status(file: &str, gates: FeatureGates, pod_is_terminal: bool) -> Result<(), Failure> {
    let text = read_source(file)?;
    let input = status::read_status(file, &text, &gates)?;
    print_json(&status::status(&input, &status::StatusSettings { gates, pod_is_terminal }))
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
    let pod = manifest.into_pod().map_err(|e| InputError::at_path(file, &text, &e.path, e.message))?;
    let hashes = pod.all_containers().map(|(_, c)| (c.name().to_string(), format_hash(c.hash()))).collect();
    print_json(&Hashes(hashes))
}

/// How `podsim run` runs a scenario in the simulator.
struct RunOptions<'a> {
    seed: Option<u64>,
    random_faults: bool,
    /// `--feature-gates`, over the scenario's.
    feature_gates: Option<&'a str>,
    /// `--kubelet-bug`, over the scenario's `kubelet.bugs`.
    kubelet_bugs: &'a [KubeletBug],
    trace: Option<&'a str>,
    report: Option<&'a str>,
    json: bool,
    /// `--happened`.
    happened: bool,
}

fn run_scenario(path: &str, options: &RunOptions<'_>) -> Result<(), Failure> {
    let mut loaded = run::load_with_gates(path, options.feature_gates)?;
    run::apply_bugs(&mut loaded, options.kubelet_bugs);
    let seed = options.seed.or(loaded.scenario.seed).unwrap_or(0);
    let random_faults = options.random_faults;
    let random = random_faults || loaded.scenario.random_faults.is_some();
    let mut world = podsim_sim::world::World::new(&loaded.scenario, seed, random, options.trace.is_some());
    if options.report.is_some() {
        world = world.with_history();
    }
    let (mut outcome, recorded, history) = world.run_full();
    if !options.happened {
        // What happened is printed (and put in the JSON) only when asked for.
        outcome.happenings.clear();
    }
    if let (Some(file), Some(history)) = (options.report, history) {
        std::fs::write(file, podsim_sim::report_html::render(&history))
            .map_err(|e| InputError::whole_file(file, format!("cannot write the report: {e}")))?;
    }
    if let Some(file) = options.trace {
        std::fs::write(file, recorded.to_jsonl())
            .map_err(|e| InputError::whole_file(file, format!("cannot write the trace: {e}")))?;
    }
    if options.json {
        print_json(&outcome)?;
    } else {
        run::print_summary(&mut std::io::stdout().lock(), &loaded, &outcome, random_faults)?;
        if options.happened {
            run::print_happened(&mut std::io::stdout().lock(), &outcome)?;
        }
    }
    if outcome.passed() {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

/// `explore --coverage`: the runs of `explore`, reported per probe. Exit 1 if a run failed.
fn run_explore_coverage(
    paths: Vec<String>,
    seeds: std::ops::Range<u64>,
    jobs: Option<usize>,
    json: bool,
    variant: &Variant<'_>,
) -> Result<(), Failure> {
    let scenarios = load_variant(paths, variant)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let report = coverage::explore_coverage(&scenarios, seeds, jobs);
    if json {
        print_json(&report)?;
    } else {
        let wall = started.elapsed().as_millis() as u64;
        coverage::print_coverage(
            &mut std::io::stdout().lock(),
            &report,
            &coverage::replay_of(&scenarios),
            wall,
        )?;
    }
    coverage_verdict(&report)
}

/// `explore --generate --coverage`: the generated worlds of `seeds`, reported per probe. Exit 1 if a
/// world failed.
fn run_explore_generated_coverage(
    seeds: std::ops::Range<u64>,
    jobs: Option<usize>,
    json: bool,
) -> Result<(), Failure> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let options = podsim_sim::generate::GenerateOptions::default();
    let report = podsim_sim::coverage::measure_generated(seeds, &options, jobs);
    if json {
        print_json(&report)?;
    } else {
        let wall = started.elapsed().as_millis() as u64;
        coverage::print_coverage(&mut std::io::stdout().lock(), &report, &coverage::replay_generated, wall)?;
    }
    coverage_verdict(&report)
}

/// Exit 1 when a run of a coverage report failed.
fn coverage_verdict(report: &podsim_sim::coverage::CoverageReport) -> Result<(), Failure> {
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

/// The kubelet `explore` runs: `--feature-gates` and `--kubelet-bug` over each scenario's.
struct Variant<'a> {
    feature_gates: Option<&'a str>,
    bugs: &'a [KubeletBug],
}

/// The scenarios of `paths` (default: scenarios/, whose subfolders such as scenarios/bugs/ are not
/// read) with the variant applied.
fn load_variant(paths: Vec<String>, variant: &Variant<'_>) -> Result<Vec<run::Loaded>, Failure> {
    let paths = if paths.is_empty() { vec!["scenarios".to_string()] } else { paths };
    let mut scenarios = run::load_all(&paths)?;
    for loaded in &mut scenarios {
        if let Some(list) = variant.feature_gates {
            run::apply_gates(loaded, list)?;
        }
        run::apply_bugs(loaded, variant.bugs);
    }
    Ok(scenarios)
}

fn run_explore(
    paths: Vec<String>,
    seeds: std::ops::Range<u64>,
    jobs: Option<usize>,
    output: shard::Output<'_>,
    variant: &Variant<'_>,
) -> Result<(), Failure> {
    let scenarios = load_variant(paths, variant)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let exploration = shard::Exploration {
        scenarios: scenarios.iter().map(|l| l.path.clone()).collect(),
        generate: false,
        pairs: (seeds.end - seeds.start).saturating_mul(scenarios.len() as u64),
        seeds: seeds.clone(),
        feature_gates: variant.feature_gates.map(str::to_string),
        kubelet_bugs: variant.bugs.iter().map(|b| b.name().to_string()).collect(),
    };
    let summary = run::explore(&scenarios, seeds, jobs, !output.is_json(), output.args.shard());
    let passed = summary.failures.is_empty();
    output.write(summary, exploration)?;
    if passed {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

fn run_explore_generated(
    seeds: std::ops::Range<u64>,
    jobs: Option<usize>,
    output: shard::Output<'_>,
    out: Option<&std::path::Path>,
    bugs: &[KubeletBug],
) -> Result<(), Failure> {
    let out = out.unwrap_or(std::path::Path::new("."));
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let exploration = shard::Exploration {
        scenarios: Vec::new(),
        generate: true,
        pairs: seeds.end - seeds.start,
        seeds: seeds.clone(),
        feature_gates: None,
        kubelet_bugs: bugs.iter().map(|b| b.name().to_string()).collect(),
    };
    let summary =
        explore_generated::explore_generated(seeds, jobs, !output.is_json(), out, bugs, output.args.shard())?;
    let passed = summary.failures.is_empty();
    output.write(summary, exploration)?;
    if passed {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

fn shrink_run(path: &str, options: &RunOptions<'_>, to: Option<&str>) -> Result<(), Failure> {
    let mut loaded = run::load_with_gates(path, options.feature_gates)?;
    run::apply_bugs(&mut loaded, options.kubelet_bugs);
    let seed = options.seed.or(loaded.scenario.seed).unwrap_or(0);
    let random = options.random_faults || loaded.scenario.random_faults.is_some();
    eprintln!("shrinking...");
    let Some(shrunk) = podsim_sim::shrink::shrink(&loaded.scenario, seed, random, 500) else {
        eprintln!("the failure could not be replayed without the seed's random draws; nothing shrunk");
        return Err(Failure::Failed);
    };
    let file =
        to.map(str::to_string).unwrap_or_else(|| format!("{}-shrunk-seed{seed}.yaml", loaded.scenario.name));
    std::fs::write(&file, podsim_sim::shrink::to_yaml(&shrunk.scenario))
        .map_err(|e| InputError::whole_file(&file, format!("cannot write: {e}")))?;
    let pods = shrunk
        .scenario
        .timeline
        .iter()
        .filter(|(_, a)| matches!(a, podsim_sim::scenario::Action::CreatePod(_)))
        .count();
    let faults = shrunk
        .scenario
        .timeline
        .iter()
        .filter(|(_, a)| matches!(a, podsim_sim::scenario::Action::Fault(_)))
        .count();
    println!(
        "shrunk in {} runs to {pods} pods, {faults} faults, {} entries, {} of virtual time; still breaks {:?}",
        shrunk.runs,
        shrunk.scenario.timeline.len(),
        podsim_sim::scenario::duration::format(shrunk.scenario.duration),
        shrunk.rule
    );
    println!("written to {file}; run it with: podsim run {file} --seed {seed}");
    Err(Failure::Failed)
}

/// How `podsim run --runtime containerd` sets up the kubelet and where it runs.
struct RealOptions<'a> {
    feature_gates: Option<&'a str>,
    bugs: &'a [KubeletBug],
    address: Option<&'a std::path::Path>,
}

fn run_real(path: &str, options: &RealOptions<'_>, trace: Option<&str>, json: bool) -> Result<(), Failure> {
    let mut loaded = run::load_with_gates(path, options.feature_gates)?;
    run::apply_bugs(&mut loaded, options.bugs);
    if real::run(&loaded, options.address, trace, json)? {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}

fn run_conform(
    paths: Vec<String>,
    address: Option<&std::path::Path>,
    jobs: usize,
    json: bool,
) -> Result<(), Failure> {
    let scenarios = if paths.is_empty() {
        let all = run::load_all(&["scenarios".to_string()])?;
        all.into_iter().filter(|l| l.scenario.real_runtime.is_some()).collect()
    } else {
        run::load_all(&paths)?
    };
    if real::conform(&scenarios, address, jobs, json)? {
        Ok(())
    } else {
        Err(Failure::Failed)
    }
}
