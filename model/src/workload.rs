//! What a container does, read from its command: the vocabulary that the simulator and podsim's own
//! static `workload` binary both understand, so that a scenario means the same in both worlds.
//!
//! ```text
//! workload run                         run until stopped (SIGTERM ends it)
//! workload exit-after DURATION CODE    exit with CODE (0 to 255) after DURATION (e.g. 2s, 500ms, 1m)
//! workload ignore-sigterm              run until SIGKILL (exercises the grace period)
//! ```
//! Each of these takes health options, after its arguments, that say how the container answers the
//! probe checks below (times from the start of the container's main process):
//! ```text
//! --ready-after DURATION       `check ready` fails until DURATION has passed (default: ready at once)
//! --started-after DURATION     `check started` fails until DURATION has passed (default: at once)
//! --unhealthy-after DURATION   `check live` fails from DURATION on (default: never)
//! ```
//! Commands run in a container by an exec (CRI `ExecSync`, e.g. an exec probe), read by
//! [`exec::Exec::parse`]:
//! ```text
//! workload check ready|live|started        exit 0 if the check passes, 1 if not, at once
//! workload fail-checks CHECKS DURATION     make the checks (comma-separated: live,ready,started)
//!                                          fail for DURATION from now, then exit 0 (the driver's
//!                                          realisation of the probeFailure fault)
//! workload run | exit-after D C | ignore-sigterm   run as an exec as they run as a container
//! ```
//! `check` and `fail-checks` are exec commands: as a container's own command they are refused.
//! The program is `workload` by name or by any path to it (`/bin/workload`). Any other program (an
//! image podsim did not build, such as `nginx`) runs until stopped. A `workload` command with no verb,
//! an unknown verb or bad arguments is refused by [`Workload::parse`] with a [`WorkloadError`]:
//! scenarios, `podsim plan` and `podsim status` report it at load (exit 2), the `workload` binary
//! prints it and exits 2 at once, and so the simulator's containerd runs such a command as
//! [`Workload::REFUSED`].

use serde::{Deserialize, Serialize};

use crate::pod::Pod;
use crate::runtime::Millis;

pub mod exec;
pub mod health;

pub use health::{Check, Health};

/// A container's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Workload {
    /// Runs until stopped; SIGTERM ends it at once (exit code 143).
    Run,
    /// Exits with `code` after `after` milliseconds of running.
    ExitAfter {
        /// How long it runs.
        after: Millis,
        /// Its exit code.
        code: i32,
    },
    /// Ignores SIGTERM: only SIGKILL (after the grace period) ends it.
    IgnoreSigterm,
}

/// The exit code of a process killed by SIGKILL (128 + 9).
pub const SIGKILL_EXIT_CODE: i32 = 137;
/// The exit code of a process ended by SIGTERM (128 + 15).
pub const SIGTERM_EXIT_CODE: i32 = 143;
/// The exit code of the `workload` binary when it refuses its command (a usage error, as in the
/// shells' and BSD's `EX_USAGE` convention for bad command lines).
pub const USAGE_EXIT_CODE: i32 = 2;
/// The largest exit code a process can report (the kernel keeps the low 8 bits of `exit`'s status).
pub const MAX_EXIT_CODE: i32 = 255;

/// The verbs, as the errors list them.
const KNOWN_VERBS: &str = "run, exit-after DURATION CODE, ignore-sigterm";
/// The health options, as the errors list them.
const KNOWN_OPTIONS: &str = "--ready-after, --started-after, --unhealthy-after";

/// Why a `workload` command is refused, and which of its words is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadError {
    /// The index, in the command's words (command, then args, the program first), of the word at
    /// fault; the number of words when one is missing.
    pub word: usize,
    /// What is wrong.
    pub kind: WorkloadErrorKind,
}

