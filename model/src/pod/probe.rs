//! A container's probes (`livenessProbe`, `readinessProbe`, `startupProbe`: v1 `Probe`), already
//! defaulted as the API server's `SetDefaults_Probe` leaves them (period 10, timeout 1, success 1,
//! failure 3) and `SetDefaults_HTTPGetAction` (path `/`, scheme `HTTP`). The serialised form is the
//! API's, so that a pod written back (shrinking, generated worlds) reads as it was.

use serde::{Deserialize, Serialize};

/// `SetDefaults_Probe`: `periodSeconds`.
pub const DEFAULT_PERIOD_SECONDS: i32 = 10;
/// `SetDefaults_Probe`: `timeoutSeconds`.
pub const DEFAULT_TIMEOUT_SECONDS: i32 = 1;
/// `SetDefaults_Probe`: `successThreshold`.
pub const DEFAULT_SUCCESS_THRESHOLD: i32 = 1;
/// `SetDefaults_Probe`: `failureThreshold`.
pub const DEFAULT_FAILURE_THRESHOLD: i32 = 3;

/// One probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// What it runs.
    #[serde(flatten)]
    pub handler: ProbeHandler,
    /// Seconds after the container started before the first probe.
    pub initial_delay_seconds: i32,
    /// Seconds a probe may take.
    pub timeout_seconds: i32,
    /// Seconds between probes.
    pub period_seconds: i32,
    /// Successes in a row that make a failed container pass.
    pub success_threshold: i32,
    /// Failures in a row that make it fail.
    pub failure_threshold: i32,
    /// The grace period of a kill that this probe's failure causes (liveness and startup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
}

impl Probe {
    /// A probe with this handler and the API's defaults.
    pub fn new(handler: ProbeHandler) -> Probe {
        Probe {
            handler,
            initial_delay_seconds: 0,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            period_seconds: DEFAULT_PERIOD_SECONDS,
            success_threshold: DEFAULT_SUCCESS_THRESHOLD,
            failure_threshold: DEFAULT_FAILURE_THRESHOLD,
            termination_grace_period_seconds: None,
        }
    }

    /// An exec probe of `command` with the API's defaults.
    pub fn exec(command: &[&str]) -> Probe {
        Probe::new(ProbeHandler::Exec(ExecAction {
            command: command.iter().map(|w| w.to_string()).collect(),
        }))
    }
}

/// A probe's handler (exactly one is set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeHandler {
    /// `exec`: a command run in the container (CRI `ExecSync`).
    Exec(ExecAction),
    /// `httpGet`: a GET of the container's port.
    HttpGet(HttpGetAction),
    /// `tcpSocket`: a TCP connect to the container's port.
    TcpSocket(TcpSocketAction),
    /// `grpc`: the gRPC health check of the container's port.
    Grpc(GrpcAction),
}

/// `exec`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecAction {
    /// The command.
    pub command: Vec<String>,
}

/// `httpGet`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpGetAction {
    /// The path (default `/`).
    pub path: String,
    /// The port, by number or by name.
    pub port: PortValue,
    /// The host (default: the pod's IP).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// `HTTP` or `HTTPS` (default `HTTP`).
    pub scheme: String,
}

/// `tcpSocket`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSocketAction {
    /// The port, by number or by name.
    pub port: PortValue,
    /// The host (default: the pod's IP).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}

/// `grpc`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrpcAction {
    /// The port (a number only).
    pub port: i32,
    /// The service name of the health check (default "").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// An `IntOrString` port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortValue {
    /// A port number.
    Number(i32),
    /// A named container port.
    Name(String),
}
