//! Container logs on the simulated node behind `podsim serve-cri`: what a container's process
//! prints ([`crate::sim_process`]), written as it happens to the log file the caller asked for
//! (the sandbox's `log_directory` joined with the container's `log_path`, as containerd 1.6 does),
//! in the CRI log format the kubelet and crictl read: `TIMESTAMP STREAM F TEXT`, with an RFC 3339
//! timestamp in nanoseconds (k8s.io/cri-api `logs.go`, containerd `pkg/cri/io/logger.go`).

use std::io::Write;
use std::path::{Path, PathBuf};

use podsim_model::Millis;

use crate::sim_process::{Output, Stream};

/// The most lines one write appends (a loop that does not sleep prints a line a millisecond).
const MAX_LINES_PER_WRITE: usize = 10_000;
/// The CRI log format's tag of a full line.
const FULL_LINE_TAG: &str = "F";

/// One container's log: where it goes and what is written of it so far.
#[derive(Clone, Debug)]
pub struct ContainerLog {
    path: Option<PathBuf>,
    output: Output,
    /// How many lines of the output are written.
    written: u64,
}

impl ContainerLog {
    /// The log of a process printing `output`, to `path` (`None`: the caller asked for no log).
    pub fn new(path: Option<PathBuf>, output: Output) -> ContainerLog {
        ContainerLog { path, output, written: 0 }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Opens the file (creating it, and its folder, empty), as containerd's `openLogFile` does when
    /// the process starts and on `ReopenContainerLog` (the kubelet renamed the old one).
    pub fn open(&self) -> std::io::Result<()> {
        match &self.path {
            Some(path) => open_log_file(path).map(drop),
            None => Ok(()),
        }
    }

    /// Appends the lines printed in the first `ran_for` milliseconds of a process started at
    /// `started_unix_nanos` that are not written yet.
    pub fn write_due(&mut self, started_unix_nanos: i64, ran_for: Millis) -> std::io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let mut text = String::new();
        for _ in 0..MAX_LINES_PER_WRITE {
            let Some((at, line)) = self.output.line(self.written) else { break };
            if at > ran_for {
                break;
            }
            let nanos = started_unix_nanos
                .saturating_add(i64::try_from(at).unwrap_or(i64::MAX).saturating_mul(1_000_000));
            text.push_str(&cri_log_line(nanos, line.stream, &line.text));
            self.written += 1;
        }
        if text.is_empty() {
            return Ok(());
        }
        open_log_file(path)?.write_all(text.as_bytes())
    }
}

/// The log file for appending, made with its folder if missing.
fn open_log_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new().create(true).append(true).open(path)
}

/// One line in the CRI log format: `2016-10-06T00:17:09.669794202Z stdout F text\n`.
pub fn cri_log_line(unix_nanos: i64, stream: Stream, text: &str) -> String {
    format!("{} {} {FULL_LINE_TAG} {text}\n", rfc3339_nanos(unix_nanos), stream.name())
}

/// A Unix time in nanoseconds as RFC 3339 in UTC with nine digits of fraction (Go's
/// `time.RFC3339Nano` as the CRI logs use it, but with every digit kept).
pub fn rfc3339_nanos(unix_nanos: i64) -> String {
    let seconds = unix_nanos.div_euclid(1_000_000_000);
    let nanos = unix_nanos.rem_euclid(1_000_000_000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim_process::Line;

    #[test]
    fn timestamps_are_rfc3339_with_nanoseconds_in_utc() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339_nanos(1_475_712_929_669_794_202), "2016-10-06T00:15:29.669794202Z");
        assert_eq!(rfc3339_nanos(951_782_400_000_000_001), "2000-02-29T00:00:00.000000001Z");
        assert_eq!(rfc3339_nanos(1_796_012_095_810_223_186), "2026-11-30T04:14:55.810223186Z");
    }

    #[test]
    fn a_line_is_in_the_cri_log_format() {
        assert_eq!(cri_log_line(0, Stream::Stderr, "boom"), "1970-01-01T00:00:00.000000000Z stderr F boom\n");
    }

    #[test]
    fn due_lines_are_written_once_each_in_order() {
        let dir = std::env::temp_dir().join(format!("podsim-sim-logs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.log");
        let round = vec![Line { at: 0, stream: Stream::Stdout, text: "tick".into() }];
        let output = Output { prefix: Vec::new(), looped: Some((0, 1_000, round)) };
        let mut log = ContainerLog::new(Some(path.clone()), output);
        log.open().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "opened empty");
        log.write_due(0, 1_500).unwrap();
        log.write_due(0, 1_500).unwrap();
        log.write_due(0, 2_000).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let times: Vec<&str> = text.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(
            times,
            [
                "1970-01-01T00:00:00.000000000Z",
                "1970-01-01T00:00:01.000000000Z",
                "1970-01-01T00:00:02.000000000Z"
            ]
        );
        assert!(text.lines().all(|l| l.ends_with(" stdout F tick")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