/// What is wrong with a `workload` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkloadErrorKind {
    /// Nothing follows the program.
    NoVerb,
    /// The verb is not one of the vocabulary.
    UnknownVerb(String),
    /// The verb takes other arguments than those given.
    Arguments {
        /// The verb.
        verb: &'static str,
        /// What it takes (`DURATION CODE`, or empty for nothing).
        usage: &'static str,
        /// What was given.
        given: Vec<String>,
    },
    /// A verb's DURATION (`exit-after`, `fail-checks`) does not read as one.
    BadDuration {
        /// The verb.
        verb: &'static str,
        /// What was given.
        text: String,
    },
    /// `exit-after`'s CODE is not a number from 0 to 255.
    BadExitCode(String),
    /// An option (`--...`) that is not one of the health options.
    UnknownOption(String),
    /// A health option without its DURATION, or with one that does not read as one.
    BadOptionValue {
        /// The option.
        option: String,
        /// What was given (`None`: nothing).
        given: Option<String>,
    },
    /// A health option given twice.
    RepeatedOption(String),
    /// An exec command (`check`, `fail-checks`) given as a container's own command.
    ExecOnly(String),
    /// `check`'s or `fail-checks`' CHECK is not one of `live`, `ready`, `started`.
    UnknownCheck(String),
}

impl std::fmt::Display for WorkloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "workload: ")?;
        match &self.kind {
            WorkloadErrorKind::NoVerb => write!(f, "no verb (known: {KNOWN_VERBS})"),
            WorkloadErrorKind::UnknownVerb(verb) => write!(f, "unknown verb {verb:?} (known: {KNOWN_VERBS})"),
            WorkloadErrorKind::Arguments { verb, usage: "", given } => {
                write!(f, "{verb} takes no arguments, got {}", quoted(given))
            }
            WorkloadErrorKind::Arguments { verb, usage, given } if given.is_empty() => {
                write!(f, "{verb} takes {usage}, got nothing")
            }
            WorkloadErrorKind::Arguments { verb, usage, given } => {
                write!(f, "{verb} takes {usage}, got {}", quoted(given))
            }
            WorkloadErrorKind::BadDuration { verb, text } => {
                write!(f, "{verb}: {text:?} is not a duration (like 500ms, 2s, 1m)")
            }
            WorkloadErrorKind::BadExitCode(text) => {
                write!(f, "exit-after: {text:?} is not an exit code (0 to {MAX_EXIT_CODE})")
            }
            WorkloadErrorKind::UnknownOption(option) => {
                write!(f, "unknown option {option:?} (known: {KNOWN_OPTIONS})")
            }
            WorkloadErrorKind::BadOptionValue { option, given: None } => {
                write!(f, "{option} takes DURATION, got nothing")
            }
            WorkloadErrorKind::BadOptionValue { option, given: Some(text) } => {
                write!(f, "{option}: {text:?} is not a duration (like 500ms, 2s, 1m)")
            }
            WorkloadErrorKind::RepeatedOption(option) => write!(f, "{option} given twice"),
            WorkloadErrorKind::ExecOnly(verb) => write!(
                f,
                "{verb} is an exec command (for an exec probe), not a container's command (known: {KNOWN_VERBS})"
            ),
            WorkloadErrorKind::UnknownCheck(text) => {
                write!(f, "{text:?} is not a check (known: {})", health::KNOWN_CHECKS)
            }
        }
    }
}

impl std::error::Error for WorkloadError {}

/// `"2" "sec" "1"`.
fn quoted(words: &[String]) -> String {
    words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(" ")
}

/// Whether `program` is podsim's workload, by name or by any path to it (`/bin/workload`).
pub fn is_workload_program(program: &str) -> bool {
    program.rsplit('/').next() == Some("workload")
}

impl Workload {
    /// What the `workload` binary does when it refuses its command: it exits at once with
    /// [`USAGE_EXIT_CODE`]. The simulator's containerd runs a refused command so, as the real one
    /// would.
    pub const REFUSED: Workload = Workload::ExitAfter { after: 0, code: USAGE_EXIT_CODE };

    /// Reads a container's command (and args, appended) as the workload binary does: `Ok(Run)` for
    /// any other program, an error for a `workload` command outside the vocabulary.
    pub fn parse(command: &[String], args: &[String]) -> Result<Workload, WorkloadError> {
        Workload::parse_with_health(command, args).map(|(workload, _)| workload)
    }

