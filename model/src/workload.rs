//! What a container does, read from its command: the vocabulary that the simulator and podsim's own
//! static `workload` binary both understand, so that a scenario means the same in both worlds.
//!
//! ```text
//! workload run                         run until stopped (SIGTERM ends it)
//! workload exit-after DURATION CODE    exit with CODE after DURATION (e.g. 2s, 500ms, 1m)
//! workload ignore-sigterm              run until SIGKILL (exercises the grace period)
//! ```
//! Any other command (or an image podsim did not build) runs until stopped.

use serde::{Deserialize, Serialize};

use crate::runtime::Millis;

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

impl Workload {
    /// Reads a container's command (and args, appended) as the workload binary does.
    pub fn from_command(command: &[String], args: &[String]) -> Workload {
        let words: Vec<&str> = command.iter().chain(args).map(String::as_str).collect();
        // The program, by name or by any path to it (`workload`, `/bin/workload`).
        let words = match words.first() {
            Some(program) if program.rsplit('/').next() == Some("workload") => &words[1..],
            _ => return Workload::Run,
        };
        match words {
            ["exit-after", duration, code] => match (parse_duration(duration), code.parse::<i32>()) {
                (Some(after), Ok(code)) => Workload::ExitAfter { after, code },
                _ => Workload::Run,
            },
            ["ignore-sigterm"] => Workload::IgnoreSigterm,
            _ => Workload::Run,
        }
    }

    /// The command that means this workload (the inverse of [`Workload::from_command`]).
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

/// Reads `500ms`, `2s`, `1m`, `1h` (or a bare number of seconds) into milliseconds.
pub fn parse_duration(text: &str) -> Option<Millis> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: Millis = number.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(factor)
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
            Workload::from_command(&words(&["workload", "exit-after", "soon", "1"]), &[]),
            Workload::Run
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
        assert_eq!(parse_duration("2s"), Some(2_000));
        assert_eq!(parse_duration("3"), Some(3_000));
        assert_eq!(parse_duration("1m"), Some(60_000));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
