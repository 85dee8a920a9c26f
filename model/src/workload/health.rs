//! A workload's health: how a container answers the probe checks (`workload check ready|live|started`)
//! over its life, from the health options of its command (`--ready-after`, `--started-after`,
//! `--unhealthy-after`). The simulator's containerd answers a check from the container's start time;
//! the `workload` binary answers it inside the container from what its main process wrote at start.
//! Both read the same [`Health`] with [`Health::passes`], so a check means the same in both worlds.

use serde::{Deserialize, Serialize};

use super::{parse_duration, WorkloadError, WorkloadErrorKind};
use crate::runtime::Millis;

/// The checks, as the errors list them.
pub const KNOWN_CHECKS: &str = "live, ready, started";

/// One probe check a workload answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// `check live`: passes until `--unhealthy-after`.
    Live,
    /// `check ready`: passes from `--ready-after` on.
    Ready,
    /// `check started`: passes from `--started-after` on.
    Started,
}

impl Check {
    /// Every check, in order.
    pub const ALL: [Check; 3] = [Check::Live, Check::Ready, Check::Started];

    /// Its word (`live`).
    pub fn word(self) -> &'static str {
        match self {
            Check::Live => "live",
            Check::Ready => "ready",
            Check::Started => "started",
        }
    }

    /// The check of a word.
    pub fn of_word(word: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.word() == word)
    }
}

/// When a workload passes its checks, from the start of its main process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Health {
    /// `--ready-after`: `check ready` fails before this.
    pub ready_after: Option<Millis>,
    /// `--started-after`: `check started` fails before this.
    pub started_after: Option<Millis>,
    /// `--unhealthy-after`: `check live` fails from this on.
    pub unhealthy_after: Option<Millis>,
}

impl Health {
    /// Whether `check` passes `elapsed` ms after the main process started.
    pub fn passes(self, check: Check, elapsed: Millis) -> bool {
        match check {
            Check::Live => self.unhealthy_after.is_none_or(|at| elapsed < at),
            Check::Ready => elapsed >= self.ready_after.unwrap_or(0),
            Check::Started => elapsed >= self.started_after.unwrap_or(0),
        }
    }

    /// The options that give this health (the inverse of [`parse_options`]).
    pub fn to_options(self) -> Vec<String> {
        let mut words = Vec::new();
        for (option, value) in self.options() {
            if let Some(ms) = value {
                words.push(option.to_string());
                words.push(format!("{ms}ms"));
            }
        }
        words
    }

    /// Whether every check always passes (no option given).
    pub fn is_default(self) -> bool {
        self == Health::default()
    }

    fn options(self) -> [(&'static str, Option<Millis>); 3] {
        [
            ("--ready-after", self.ready_after),
            ("--started-after", self.started_after),
            ("--unhealthy-after", self.unhealthy_after),
        ]
    }

    fn slot(&mut self, option: &str) -> Option<&mut Option<Millis>> {
        match option {
            "--ready-after" => Some(&mut self.ready_after),
            "--started-after" => Some(&mut self.started_after),
            "--unhealthy-after" => Some(&mut self.unhealthy_after),
            _ => None,
        }
    }
}

/// Reads health options (`--ready-after 5s --unhealthy-after 30s`); `first_word` is the index of
/// `options[0]` in the command, for the errors.
pub(crate) fn parse_options(options: &[&str], first_word: usize) -> Result<Health, WorkloadError> {
    let mut health = Health::default();
    let mut i = 0;
    while i < options.len() {
        let option = options[i];
        let word = first_word + i;
        let error = |kind| WorkloadError { word, kind };
        let Some(slot) = health.slot(option) else {
            return Err(error(WorkloadErrorKind::UnknownOption(option.to_string())));
        };
        if slot.is_some() {
            return Err(error(WorkloadErrorKind::RepeatedOption(option.to_string())));
        }
        let value = options.get(i + 1).copied();
        let Some(ms) = value.and_then(parse_duration) else {
            let given = value.map(str::to_string);
            let word = if value.is_some() { word + 1 } else { word };
            let kind = WorkloadErrorKind::BadOptionValue { option: option.to_string(), given };
            return Err(WorkloadError { word, kind });
        };
        *slot = Some(ms);
        i += 2;
    }
    Ok(health)
}

/// Reads `live,ready` into checks (each once, in the order given).
pub(crate) fn parse_checks(text: &str, word: usize) -> Result<Vec<Check>, WorkloadError> {
    let mut checks = Vec::new();
    for part in text.split(',') {
        let check = Check::of_word(part)
            .ok_or_else(|| WorkloadError { word, kind: WorkloadErrorKind::UnknownCheck(part.to_string()) })?;
        if !checks.contains(&check) {
            checks.push(check);
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_pass_over_time_as_the_options_say() {
        let h =
            Health { ready_after: Some(5_000), started_after: Some(2_000), unhealthy_after: Some(30_000) };
        assert!(!h.passes(Check::Ready, 4_999));
        assert!(h.passes(Check::Ready, 5_000));
        assert!(!h.passes(Check::Started, 1_999));
        assert!(h.passes(Check::Started, 2_000));
        assert!(h.passes(Check::Live, 29_999));
        assert!(!h.passes(Check::Live, 30_000));
        for check in Check::ALL {
            assert!(Health::default().passes(check, 0), "{check:?}");
        }
    }

    #[test]
    fn options_round_trip_and_refuse_bad_words() {
        let h = parse_options(&["--unhealthy-after", "30s", "--ready-after", "500ms"], 2).unwrap();
        assert_eq!(h, Health { ready_after: Some(500), started_after: None, unhealthy_after: Some(30_000) });
        let words = h.to_options();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(parse_options(&words, 2).unwrap(), h);
        let e = parse_options(&["--ready-after"], 2).unwrap_err();
        assert_eq!(
            (e.word, e.to_string()),
            (2, "workload: --ready-after takes DURATION, got nothing".into())
        );
        let e = parse_options(&["--ready-after", "soon"], 2).unwrap_err();
        assert_eq!(e.word, 3);
        assert_eq!(e.to_string(), "workload: --ready-after: \"soon\" is not a duration (like 500ms, 2s, 1m)");
        let e = parse_options(&["--healthy"], 4).unwrap_err();
        assert_eq!(
            (e.word, e.to_string()),
            (
                4,
                "workload: unknown option \"--healthy\" (known: --ready-after, --started-after, --unhealthy-after)"
                    .into()
            )
        );
        let e = parse_options(&["--ready-after", "1s", "--ready-after", "2s"], 2).unwrap_err();
        assert_eq!(e.to_string(), "workload: --ready-after given twice");
    }

    #[test]
    fn checks_read_from_a_list() {
        assert_eq!(parse_checks("live,ready,live", 2).unwrap(), vec![Check::Live, Check::Ready]);
        let e = parse_checks("live,healthy", 2).unwrap_err();
        assert_eq!(e.to_string(), "workload: \"healthy\" is not a check (known: live, ready, started)");
    }
}
