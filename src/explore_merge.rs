//! `podsim explore merge FILE...`: joins the `--json` results of the shards of one exploration
//! (`podsim explore --shard I/N --json`, src/shard.rs) into one summary, the same as the unsharded
//! exploration's (`runs`, `failures` in (scenario, seed) order with their replay commands,
//! `virtual_millis`, `events`; `wall_millis` is the shards' wall times added up), plus `shards`:
//! which shards were merged, which are missing, and the exploration.
//!
//! Refused (exit 2), naming the file: a file that is not a shard's result, shards of different
//! explorations or shard counts, the same shard twice, a shard whose runs or failures do not fit
//! its slice, and (unless `--allow-missing`) a set of shards that is not complete.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use podsim_sim::input::{parse_document, read_source, InputError};

use crate::run::{ExploreSummary, Failure};
use crate::shard::{Exploration, Shard, ShardResult, ShardTag};

/// The most result files one merge reads.
pub const MAX_FILES: usize = 100_000;

/// `podsim explore merge`'s arguments.
#[derive(clap::Args, Clone, Debug)]
pub struct MergeArgs {
    /// The shards' results (`explore --shard I/N --json`), or directories whose *.json files are
    #[arg(value_name = "FILE|DIR", required = true)]
    pub paths: Vec<PathBuf>,
    /// Print the merged summary as JSON
    #[arg(long)]
    pub json: bool,
    /// Merge an incomplete set of shards, listing the missing ones, instead of refusing it
    #[arg(long)]
    pub allow_missing: bool,
}

/// Which shards a merged summary joins.
#[derive(Serialize, Debug, PartialEq)]
pub struct Shards {
    /// How many shards the exploration was split into.
    pub count: u64,
    /// The shards merged, in order.
    pub merged: Vec<u64>,
    /// The shards missing (only with `--allow-missing`).
    pub missing: Vec<u64>,
    /// The exploration the shards are slices of.
    pub exploration: Exploration,
}

/// The merged summary: the unsharded summary's fields, plus `shards`.
#[derive(Serialize)]
pub struct Merged {
    #[serde(flatten)]
    pub summary: ExploreSummary,
    pub shards: Shards,
}

/// One shard's result, read from its file.
struct ShardFile {
    file: String,
    tag: ShardTag,
    summary: ExploreSummary,
}

/// Reads, checks and merges the shards, and prints the result. `Ok(false)` when a merged run failed.
pub fn run(args: &MergeArgs) -> Result<bool, InputError> {
    let files = expand(&args.paths)?;
    let shards = files.iter().map(|f| read_shard(f)).collect::<Result<Vec<_>, _>>()?;
    let merged = merge(shards, args.allow_missing)?;
    let written = if args.json { print_json(&merged) } else { print_human(&merged) };
    written.map_err(|e| InputError::whole_file("<stdout>", format!("cannot write: {e}")))?;
    Ok(merged.summary.failures.is_empty())
}

/// Files as given, and every `*.json` of a directory (sorted).
fn expand(paths: &[PathBuf]) -> Result<Vec<String>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        let name = path.to_string_lossy().into_owned();
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| InputError::whole_file(&name, format!("cannot read directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(InputError::whole_file(&name, "no shard results (*.json) in this directory"));
            }
            files.extend(found.iter().map(|f| f.to_string_lossy().into_owned()));
        } else {
            files.push(name.clone());
        }
        if files.len() > MAX_FILES {
            return Err(InputError::whole_file(&name, format!("more than {MAX_FILES} files to merge")));
        }
    }
    Ok(files)
}

fn read_shard(file: &str) -> Result<ShardFile, InputError> {
    let text = read_source(file)?;
    let result: ShardResult = parse_document(file, &text)?;
    let tag = result.shard.ok_or_else(|| {
        InputError::whole_file(
            file,
            "not the result of a shard: it has no `shard` field (make it with `podsim explore --shard I/N --json`)",
        )
    })?;
    let shard = ShardFile { file: file.to_string(), tag, summary: result.summary };
    check_fits(&shard)?;
    Ok(shard)
}

/// A shard's runs and failures are those of its slice of the exploration.
fn check_fits(shard: &ShardFile) -> Result<(), InputError> {
    let ShardTag { shard: slice, exploration } = &shard.tag;
    let bad = |message: String| InputError::whole_file(&shard.file, message);
    Shard::parse(&format!("{}/{}", slice.index, slice.count)).map_err(|e| bad(format!("shard: {e}")))?;
    let expected = slice.len(exploration.pairs);
    if shard.summary.runs != expected {
        return Err(bad(format!(
            "{} runs, but shard {}/{} of {} pairs has {expected}",
            shard.summary.runs, slice.index, slice.count, exploration.pairs
        )));
    }
    for failure in &shard.summary.failures {
        let pair = pair_of(exploration, failure).ok_or_else(|| {
            bad(format!("failure {} seed {}: not a run of this exploration", failure.scenario, failure.seed))
        })?;
        if !slice.holds(pair) {
            return Err(bad(format!(
                "failure {} seed {}: a run of shard {}, not of shard {}/{}",
                failure.scenario,
                failure.seed,
                pair % slice.count,
                slice.index,
                slice.count
            )));
        }
    }
    Ok(())
}

