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
//! - **exec**: the command runs in the container through the CRI's `ExecSync`, with a timeout of 0
//!   (`Run` passes none of its own: "TODO(tallclair): Pass a proper timeout value"); a non-zero
//!   exit code, a timeout or a runtime error fails the hook ([`exec_hook_error`]). A postStart waits
//!   for the reply; a preStop is waited for at most the grace period, then abandoned.

use crate::events::{format_pod, grpc_error};
use crate::io::{CriError, CriReply};
use crate::pod::{http_hook_failed_message, LifecycleHandler, Pod};
use crate::runtime::Millis;

/// How a hook goes once started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum HookRun {
    /// It runs until this instant (a sleep, cut at the end of the grace period for a preStop).
    Until(Millis),
    /// An exec: it runs until its `ExecSync` is answered, or the grace period ends.
    Exec(Vec<String>),
    /// It failed at once.
    Failed,
}

/// How a postStart hook goes once started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PostStartRun {
    /// A sleep: it ends at this instant.
    Until(Millis),
    /// An exec: the start waits for the `ExecSync` of this command.
    Exec(Vec<String>),
    /// It failed at once, with `HandlerRunner.Run`'s message.
    Failed(String),
}

/// A postStart hook started at `now` (`startContainer`'s step 4): a sleep ends after its seconds;
/// an exec runs through `ExecSync`; any other action fails at once, with `HandlerRunner.Run`'s
/// message.
pub(super) fn post_start_run(
    handler: &LifecycleHandler,
    pod: &Pod,
    container: &str,
    pod_ip: &str,
    now: Millis,
) -> PostStartRun {
    match handler {
        LifecycleHandler::Sleep { seconds } => PostStartRun::Until(now + (*seconds).max(0) as Millis * 1000),
        LifecycleHandler::Exec { command } => PostStartRun::Exec(command.clone()),
        LifecycleHandler::HttpGet { .. } | LifecycleHandler::TcpSocket { .. } => {
            PostStartRun::Failed(failure_message(handler, pod, container, pod_ip))
        }
    }
}

/// `HandlerRunner.Run`'s exec case: the hook's `ExecSync` of `command` answered. Exit 0 is success
/// (`None`); otherwise the hook failed, with `Run`'s message, whose error is the CRI client's
/// (remote_runtime.go `ExecSync`): a non-zero exit is a `CodeExitError` ("command '…' exited with
/// N: " and the stderr, which podsim's replies do not carry), a timeout `command "…" timed out`, and
/// a runtime error its gRPC text. The message's output (stdout and stderr) is empty.
pub(super) fn exec_hook_error(
    command: &[String],
    reply: &CriReply,
    pod: &Pod,
    container: &str,
) -> Option<String> {
    let joined = command.join(" ");
    let error = match reply {
        CriReply::Exec(r) if r.timed_out => format!("command {joined:?} timed out"),
        CriReply::Exec(r) if r.exit_code == 0 => return None,
        CriReply::Exec(r) => format!("command '{joined}' exited with {}: ", r.exit_code),
        CriReply::Err(CriError::DeadlineExceeded) => format!("command {joined:?} timed out"),
        CriReply::Err(e) => grpc_error(e),
        other => format!("unexpected reply {other:?}"),
    };
    Some(format!(
        "Exec lifecycle hook ([{joined}]) for Container {container:?} in Pod {:?} failed - error: {error}, message: \"\"",
        format_pod(pod)
    ))
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
        LifecycleHandler::Exec { .. } | LifecycleHandler::Sleep { .. } => String::new(),
    }
}

/// `executePreStopHook`: the hook starts at `now`; the kubelet waits for it at most `grace` seconds.
pub(super) fn pre_stop_start(handler: &LifecycleHandler, grace_seconds: i64, now: Millis) -> HookRun {
    match handler {
        LifecycleHandler::Sleep { seconds } => {
            let waited = (*seconds).clamp(0, grace_seconds.max(0));
            HookRun::Until(now + waited as Millis * 1000)
        }
        LifecycleHandler::Exec { command } => HookRun::Exec(command.clone()),
        LifecycleHandler::HttpGet { .. } | LifecycleHandler::TcpSocket { .. } => HookRun::Failed,
    }
}

/// Ports of pkg/kubelet/lifecycle/handlers_test.go's exec cases (read_file id 52349694872, the
/// Kubernetes 1.3x version with `LifecycleHandler` and `ctx`). The Go tests fake the command runner;
/// here the runner is the CRI's `ExecSync`, so each case is the command a hook runs and the reply
/// it gets.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::ExecResult;

    fn pod_foo() -> Pod {
        let mut pod = Pod::new("podFoo", "uid-foo", "node");
        pod.namespace = "nsFoo".to_string();
        pod
    }

    fn command(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// TestRunHandlerExec: an exec postStart runs its command in the container, and an exit 0 is no
    /// error.
    #[test]
    fn run_handler_exec() {
        let cmd = command(&["ls", "-a"]);
        let handler = LifecycleHandler::Exec { command: cmd.clone() };
        let run = post_start_run(&handler, &pod_foo(), "containerFoo", "", 0);
        assert_eq!(run, PostStartRun::Exec(cmd.clone()));
        let ok = CriReply::Exec(ExecResult::exited(0));
        assert_eq!(exec_hook_error(&cmd, &ok, &pod_foo(), "containerFoo"), None);
        assert_eq!(pre_stop_start(&handler, 30, 0), HookRun::Exec(cmd));
    }

    /// TestRunHandlerExecFailure: the runner's error fails the hook with `Run`'s message. podsim's
    /// replies carry no output, so the message's output is empty; the error is the CRI client's.
    #[test]
    fn run_handler_exec_failure() {
        let cmd = command(&["ls", "--a"]);
        let failed = CriReply::Err(CriError::Failed("invalid command".to_string()));
        assert_eq!(
            exec_hook_error(&cmd, &failed, &pod_foo(), "containerFoo").as_deref(),
            Some(
                "Exec lifecycle hook ([ls --a]) for Container \"containerFoo\" in Pod \"podFoo_nsFoo(uid-foo)\" failed - error: rpc error: code = Unknown desc = invalid command, message: \"\""
            )
        );
        // A non-zero exit is remote_runtime.go's CodeExitError.
        let exited = CriReply::Exec(ExecResult::exited(1));
        assert_eq!(
            exec_hook_error(&cmd, &exited, &pod_foo(), "containerFoo").as_deref(),
            Some(
                "Exec lifecycle hook ([ls --a]) for Container \"containerFoo\" in Pod \"podFoo_nsFoo(uid-foo)\" failed - error: command 'ls --a' exited with 1: , message: \"\""
            )
        );
        // A timeout is the client's timeout error.
        let timed_out = CriReply::Exec(ExecResult::timed_out());
        let message = exec_hook_error(&cmd, &timed_out, &pod_foo(), "containerFoo").unwrap();
        assert!(message.contains("error: command \"ls --a\" timed out, message"), "{message}");
    }
}
