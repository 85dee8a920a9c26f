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

use crate::pod::LifecycleHandler;
use crate::runtime::Millis;

/// How a hook goes once started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HookRun {
    /// It runs until this instant (a sleep, cut at the end of the grace period for a preStop).
    Until(Millis),
    /// It failed at once.
    Failed,
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
