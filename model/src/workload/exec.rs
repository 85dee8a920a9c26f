//! What an exec in a container does (CRI `ExecSync`: an exec probe, or the driver's realisation of
//! the probeFailure fault), read from its command with the workload's vocabulary, the same way by
//! the simulator's containerd and by the `workload` binary run inside the container.

use super::health::{parse_checks, Check};
use super::{
    is_workload_program, parse_duration, parse_verb, wrong_arguments, Workload, WorkloadError,
    WorkloadErrorKind, FIRST_ARGUMENT,
};
use crate::runtime::Millis;

/// An exec's behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exec {
    /// `workload check CHECK`: exits at once, 0 if the container passes the check, else 1.
    Check(Check),
    /// `workload fail-checks CHECKS DURATION`: from now on the container fails these checks for
    /// DURATION; exits 0 at once.
    FailChecks {
        /// The checks.
        checks: Vec<Check>,
        /// For how long.
        duration: Millis,
    },
    /// A workload verb (`run`, `exit-after`, `ignore-sigterm`): the exec runs as that process would
    /// (`exit-after 3s 1` exits 1 after 3 s; `run` runs until the exec's timeout).
    Process(Workload),
    /// Any other program (an image podsim did not build): it succeeds at once (exit 0), as such an
    /// image's container runs healthy until stopped.
    Other,
}

/// The exit code of a check that fails.
pub const CHECK_FAILED_EXIT_CODE: i32 = 1;

impl Exec {
    /// Reads an exec's command. A `workload` command outside the vocabulary is refused (the binary
    /// exits 2 at once).
    pub fn parse(cmd: &[String]) -> Result<Exec, WorkloadError> {
        let words: Vec<&str> = cmd.iter().map(String::as_str).collect();
        match words.split_first() {
            Some((program, rest)) if is_workload_program(program) => parse_exec_verb(rest),
            _ => Ok(Exec::Other),
        }
    }

    /// [`Exec::parse`] for the simulator's containerd: a refused command runs as the binary runs it
    /// (exit 2 at once).
    pub fn from_command(cmd: &[String]) -> Exec {
        Exec::parse(cmd).unwrap_or(Exec::Process(Workload::REFUSED))
    }

    /// The command of a check.
    pub fn check_command(check: Check) -> Vec<String> {
        vec!["workload".into(), "check".into(), check.word().into()]
    }

    /// The command that makes `checks` fail for `duration`.
    pub fn fail_checks_command(checks: &[Check], duration: Millis) -> Vec<String> {
        let list: Vec<&str> = checks.iter().map(|c| c.word()).collect();
        vec!["workload".into(), "fail-checks".into(), list.join(","), format!("{duration}ms")]
    }
}

fn parse_exec_verb(words: &[&str]) -> Result<Exec, WorkloadError> {
    match words.split_first() {
        Some((&"check", arguments)) => check(arguments),
        Some((&"fail-checks", arguments)) => fail_checks(arguments),
        _ => parse_verb(words).map(|(workload, _)| Exec::Process(workload)),
    }
}

/// `check CHECK`.
fn check(arguments: &[&str]) -> Result<Exec, WorkloadError> {
    let [word] = arguments else {
        return Err(wrong_arguments("check", "CHECK", arguments));
    };
    let check = Check::of_word(word).ok_or_else(|| WorkloadError {
        word: FIRST_ARGUMENT,
        kind: WorkloadErrorKind::UnknownCheck(word.to_string()),
    })?;
    Ok(Exec::Check(check))
}

/// `fail-checks CHECKS DURATION`.
fn fail_checks(arguments: &[&str]) -> Result<Exec, WorkloadError> {
    let [list, duration] = arguments else {
        return Err(wrong_arguments("fail-checks", "CHECKS DURATION", arguments));
    };
    let checks = parse_checks(list, FIRST_ARGUMENT)?;
    let duration = parse_duration(duration).ok_or_else(|| WorkloadError {
        word: FIRST_ARGUMENT + 1,
        kind: WorkloadErrorKind::BadDuration { verb: "fail-checks", text: duration.to_string() },
    })?;
    Ok(Exec::FailChecks { checks, duration })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_exec_commands() {
        assert_eq!(Exec::parse(&words(&["workload", "check", "ready"])), Ok(Exec::Check(Check::Ready)));
        assert_eq!(Exec::parse(&words(&["/bin/workload", "check", "live"])), Ok(Exec::Check(Check::Live)));
        assert_eq!(
            Exec::parse(&words(&["workload", "exit-after", "3s", "1"])),
            Ok(Exec::Process(Workload::ExitAfter { after: 3_000, code: 1 }))
        );
        assert_eq!(
            Exec::parse(&words(&["workload", "fail-checks", "live,ready", "10s"])),
            Ok(Exec::FailChecks { checks: vec![Check::Live, Check::Ready], duration: 10_000 })
        );
        assert_eq!(Exec::parse(&words(&["cat", "/tmp/healthy"])), Ok(Exec::Other));
        assert_eq!(Exec::parse(&Exec::check_command(Check::Started)), Ok(Exec::Check(Check::Started)));
        assert_eq!(
            Exec::parse(&Exec::fail_checks_command(&[Check::Ready], 1_500)),
            Ok(Exec::FailChecks { checks: vec![Check::Ready], duration: 1_500 })
        );
    }

    #[test]
    fn refuses_bad_exec_words() {
        let refusal = |w: &[&str]| Exec::parse(&words(w)).unwrap_err().to_string();
        assert_eq!(refusal(&["workload", "check"]), "workload: check takes CHECK, got nothing");
        assert_eq!(
            refusal(&["workload", "check", "healthy"]),
            "workload: \"healthy\" is not a check (known: live, ready, started)"
        );
        assert_eq!(
            refusal(&["workload", "fail-checks", "live"]),
            "workload: fail-checks takes CHECKS DURATION, got \"live\""
        );
        assert_eq!(
            refusal(&["workload", "fail-checks", "live", "soon"]),
            "workload: fail-checks: \"soon\" is not a duration (like 500ms, 2s, 1m)"
        );
        assert_eq!(Exec::from_command(&words(&["workload", "sleep"])), Exec::Process(Workload::REFUSED));
    }
}
