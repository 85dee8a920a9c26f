//! `podsim phase`: a Pod with its status, as `kubectl get pod NAME -o yaml` prints it, to the phase the
//! kubelet's `getPhase` computes from its container statuses, with the counters it decided from.

use serde::Serialize;

use podsim_model::gates::FeatureGates;
use podsim_model::pod_status_manifest::{ApiPod, PodWithStatusManifest, ReportedPhase};
use podsim_model::status::phase::{get_phase_with_counts, PhaseCounts, PhaseOptions};
use podsim_model::PodPhase;

use podsim_sim::input::{parse_document, InputError};

/// How `podsim phase` reads what the API object cannot say.
#[derive(Clone, Copy, Debug, Default)]
pub struct PhaseSettings {
    /// The kubelet's feature gates.
    pub gates: FeatureGates,
    /// `podIsTerminal`: the pod worker has terminated the pod (its containers will not restart).
    pub pod_is_terminal: bool,
}

/// The JSON `podsim phase` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseOutput {
    /// The phase `getPhase` computes.
    phase: PodPhase,
    /// `namespace/name`.
    pod: String,
    /// `status.phase` of the input, if any.
    reported_phase: Option<ReportedPhase>,
    /// The `podIsTerminal` used.
    pod_is_terminal: bool,
    /// The `podHasInitialized` used: a regular container's status is running or terminated
    /// (`HasAnyRegularContainerStarted`; the kubelet asks the runtime's active sandbox instead).
    pod_has_initialized: bool,
    /// Whether the pod is static (`kubernetes.io/config.source` is not `api`).
    static_pod: bool,
    /// The gates that differ from the defaults.
    feature_gates: FeatureGates,
    /// The counters `getPhase` decided from.
    counts: PhaseCounts,
}

/// Reads a Pod with its status (YAML or JSON).
pub fn read_pod(file: &str, text: &str) -> Result<ApiPod, InputError> {
    let manifest: PodWithStatusManifest = parse_document(file, text)?;
    manifest.into_api_pod().map_err(|e| InputError::at_path(file, text, &e.path, e.message))
}

/// `getPhase` of the pod.
pub fn phase(pod: &ApiPod, settings: &PhaseSettings) -> PhaseOutput {
    let spec = pod.phase_spec();
    let statuses = pod.phase_statuses();
    let options = PhaseOptions {
        pod_is_terminal: settings.pod_is_terminal,
        pod_has_initialized: pod.has_any_regular_container_started(),
        gates: settings.gates,
    };
    let (phase, counts) = get_phase_with_counts(&spec, &statuses, &options);
    PhaseOutput {
        phase,
        pod: pod.full_name.clone(),
        reported_phase: pod.reported_phase,
        pod_is_terminal: options.pod_is_terminal,
        pod_has_initialized: options.pod_has_initialized,
        static_pod: pod.is_static_pod,
        feature_gates: settings.gates,
        counts,
    }
}
