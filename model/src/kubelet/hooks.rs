//! Running a lifecycle hook (pkg/kubelet/lifecycle/handlers.go `HandlerRunner.Run`), as podsim's
//! kubelet can:
//! - **sleep**: the kubelet's own timer (`runSleepHandler`); it succeeds when the seconds are up.
//! - **tcpSocket**: the kubelet cannot run it (`Run`'s default case, `invalid handler`): it fails at
//!   once.
//! - **httpGet**: the kubelet's GET to the pod's IP (or `host`) and port. podsim's workloads serve no
//!   HTTP, so in the simulator the GET is refused at once and the hook fails, as it fails on a node
//!   where nothing listens on the port. podsim makes no HTTP request on containerd either: there too
//!   the model fails the hook the same way, which a real kubelet would only do if nothing listened
//!   (pods share the node's network there, so a real process on the port would answer it).
//! - **exec**: the command runs in the container through the CRI's `ExecSync`. This build has no
//!   `ExecSync` call: the model fails an exec hook at once, and scenarios refuse exec hooks (see
//!   sim/src/scenario.rs) so that no run depends on it.

use crate::events::format_pod;
use crate::pod::{http_hook_failed_message, LifecycleHandler, Pod};
use crate::runtime::Millis;

/// How a hook goes once started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HookRun {
    /// It runs until this instant (a sleep, cut at the end of the grace period for a preStop).
    Until(Millis),
    /// It failed at once.
    Failed,
}

/// A postStart hook started at `now` (`startContainer`'s step 4): a sleep ends after its seconds;
/// any other action fails at once, with `HandlerRunner.Run`'s message.
pub(super) fn post_start_run(
    handler: &LifecycleHandler,
    pod: &Pod,
    container: &str,
    pod_ip: &str,
    now: Millis,
) -> Result<Millis, String> {
    match handler {
        LifecycleHandler::Sleep { seconds } => Ok(now + (*seconds).max(0) as Millis * 1000),
        _ => Err(failure_message(handler, pod, container, pod_ip)),
    }
}

/// `HandlerRunner.Run`'s message for a hook that failed at once.
pub(super) fn failure_message(
    handler: &LifecycleHandler,
    pod: &Pod,
    container: &str,
    pod_ip: &str,
) -> String {
    match handler {
        LifecycleHandler::HttpGet { path, port, host, scheme } => {
            let host = if host.is_empty() { pod_ip } else { host.as_str() };
            let scheme = scheme.to_lowercase();
            let error = format!(
                "Get \"{scheme}://{host}:{port}{path}\": dial tcp {host}:{port}: connect: connection refused"
            );
            http_hook_failed_message(path, container, &format_pod(pod), &error)
        }
        LifecycleHandler::TcpSocket { port } => {
            // Go prints the handler with its generated String(): an IntOrString as {Type IntVal StrVal}.
            let port = match port.parse::<i64>() {
                Ok(n) => format!("{{0 {n} }}"),
                Err(_) => format!("{{1 0 {port}}}"),
            };
            format!(
                "Cannot run handler: invalid handler: &LifecycleHandler{{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{{Port:{port},Host:,}},Sleep:nil,}}"
            )
        }
        LifecycleHandler::Exec { command } => format!(
            "Exec lifecycle hook ([{}]) for Container {container:?} in Pod {:?} failed - error: podsim has no ExecSync in this build, message: \"\"",
            command.join(" "),
            format_pod(pod)
        ),
        LifecycleHandler::Sleep { .. } => String::new(),
    }
}

/// `executePreStopHook`: the hook starts at `now`; the kubelet waits for it at most `grace` seconds.
pub(super) fn pre_stop_start(handler: &LifecycleHandler, grace_seconds: i64, now: Millis) -> HookRun {
    match handler {
        LifecycleHandler::Sleep { seconds } => {
            let waited = (*seconds).clamp(0, grace_seconds.max(0));
            HookRun::Until(now + waited as Millis * 1000)
        }
        LifecycleHandler::Exec { .. }
        | LifecycleHandler::HttpGet { .. }
        | LifecycleHandler::TcpSocket { .. } => HookRun::Failed,
    }
}