    /// [`Workload::parse`] with the health options: how the container answers the probe checks
    /// ([`Health::default`] for any other program: it passes every check).
    pub fn parse_with_health(
        command: &[String],
        args: &[String],
    ) -> Result<(Workload, Health), WorkloadError> {
        let words: Vec<&str> = command.iter().chain(args).map(String::as_str).collect();
        match words.split_first() {
            Some((program, rest)) if is_workload_program(program) => parse_verb(rest),
            _ => Ok((Workload::Run, Health::default())),
        }
    }

    /// [`Workload::parse`] for the simulator's containerd, which runs whatever it is given: a refused
    /// command behaves as the binary does, [`Workload::REFUSED`]. (Scenarios never get here with
    /// one: they are checked at load.)
    pub fn from_command(command: &[String], args: &[String]) -> Workload {
        Workload::parse(command, args).unwrap_or(Workload::REFUSED)
    }

    /// [`Workload::parse_with_health`] for the simulator's containerd: a refused command behaves as
    /// [`Workload::REFUSED`] (and never answers a check, as it is gone at once).
    pub fn from_command_with_health(command: &[String], args: &[String]) -> (Workload, Health) {
        Workload::parse_with_health(command, args).unwrap_or((Workload::REFUSED, Health::default()))
    }

    /// The command that means this workload with these health options.
    pub fn to_command_with_health(self, health: Health) -> Vec<String> {
        let mut words = self.to_command();
        words.extend(health.to_options());
        words
    }

    /// The command that means this workload (the inverse of [`Workload::parse`]).
    pub fn to_command(self) -> Vec<String> {
        let words: Vec<String> = match self {
            Workload::Run => vec!["workload".into(), "run".into()],
            Workload::ExitAfter { after, code } => {
                vec!["workload".into(), "exit-after".into(), format!("{after}ms"), code.to_string()]
            }
            Workload::IgnoreSigterm => vec!["workload".into(), "ignore-sigterm".into()],
        };
        words
    }

    /// Whether SIGTERM ends it.
    pub fn stops_on_sigterm(self) -> bool {
        !matches!(self, Workload::IgnoreSigterm)
    }

    /// The exit code when SIGTERM ends it.
    pub fn exit_code_on_sigterm(self) -> i32 {
        SIGTERM_EXIT_CODE
    }
}

/// The verb and its arguments. `words` follow the program, so `words[i]` is word `i + 1` of the
/// command.
fn parse_verb(words: &[&str]) -> Result<(Workload, Health), WorkloadError> {
    let Some((verb, rest)) = words.split_first() else {
        return Err(WorkloadError { word: 1, kind: WorkloadErrorKind::NoVerb });
    };
    let options_at = rest.iter().position(|w| w.starts_with("--")).unwrap_or(rest.len());
    let (arguments, options) = rest.split_at(options_at);
    let workload = match *verb {
        "run" => no_arguments("run", arguments).map(|()| Workload::Run),
        "ignore-sigterm" => no_arguments("ignore-sigterm", arguments).map(|()| Workload::IgnoreSigterm),
        "exit-after" => exit_after(arguments),
        "check" | "fail-checks" => {
            Err(WorkloadError { word: 1, kind: WorkloadErrorKind::ExecOnly(verb.to_string()) })
        }
        other => Err(WorkloadError { word: 1, kind: WorkloadErrorKind::UnknownVerb(other.to_string()) }),
    }?;
    let health = health::parse_options(options, FIRST_ARGUMENT + arguments.len())?;
    Ok((workload, health))
}

/// The first argument is word 2 of the command (after the program and the verb).
pub(crate) const FIRST_ARGUMENT: usize = 2;

/// A verb that takes no arguments.
fn no_arguments(verb: &'static str, arguments: &[&str]) -> Result<(), WorkloadError> {
    if arguments.is_empty() {
        return Ok(());
    }
    Err(wrong_arguments(verb, "", arguments))
}

