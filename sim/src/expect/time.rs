//! When an expectation holds, and how many times something happens: instants (`25s`, `end`),
//! windows (`1m..3m`, `30s..end`) and counts (`3`, `2..5`, `2..`).

use serde::{Deserialize, Serialize};

use podsim_model::workload::parse_duration;
use podsim_model::Millis;

use crate::scenario::duration;

/// A moment of the run: a virtual time, or its end (the scenario's `duration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "TimeText", into = "String")]
pub enum Instant {
    /// This long after the start.
    At(Millis),
    /// The end of the run (before any liveness extension).
    End,
}

impl Instant {
    /// The time it stands for in a run that ends at `end`.
    pub fn resolve(self, end: Millis) -> Millis {
        match self {
            Instant::At(t) => t.min(end),
            Instant::End => end,
        }
    }

    fn parse(text: &str) -> Result<Instant, String> {
        let text = text.trim();
        if text == "end" {
            return Ok(Instant::End);
        }
        parse_duration(text)
            .map(Instant::At)
            .ok_or_else(|| format!("{text:?} is not a time (like 500ms, 30s, 10m, or end)"))
    }
}

impl std::fmt::Display for Instant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Instant::At(t) => f.write_str(&duration::format(*t)),
            Instant::End => f.write_str("end"),
        }
    }
}

impl From<Instant> for String {
    fn from(i: Instant) -> String {
        i.to_string()
    }
}

/// A time as written: a number of seconds or a text.
#[derive(Deserialize)]
#[serde(untagged)]
enum TimeText {
    Seconds(u64),
    Text(String),
}

impl TryFrom<TimeText> for Instant {
    type Error = String;

    fn try_from(t: TimeText) -> Result<Instant, String> {
        match t {
            TimeText::Seconds(s) => Ok(Instant::At(s.saturating_mul(1_000))),
            TimeText::Text(text) => Instant::parse(&text),
        }
    }
}

/// An interval of the run, both ends included: `1m..3m`, `30s..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Window {
    /// Its first instant.
    pub from: Instant,
    /// Its last instant.
    pub to: Instant,
}

impl Window {
    /// The whole run.
    pub const ALL: Window = Window { from: Instant::At(0), to: Instant::End };

    /// Whether `t` is in it, in a run that ends at `end`.
    pub fn contains(&self, t: Millis, end: Millis) -> bool {
        self.from.resolve(end) <= t && t <= self.to.resolve(end)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

impl From<Window> for String {
    fn from(w: Window) -> String {
        w.to_string()
    }
}

impl TryFrom<String> for Window {
    type Error = String;

    fn try_from(text: String) -> Result<Window, String> {
        let (a, b) = text
            .split_once("..")
            .ok_or_else(|| format!("{text:?} is not an interval (like 1m..3m or 30s..end)"))?;
        let window = Window { from: Instant::parse(a)?, to: Instant::parse(b)? };
        if window.from > window.to {
            return Err(format!("the interval {text:?} is empty"));
        }
        Ok(window)
    }
}

/// An inclusive range of counts, written `3`, `2..5`, or `2..` (at least 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RangeText", into = "String")]
pub struct CountRange {
    /// The least.
    pub min: u32,
    /// The most (`u32::MAX`: no limit).
    pub max: u32,
}

impl CountRange {
    /// Exactly `n`.
    pub fn exactly(n: u32) -> CountRange {
        CountRange { min: n, max: n }
    }

    /// Whether `n` is in the range.
    pub fn contains(&self, n: u32) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

impl std::fmt::Display for CountRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else if self.max == u32::MAX {
            write!(f, "{}..", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

impl From<CountRange> for String {
    fn from(r: CountRange) -> String {
        r.to_string()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RangeText {
    Number(u32),
    Text(String),
}

impl TryFrom<RangeText> for CountRange {
    type Error = String;

    fn try_from(t: RangeText) -> Result<CountRange, String> {
        match t {
            RangeText::Number(n) => Ok(CountRange::exactly(n)),
            RangeText::Text(text) => {
                let bad = || format!("{text:?} is not a count or a range like 2..5 or 2..");
                let Some((lo, hi)) = text.split_once("..") else {
                    return text.trim().parse().map(CountRange::exactly).map_err(|_| bad());
                };
                let min = lo.trim().parse().map_err(|_| bad())?;
                let max =
                    if hi.trim().is_empty() { u32::MAX } else { hi.trim().parse().map_err(|_| bad())? };
                if min > max {
                    return Err(format!("the range {text:?} is empty"));
                }
                Ok(CountRange { min, max })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_windows_and_counts_read_and_write_back() {
        let w = Window::try_from("1m..end".to_string()).unwrap();
        assert_eq!(w, Window { from: Instant::At(60_000), to: Instant::End });
        assert_eq!(w.to_string(), "1m..end");
        assert!(w.contains(60_000, 90_000) && w.contains(90_000, 90_000) && !w.contains(59_999, 90_000));
        assert!(Window::try_from("3m..1m".to_string()).unwrap_err().contains("empty"));
        assert!(Window::try_from("1m".to_string()).unwrap_err().contains("not an interval"));
        assert!(Window::try_from("1m..soon".to_string()).unwrap_err().contains("not a time"));
        let r: CountRange = serde_json::from_str("\"2..\"").unwrap();
        assert!(r.contains(2) && r.contains(1_000) && !r.contains(1));
        assert_eq!(r.to_string(), "2..");
        let r: CountRange = serde_json::from_str("\"2..5\"").unwrap();
        assert!(r.contains(5) && !r.contains(6));
        assert!(serde_json::from_str::<CountRange>("\"five\"").is_err());
        assert_eq!(Instant::At(90_000).resolve(60_000), 60_000);
    }
}