/// The pair number of a failed run, if the run is one of the exploration's.
fn pair_of(exploration: &Exploration, failure: &Failure) -> Option<u64> {
    if !exploration.seeds.contains(&failure.seed) {
        return None;
    }
    let scenario = if exploration.generate {
        0
    } else {
        exploration.scenarios.iter().position(|s| *s == failure.scenario)?
    };
    Some(exploration.pair_of(scenario, failure.seed))
}

/// Joins shards of one exploration; refuses mixed explorations, a shard twice, and missing shards
/// unless `allow_missing`.
fn merge(shards: Vec<ShardFile>, allow_missing: bool) -> Result<Merged, InputError> {
    let first = shards.first().ok_or_else(|| InputError::whole_file("merge", "no shard results given"))?;
    let (count, exploration) = (first.tag.shard.count, first.tag.exploration.clone());
    let mut by_index: Vec<Option<&str>> = vec![None; count as usize];
    for shard in &shards {
        check_same_exploration(first, shard)?;
        let seen = &mut by_index[shard.tag.shard.index as usize];
        if let Some(other) = seen {
            return Err(InputError::whole_file(
                &shard.file,
                format!("shard {}/{count} is also in {other}: the shards overlap", shard.tag.shard.index),
            ));
        }
        *seen = Some(&shard.file);
    }
    let missing: Vec<u64> = (0..count).filter(|i| by_index[*i as usize].is_none()).collect();
    if !missing.is_empty() && !allow_missing {
        let names: Vec<String> = missing.iter().map(|i| format!("{i}/{count}")).collect();
        return Err(InputError::whole_file(
            &first.file,
            format!(
                "the shards are incomplete: {} missing ({}); merge their results too, or pass --allow-missing",
                missing.len(),
                names.join(", ")
            ),
        ));
    }
    let mut merged: Vec<u64> = shards.iter().map(|s| s.tag.shard.index).collect();
    merged.sort_unstable();
    let summary = join(shards, &exploration);
    Ok(Merged { summary, shards: Shards { count, merged, missing, exploration } })
}

/// Shards of one exploration agree on how many shards there are and on what is explored.
fn check_same_exploration(first: &ShardFile, shard: &ShardFile) -> Result<(), InputError> {
    let (a, b) = (&first.tag, &shard.tag);
    let differs = if a.shard.count != b.shard.count {
        Some(format!("shard count ({} here, {} there)", b.shard.count, a.shard.count))
    } else if a.exploration.scenarios != b.exploration.scenarios
        || a.exploration.generate != b.exploration.generate
    {
        Some("scenarios".to_string())
    } else if a.exploration.seeds != b.exploration.seeds {
        Some(format!("seeds ({:?} here, {:?} there)", b.exploration.seeds, a.exploration.seeds))
    } else if a.exploration != b.exploration {
        Some("feature gates".to_string())
    } else {
        None
    };
    match differs {
        None => Ok(()),
        Some(what) => Err(InputError::whole_file(
            &shard.file,
            format!("a shard of another exploration than {}: its {what} differ", first.file),
        )),
    }
}

/// The shards' summaries added up, failures in (scenario, seed) order as an unsharded run gives them.
fn join(shards: Vec<ShardFile>, exploration: &Exploration) -> ExploreSummary {
    let mut total =
        ExploreSummary { runs: 0, failures: Vec::new(), virtual_millis: 0, wall_millis: 0, events: 0 };
    for shard in shards {
        let s = shard.summary;
        total.runs += s.runs;
        total.virtual_millis += s.virtual_millis;
        total.wall_millis += s.wall_millis;
        total.events += s.events;
        total.failures.extend(s.failures);
    }
    // Every failure's pair was checked to exist when its shard was read.
    total.failures.sort_by_key(|f| pair_of(exploration, f));
    total
}

fn print_json(merged: &Merged) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, merged).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

fn print_human(merged: &Merged) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let s = &merged.shards;
    let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    write!(out, "merged {} of {} shards ({})", s.merged.len(), s.count, list(&s.merged))?;
    if s.missing.is_empty() {
        writeln!(out)?;
    } else {
        writeln!(out, "; missing: {}", list(&s.missing))?;
    }
    crate::run::print_explore(&mut out, &merged.summary)
}