/// `exit-after DURATION CODE`.
fn exit_after(arguments: &[&str]) -> Result<Workload, WorkloadError> {
    let [duration, code] = arguments else {
        return Err(wrong_arguments("exit-after", "DURATION CODE", arguments));
    };
    let after = parse_duration(duration).ok_or_else(|| WorkloadError {
        word: FIRST_ARGUMENT,
        kind: WorkloadErrorKind::BadDuration { verb: "exit-after", text: duration.to_string() },
    })?;
    let code = parse_exit_code(code).ok_or_else(|| WorkloadError {
        word: FIRST_ARGUMENT + 1,
        kind: WorkloadErrorKind::BadExitCode(code.to_string()),
    })?;
    Ok(Workload::ExitAfter { after, code })
}

pub(crate) fn wrong_arguments(verb: &'static str, usage: &'static str, arguments: &[&str]) -> WorkloadError {
    let given = arguments.iter().map(|a| a.to_string()).collect();
    WorkloadError { word: FIRST_ARGUMENT, kind: WorkloadErrorKind::Arguments { verb, usage, given } }
}

/// An exit code a process can report: a whole number from 0 to 255 (a larger one would reach the
/// runtime cut to its low 8 bits, and so differ between the simulator and a real node).
fn parse_exit_code(text: &str) -> Option<i32> {
    text.parse::<i32>().ok().filter(|code| (0..=MAX_EXIT_CODE).contains(code))
}

impl WorkloadError {
    /// The container field that holds the word at fault: `command`, or `args` when the word is one
    /// of the args (a missing word is blamed on `args` when there are any).
    pub fn field(&self, command_words: usize, args_words: usize) -> &'static str {
        if self.word < command_words || args_words == 0 {
            "command"
        } else {
            "args"
        }
    }
}

/// A container whose `workload` command is refused: the field at fault, relative to the pod
/// (`spec.containers[1].command`), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// The field, as `spec.initContainers[0].args`.
    pub field: String,
    /// Why.
    pub error: WorkloadError,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.error)
    }
}

/// Checks the command of every container of `pod` (init, regular, ephemeral, in the manifest's
/// order) with [`Workload::parse`]: the first one refused, with its field.
pub fn check_pod_commands(pod: &Pod) -> Result<(), CommandError> {
    let lists = [
        ("initContainers", &pod.spec.init_containers),
        ("containers", &pod.spec.containers),
        ("ephemeralContainers", &pod.spec.ephemeral_containers),
    ];
    for (list, containers) in lists {
        for (i, c) in containers.iter().enumerate() {
            Workload::parse(&c.command, &c.args).map_err(|error| CommandError {
                field: format!("spec.{list}[{i}].{}", error.field(c.command.len(), c.args.len())),
                error,
            })?;
            check_exec_probes(c).map_err(|(probe, error)| CommandError {
                field: format!("spec.{list}[{i}].{probe}.exec.command"),
                error,
            })?;
            check_exec_hooks(c).map_err(|(hook, error)| CommandError {
                field: format!("spec.{list}[{i}].lifecycle.{hook}.exec.command"),
                error,
            })?;
        }
    }
    Ok(())
}

/// Checks the command of each exec probe of a container with [`exec::Exec::parse`]: the first one
/// refused, with its probe's field (`livenessProbe`).
fn check_exec_probes(c: &crate::pod::Container) -> Result<(), (&'static str, WorkloadError)> {
    let probes = [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ];
    for (field, probe) in probes {
        if let Some(crate::pod::ProbeHandler::Exec(e)) = probe.as_ref().map(|p| &p.handler) {
            exec::Exec::parse(&e.command).map_err(|error| (field, error))?;
        }
    }
    Ok(())
}

