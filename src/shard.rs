//! `podsim explore --shard I/N`: a deterministic slice of an exploration's (scenario, seed) pairs, so
//! that N machines (a Kubernetes Indexed Job, say) each run one slice and `podsim explore merge`
//! joins their results.
//!
//! The rule: the pairs are numbered in the order an unsharded `explore` runs them, scenario by
//! scenario (files in the order given, a directory's files sorted by name) and within a scenario
//! seed by seed (`--generate`: seed by seed); pair number `p` belongs to shard `p mod N`. Round robin
//! rather than blocks, so each shard gets its share of every scenario, slow and quick alike.

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::run::ExploreSummary;

/// The most shards an exploration may be split into.
pub const MAX_SHARDS: u64 = 100_000;

/// One slice of an exploration: shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards the exploration is split into.
    pub count: u64,
}

impl Shard {
    /// The whole exploration, unsharded.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (0 ≤ I < N ≤ [`MAX_SHARDS`]).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?} is not a shard like 0/4 (shard I of N, counted from 0)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(format!("{text:?}: the number of shards must be at least 1"));
        }
        if count > MAX_SHARDS {
            return Err(format!("{text:?}: at most {MAX_SHARDS} shards"));
        }
        if index >= count {
            return Err(format!("{text:?}: shards are counted from 0, so shard {index} of {count} does not exist (the last is {})", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// Whether pair number `pair` of the exploration is this shard's.
    pub fn holds(&self, pair: u64) -> bool {
        pair % self.count == self.index
    }

    /// How many of `pairs` pairs (numbered `0..pairs`) are this shard's.
    pub fn len(&self, pairs: u64) -> u64 {
        pairs / self.count + u64::from(pairs % self.count > self.index)
    }

    /// The pair number of this shard's `k`-th run (`k < self.len(pairs)`).
    pub fn pair(&self, k: u64) -> u64 {
        self.index + k * self.count
    }
}

/// What an exploration runs, as a shard's result states it: shards of one exploration agree on all
/// of it, which `merge` checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// The scenario files, in the order the pairs are numbered (empty with `--generate`).
    pub scenarios: Vec<String>,
    /// One generated world a seed (`--generate`) instead of scenario files.
    pub generate: bool,
    /// The seeds (`start` included, `end` excluded).
    pub seeds: Range<u64>,
    /// `--feature-gates`, if given.
    pub feature_gates: Option<String>,
    /// `--kubelet-bug`s, by name (shards explored with other bugs are not one exploration).
    #[serde(default)]
    pub kubelet_bugs: Vec<String>,
    /// How many (scenario, seed) pairs the whole exploration has.
    pub pairs: u64,
}

impl Exploration {
    /// The pair number of a run of the `scenario`-th scenario with `seed`.
    pub fn pair_of(&self, scenario: usize, seed: u64) -> u64 {
        let per_scenario = self.seeds.end - self.seeds.start;
        scenario as u64 * per_scenario + (seed - self.seeds.start)
    }
}

/// Which shard a result is, and of what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardTag {
    /// Shard `index` of `count`.
    #[serde(flatten)]
    pub shard: Shard,
    /// The exploration it is a slice of.
    pub exploration: Exploration,
}

/// A shard's result: the summary `explore --json` prints, plus `shard`.
#[derive(Serialize, Deserialize)]
pub struct ShardResult {
    /// The summary of the shard's runs, in the same fields as an unsharded run's.
    #[serde(flatten)]
    pub summary: ExploreSummary,
    /// Which shard this is (absent from an unsharded run's result).
    pub shard: Option<ShardTag>,
}

/// `explore`'s options for sharding and for where its result goes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ShardArgs {
    /// Run only shard I of N (counted from 0): the (scenario, seed) pairs, numbered scenario by
    /// scenario and seed by seed, whose number mod N is I. `podsim explore merge` joins the shards'
    /// --json results
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Write the summary as JSON to this file (as --json prints it) instead of printing it
    #[arg(long, value_name = "FILE.json")]
    pub json_file: Option<PathBuf>,
}

impl ShardArgs {
    /// The shard to run (the whole exploration when none is given).
    pub fn shard(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }
}

/// Where and how an exploration's summary is written.
pub struct Output<'a> {
    /// `--json`.
    pub json: bool,
    /// `--shard` and `--json-file`.
    pub args: &'a ShardArgs,
}

impl Output<'_> {
    /// Whether the summary goes out as JSON (to stdout or to the file).
    pub fn is_json(&self) -> bool {
        self.json || self.args.json_file.is_some()
    }

    /// Writes the summary: as JSON (with the shard's tag when sharded) to `--json-file` or stdout, or
    /// as the human summary.
    pub fn write(&self, summary: ExploreSummary, exploration: Exploration) -> std::io::Result<()> {
        if !self.is_json() {
            let mut out = std::io::stdout().lock();
            if let Some(shard) = self.args.shard {
                writeln!(
                    out,
                    "shard {}/{}: {} of the exploration's {} runs",
                    shard.index,
                    shard.count,
                    shard.len(exploration.pairs),
                    exploration.pairs
                )?;
            }
            return crate::run::print_explore(&mut out, &summary);
        }
        let shard = self.args.shard.map(|shard| ShardTag { shard, exploration });
        let mut text = match shard {
            None => serde_json::to_string(&summary),
            Some(tag) => serde_json::to_string(&ShardResult { summary, shard: Some(tag) }),
        }
        .map_err(std::io::Error::from)?;
        text.push('\n');
        match &self.args.json_file {
            Some(file) => std::fs::write(file, text)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", file.display()))),
            None => std::io::stdout().lock().write_all(text.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_not_a_shard() {
        assert_eq!(Shard::parse("0/1"), Ok(Shard::WHOLE));
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        let refusals = [
            ("3/3", "shard 3 of 3 does not exist (the last is 2)"),
            ("0/0", "at least 1"),
            ("1", "is not a shard like 0/4"),
            ("a/3", "is not a shard like 0/4"),
            ("-1/3", "is not a shard like 0/4"),
            ("1/3/4", "is not a shard like 0/4"),
            ("0/100001", "at most 100000 shards"),
        ];
        for (text, message) in refusals {
            let e = Shard::parse(text).expect_err(text);
            assert!(e.contains(message), "{text}: {e}");
        }
    }

    /// Every pair is in exactly one shard, and each shard's runs are its pairs in order.
    #[test]
    fn the_shards_partition_the_pairs() {
        for pairs in [0u64, 1, 5, 12, 13] {
            for count in 1..=6u64 {
                let mut owners = vec![0u32; pairs as usize];
                for index in 0..count {
                    let shard = Shard { index, count };
                    let mine: Vec<u64> = (0..shard.len(pairs)).map(|k| shard.pair(k)).collect();
                    let expected: Vec<u64> = (0..pairs).filter(|p| shard.holds(*p)).collect();
                    assert_eq!(mine, expected, "{index}/{count} of {pairs}");
                    for p in mine {
                        owners[p as usize] += 1;
                    }
                }
                assert!(owners.iter().all(|n| *n == 1), "{count} shards of {pairs}: {owners:?}");
            }
        }
    }
}
