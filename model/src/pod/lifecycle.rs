//! A container's `lifecycle`: its postStart and preStop hooks (`v1.Lifecycle`, `v1.LifecycleHandler`).
//!
//! The API server accepts four actions (pkg/apis/core/validation `validateHandler`): `exec`,
//! `httpGet`, `sleep` and the deprecated `tcpSocket`, which it still validates but which the kubelet
//! cannot run: its `HandlerRunner.Run` (pkg/kubelet/lifecycle/handlers.go) answers it with `invalid
//! handler`, so the hook fails at run time (the v1 type's doc: "TCPSocket is NOT supported as a
//! LifecycleHandler ... lifecycle hooks will fail at runtime when it is specified"). The container
//! hash does not cover the lifecycle (`HashContainer` hashes the name and image only), so a changed
//! hook never restarts a container.

use serde::{Deserialize, Serialize};

/// `container.lifecycle`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// `postStart`: run right after the container started; the next container waits for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_start: Option<LifecycleHandler>,
    /// `preStop`: run before the container is stopped, within its grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_stop: Option<LifecycleHandler>,
}

impl Lifecycle {
    /// Neither hook is set.
    pub fn is_empty(&self) -> bool {
        self.post_start.is_none() && self.pre_stop.is_none()
    }
}

/// One hook's action (`v1.LifecycleHandler`, exactly one of its fields set).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LifecycleHandler {
    /// `exec.command`: run in the container through the runtime's `ExecSync`.
    Exec {
        /// The command.
        command: Vec<String>,
    },
    /// `httpGet`: a GET the kubelet makes to the pod (or `host`).
    HttpGet {
        /// `path`.
        path: String,
        /// `port`, as written (a number or a port name).
        port: String,
        /// `host` ("" for the pod's IP).
        host: String,
        /// `scheme` (defaulted to HTTP).
        scheme: String,
    },
    /// `sleep.seconds`: the kubelet's own timer.
    Sleep {
        /// The seconds to wait.
        seconds: i64,
    },
    /// `tcpSocket`: accepted by the API server, refused by the kubelet's handler runner.
    TcpSocket {
        /// `port`, as written.
        port: String,
    },
}

impl LifecycleHandler {
    /// The field name of the action (`exec`, `httpGet`, `sleep`, `tcpSocket`).
    pub fn action(&self) -> &'static str {
        match self {
            LifecycleHandler::Exec { .. } => "exec",
            LifecycleHandler::HttpGet { .. } => "httpGet",
            LifecycleHandler::Sleep { .. } => "sleep",
            LifecycleHandler::TcpSocket { .. } => "tcpSocket",
        }
    }
}

/// How a hook ran (`HandlerRunner.Run`'s answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HookOutcome {
    /// It succeeded.
    Ok,
    /// It failed, with the kubelet's message (the FailedPostStartHook event's text).
    Failed(String),
}

/// `HandlerRunner.Run`'s message for an action the kubelet cannot run (a `tcpSocket`): `Cannot run
/// handler: invalid handler: ...` (handlers.go `Run`, its `default` case). Go prints the handler
/// struct; podsim names the action.
pub fn invalid_handler_message(handler: &LifecycleHandler) -> String {
    format!("Cannot run handler: invalid handler: {}", handler.action())
}

/// `HandlerRunner.Run`'s message for an httpGet hook that failed: `HTTP lifecycle hook (PATH) for
/// Container "NAME" in Pod "NS/NAME_NS(UID)" failed - error: ERR` (handlers.go `Run`).
pub fn http_hook_failed_message(path: &str, container: &str, pod: &str, error: &str) -> String {
    format!("HTTP lifecycle hook ({path}) for Container {container:?} in Pod {pod:?} failed - error: {error}")
}

/// `HandlerRunner.Run`'s message for an exec hook that failed: `Exec lifecycle hook (COMMAND) for
/// Container "NAME" in Pod "POD" failed - error: ERR, message: OUTPUT` (handlers.go `Run`; Go prints
/// the command slice as `[a b c]`).
pub fn exec_hook_failed_message(
    command: &[String],
    container: &str,
    pod: &str,
    error: &str,
    output: &str,
) -> String {
    format!(
        "Exec lifecycle hook ([{}]) for Container {container:?} in Pod {pod:?} failed - error: {error}, message: {output:?}",
        command.join(" ")
    )
}