/// Checks the command of each exec lifecycle hook of a container with [`exec::Exec::parse`], as the
/// exec probes' are: the first one refused, with its hook's field (`postStart`).
fn check_exec_hooks(c: &crate::pod::Container) -> Result<(), (&'static str, WorkloadError)> {
    let hooks = [("postStart", &c.lifecycle.post_start), ("preStop", &c.lifecycle.pre_stop)];
    for (field, hook) in hooks {
        if let Some(crate::pod::LifecycleHandler::Exec { command }) = hook {
            exec::Exec::parse(command).map_err(|error| (field, error))?;
        }
    }
    Ok(())
}

/// Reads `500ms`, `2s`, `1m`, `1h` (or a bare number of seconds) into milliseconds.
pub fn parse_duration(text: &str) -> Option<Millis> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<Millis>().ok()?.checked_mul(1_000);
    }
    // Like Go's time.ParseDuration, without fractions: parts from the largest unit down (`1m30s`).
    let mut rest = text;
    let mut total: Millis = 0;
    let mut last_factor = Millis::MAX;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).filter(|&i| i > 0)?;
        let (number, after) = rest.split_at(digits);
        let unit_len = after.find(|c: char| c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let factor = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return None,
        };
        if factor >= last_factor {
            return None;
        }
        last_factor = factor;
        total = total.checked_add(number.parse::<Millis>().ok()?.checked_mul(factor)?)?;
        rest = next;
    }
    (!text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_the_vocabulary() {
        assert_eq!(Workload::from_command(&words(&["workload", "run"]), &[]), Workload::Run);
        assert_eq!(
            Workload::from_command(&words(&["workload"]), &words(&["exit-after", "2s", "3"])),
            Workload::ExitAfter { after: 2_000, code: 3 }
        );
        assert_eq!(
            Workload::from_command(&words(&["/workload", "ignore-sigterm"]), &[]),
            Workload::IgnoreSigterm
        );
        assert_eq!(Workload::from_command(&words(&["nginx", "-g"]), &[]), Workload::Run);
        assert_eq!(
            Workload::from_command(&words(&["/usr/bin/nginx"]), &words(&["exit-afterr"])),
            Workload::Run
        );
        assert_eq!(
            Workload::from_command(&words(&["workload", "exit-after", "soon", "1"]), &[]),
            Workload::REFUSED,
            "the simulator runs a refused command as the binary does: exit 2 at once"
        );
    }

    /// The message of the error for `words` (command only).
    fn refusal(w: &[&str]) -> String {
        Workload::parse(&words(w), &[]).expect_err("refused").to_string()
    }

    /// Every way a `workload` command can be wrong is an error naming the word, never a silent
    /// `run` (issue 12: `workload exit-after 2 sec 1` ran forever).
    #[test]
    fn bad_commands_are_refused_with_what_is_wrong() {
        let known = "(known: run, exit-after DURATION CODE, ignore-sigterm)";
        let cases: &[(&[&str], String)] = &[
            (&["workload"], format!("workload: no verb {known}")),
            (
                &["workload", "exit-afterr", "2s", "1"],
                format!("workload: unknown verb \"exit-afterr\" {known}"),
            ),
            (&["/bin/workload", "Run"], format!("workload: unknown verb \"Run\" {known}")),
            (
                &["workload", "exit-after", "2", "sec", "1"],
                "workload: exit-after takes DURATION CODE, got \"2\" \"sec\" \"1\"".into(),
            ),
            (&["workload", "exit-after"], "workload: exit-after takes DURATION CODE, got nothing".into()),
            (
                &["workload", "exit-after", "2s"],
                "workload: exit-after takes DURATION CODE, got \"2s\"".into(),
            ),
            (
                &["workload", "exit-after", "2s", "one"],
                "workload: exit-after: \"one\" is not an exit code (0 to 255)".into(),
            ),
            (
                &["workload", "exit-after", "2s", "256"],
                "workload: exit-after: \"256\" is not an exit code (0 to 255)".into(),
            ),
            (
                &["workload", "exit-after", "2s", "-1"],
                "workload: exit-after: \"-1\" is not an exit code (0 to 255)".into(),
            ),
            (
                &["workload", "exit-after", "2 sec", "1"],
                "workload: exit-after: \"2 sec\" is not a duration (like 500ms, 2s, 1m)".into(),
            ),
            (&["workload", "run", "now"], "workload: run takes no arguments, got \"now\"".into()),
            (
                &["workload", "run", "--now"],
                "workload: unknown option \"--now\" (known: --ready-after, --started-after, --unhealthy-after)"
                    .into(),
            ),
            (&["workload", "check", "ready"], format!("workload: check is an exec command (for an exec probe), not a container's command {known}")),
            (
                &["workload", "ignore-sigterm", "x"],
                "workload: ignore-sigterm takes no arguments, got \"x\"".into(),
            ),
        ];
        for (command, message) in cases {
            assert_eq!(&refusal(command), message, "{command:?}");
        }
        assert_eq!(
            Workload::parse(&words(&["workload", "exit-after", "2s", "255"]), &[]),
            Ok(Workload::ExitAfter { after: 2_000, code: 255 })
        );
    }

    #[test]
    fn errors_name_the_word_and_so_the_field_at_fault() {
        let err =
            |command: &[&str], args: &[&str]| Workload::parse(&words(command), &words(args)).unwrap_err();
        let e = err(&["workload"], &["exit-afterr", "2s", "1"]);
        assert_eq!((e.word, e.field(1, 3)), (1, "args"));
        let e = err(&["workload", "exit-after"], &["2s", "one"]);
        assert_eq!((e.word, e.field(2, 2)), (3, "args"));
        let e = err(&["workload", "exit-after", "soon"], &["1"]);
        assert_eq!((e.word, e.field(3, 1)), (2, "command"));
        let e = err(&["workload"], &[]);
        assert_eq!((e.word, e.field(1, 0)), (1, "command"), "a missing verb is blamed on the command");
    }

    #[test]
    fn a_pods_commands_are_checked_in_every_container_list() {
        use crate::pod::Container;
        let container = |name: &str, command: &[&str], args: &[&str]| {
            let mut c = Container::new(name, "podsim/workload:1");
            c.command = words(command);
            c.args = words(args);
            c
        };
        let mut pod = Pod::new("web", "uid-1", "node-1");
        pod.spec_mut().containers =
            vec![container("a", &["workload", "run"], &[]), container("b", &["nginx"], &["-g"])];
        assert_eq!(check_pod_commands(&pod), Ok(()));
        pod.spec_mut().init_containers = vec![container("init", &["workload"], &["exit-after", "1s", "x"])];
        let e = check_pod_commands(&pod).unwrap_err();
        assert_eq!(e.field, "spec.initContainers[0].args");
        pod.spec_mut().init_containers.clear();
        pod.spec_mut().containers.push(container("c", &["workload", "sleep"], &[]));
        let e = check_pod_commands(&pod).unwrap_err();
        assert_eq!(e.to_string(), format!("spec.containers[2].command: {}", e.error));
        pod.spec_mut().containers.pop();
        pod.spec_mut().containers[0].readiness_probe =
            Some(crate::pod::Probe::exec(&["workload", "check", "redy"]));
        let e = check_pod_commands(&pod).unwrap_err();
        assert_eq!(
            e.to_string(),
            "spec.containers[0].readinessProbe.exec.command: workload: \"redy\" is not a check (known: live, ready, started)"
        );
    }

    #[test]
    fn commands_round_trip() {
        for w in [Workload::Run, Workload::IgnoreSigterm, Workload::ExitAfter { after: 1500, code: 3 }] {
            assert_eq!(Workload::from_command(&w.to_command(), &[]), w);
        }
    }

    #[test]
    fn reads_durations() {
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("1h2m3s4ms"), Some(3_723_004));
        assert_eq!(parse_duration("2m5s"), Some(125_000));
        assert_eq!(parse_duration("30s1m"), None, "units from the largest down");
        assert_eq!(parse_duration("1m1m"), None);
        assert_eq!(parse_duration("1.5s"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("2s"), Some(2_000));
        assert_eq!(parse_duration("3"), Some(3_000));
        assert_eq!(parse_duration("1m"), Some(60_000));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
