//! `podsim explore --shard I/N` and `podsim explore merge`: the shards of an exploration, merged,
//! give what the unsharded exploration gives (timings aside), and bad shards or shard sets are
//! refused with exit code 2 and a message naming the file.
//!
//! `tests/fixtures/explore-shard/crash-breaks-some-seeds.yaml` is made to fail at some seeds only
//! (those whose random faults include a container crash), so the merge has failures to order.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const FAILING_AT_SOME_SEEDS: &str = "tests/fixtures/explore-shard/crash-breaks-some-seeds.yaml";

/// A few scenarios of the library and the fixture: 4 x 12 = 48 (scenario, seed) pairs.
fn library_args() -> Vec<&'static str> {
    vec![
        "explore",
        "scenarios/pod-runs.yaml",
        FAILING_AT_SOME_SEEDS,
        "scenarios/crash-loop-backoff.yaml",
        "scenarios/partition-then-delete.yaml",
        "--seeds",
        "0..12",
    ]
}

/// Runs podsim with `args`: exit code, stdout, stderr.
fn podsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("podsim")
        .expect("the podsim binary is built")
        .args(args)
        .output()
        .expect("podsim runs");
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// A fresh, empty directory of this test's own under cargo's scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explore_shard").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory is made");
    dir
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("not one JSON value ({e}): {json}"))
}

/// The summary without what may differ between equal explorations: the wall times (the whole
/// exploration's, and each failure's `found_after_millis` where a failure has one), and the `shards`
/// a merge adds.
fn comparable(mut v: Value) -> Value {
    let object = v.as_object_mut().expect("an object");
    object.remove("wall_millis").expect("a wall_millis field");
    object.remove("shards");
    for failure in object["failures"].as_array_mut().expect("failures") {
        failure.as_object_mut().expect("a failure").remove("found_after_millis");
    }
    v
}

/// Runs each of `count` shards of `args` into `dir/shard-I.json`; each exits as its failures say.
fn run_shards(args: &[&str], count: u64, jobs: &str, dir: &Path) -> Vec<String> {
    (0..count)
        .map(|i| {
            let file = dir.join(format!("shard-{i}.json")).to_string_lossy().into_owned();
            let shard = format!("{i}/{count}");
            let all = [args, &["--shard", &shard, "--jobs", jobs, "--json-file", &file]].concat();
            let (code, out, err) = podsim(&all);
            assert!(code == 0 || code == 1, "shard {shard}: exit {code}: {out}{err}");
            assert_eq!(out, "", "with --json-file nothing goes to stdout");
            let result = parse(&std::fs::read_to_string(&file).expect("the shard's file is written"));
            assert_eq!(code == 1, !result["failures"].as_array().unwrap().is_empty(), "shard {shard}: {err}");
            assert_eq!(result["shard"]["index"], i);
            assert_eq!(result["shard"]["count"], count);
            file
        })
        .collect()
}

#[test]
fn three_shards_merged_give_the_unsharded_exploration() {
    let dir = scratch("library");
    let (code, whole, err) = podsim(&[&library_args()[..], &["--json", "--jobs", "2"]].concat());
    assert_eq!(code, 1, "the fixture fails at some seeds: {whole}{err}");
    let whole = parse(&whole);
    let failed: Vec<(String, u64)> = whole["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["scenario"].as_str().unwrap().to_string(), f["seed"].as_u64().unwrap()))
        .collect();
    assert!(!failed.is_empty() && failed.len() < 12, "some seeds of the fixture fail, not all: {failed:?}");
    assert!(failed.iter().all(|(s, _)| s == FAILING_AT_SOME_SEEDS), "only the fixture fails: {failed:?}");

    // Shards on one thread each, merged from their files and from their directory.
    let files = run_shards(&library_args(), 3, "1", &dir);
    let mut merge_args = vec!["explore", "merge", "--json"];
    merge_args.extend(files.iter().rev().map(String::as_str));
    let (code, merged, err) = podsim(&merge_args);
    assert_eq!(code, 1, "a merged run failed: {err}");
    let merged = parse(&merged);
    assert_eq!(comparable(merged.clone()), comparable(whole.clone()));
    assert_eq!(merged["shards"]["merged"], serde_json::json!([0, 1, 2]));
    assert_eq!(merged["shards"]["missing"], serde_json::json!([]));
    assert_eq!(merged["shards"]["exploration"]["pairs"], 48);
    let dir_name = dir.to_string_lossy().into_owned();
    let (_, from_dir, _) = podsim(&["explore", "merge", "--json", &dir_name]);
    assert_eq!(parse(&from_dir), merged, "a directory merges as its files do");

    // Every failure keeps its replay command, and the human summary prints each.
    let (code, human, _) = podsim(&["explore", "merge", &dir_name]);
    assert_eq!(code, 1);
    assert!(human.starts_with("merged 3 of 3 shards (0, 1, 2)\n48 runs, "), "{human}");
    for f in whole["failures"].as_array().unwrap() {
        let replay = f["replay"].as_str().unwrap();
        assert_eq!(
            replay,
            format!("podsim run {FAILING_AT_SOME_SEEDS} --seed {} --random-faults", f["seed"])
        );
        assert!(human.contains(&format!("  replay: {replay}\n")), "{human}");
    }
}

#[test]
fn generated_worlds_shard_and_merge_like_the_whole() {
    let dir = scratch("generated");
    let out = dir.join("worlds").to_string_lossy().into_owned();
    let args = ["explore", "--generate", "--seeds", "0..8", "--out", &out];
    let (code, whole, err) = podsim(&[&args[..], &["--json"]].concat());
    assert!(code == 0 || code == 1, "{err}");
    let whole = parse(&whole);
    let shards = dir.join("shards");
    std::fs::create_dir_all(&shards).unwrap();
    run_shards(&args, 2, "2", &shards);
    let (code, merged, err) = podsim(&["explore", "merge", "--json", &shards.to_string_lossy()]);
    assert!(code == 0 || code == 1, "{err}");
    let merged = parse(&merged);
    assert_eq!(comparable(merged.clone()), comparable(whole));
    assert_eq!(merged["shards"]["exploration"]["generate"], true);
}

#[test]
fn the_unsharded_json_keeps_its_fields() {
    let (code, out, err) = podsim(&["explore", "scenarios/pod-runs.yaml", "--seeds", "0..2", "--json"]);
    assert_eq!(code, 0, "{err}");
    let keys: Vec<String> = parse(&out).as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["events", "failures", "runs", "virtual_millis", "wall_millis"]);
}

#[test]
fn bad_shards_are_refused_with_exit_code_2() {
    let cases = [
        ("3/3", "shard 3 of 3 does not exist (the last is 2)"),
        ("0/0", "the number of shards must be at least 1"),
        ("1-3", "is not a shard like 0/4"),
        ("x/3", "is not a shard like 0/4"),
    ];
    for (shard, message) in cases {
        for generate in [false, true] {
            let mut args = vec!["explore", "scenarios/pod-runs.yaml", "--shard", shard];
            if generate {
                args = vec!["explore", "--generate", "--shard", shard];
            }
            let (code, out, err) = podsim(&args);
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert!(err.contains(message) && err.contains("--shard"), "{args:?}: {err}");
        }
    }
    let (code, _, err) = podsim(&["explore", "scenarios/pod-runs.yaml", "--coverage", "--shard", "0/2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--shard and --json-file are for `explore` without --coverage"), "{err}");
}

#[test]
fn bad_shard_sets_are_refused_and_missing_shards_named() {
    let dir = scratch("refusals");
    let args = ["explore", "scenarios/pod-runs.yaml", FAILING_AT_SOME_SEEDS, "--seeds", "0..6"];
    let files = run_shards(&args, 4, "2", &dir);
    let refused = |merge: &[&str], file: &str, message: &str| {
        let (code, out, err) = podsim(&[&["explore", "merge"][..], merge].concat());
        assert_eq!(code, 2, "{merge:?}: {out}{err}");
        assert_eq!(out, "", "{merge:?}");
        assert!(err.starts_with(&format!("error: {file}:")) && err.contains(message), "{merge:?}: {err}");
    };
    refused(&[&files[0], &files[2]], &files[0], "the shards are incomplete: 2 missing (1/4, 3/4)");
    refused(&[&files[0], &files[1], &files[1]], &files[1], "shard 1/4 is also in");

    // --allow-missing merges what is there and says what is not.
    let (_, out, err) = podsim(&["explore", "merge", "--json", "--allow-missing", &files[0], &files[2]]);
    assert_eq!(err, "");
    let partial = parse(&out);
    assert_eq!(partial["shards"]["merged"], serde_json::json!([0, 2]));
    assert_eq!(partial["shards"]["missing"], serde_json::json!([1, 3]));
    assert_eq!(partial["runs"], 6, "2 of 4 shards of 12 pairs");
    let (_, human, _) = podsim(&["explore", "merge", "--allow-missing", &files[3]]);
    assert!(human.starts_with("merged 1 of 4 shards (3); missing: 0, 1, 2\n"), "{human}");

    // A shard of another exploration (other seeds), of another shard count, and a result that is
    // not a shard's.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let other_seeds = run_shards(
        &["explore", "scenarios/pod-runs.yaml", FAILING_AT_SOME_SEEDS, "--seeds", "0..7"],
        4,
        "2",
        &other,
    );
    refused(&[&files[0], &other_seeds[1]], &other_seeds[1], "a shard of another exploration than");
    refused(&[&files[0], &other_seeds[1]], &other_seeds[1], "seeds (0..7 here, 0..6 there)");
    let halves = dir.join("halves");
    std::fs::create_dir_all(&halves).unwrap();
    let two = run_shards(&args, 2, "2", &halves);
    refused(&[&files[0], &two[1]], &two[1], "shard count (2 here, 4 there)");
    let unsharded = dir.join("unsharded.json").to_string_lossy().into_owned();
    let (_, json, _) = podsim(&[&args[..], &["--json"]].concat());
    std::fs::write(&unsharded, json).unwrap();
    refused(&[&unsharded], &unsharded, "not the result of a shard: it has no `shard` field");

    // A shard whose failures are not of its slice, or whose run count does not fit it.
    let shard_of = |i: usize| parse(&std::fs::read_to_string(&files[i]).unwrap());
    let with_failure =
        (0..4).find(|i| !shard_of(*i)["failures"].as_array().unwrap().is_empty()).expect("a failure");
    let mut moved = shard_of(with_failure);
    moved["shard"]["index"] = ((with_failure + 1) % 4).into();
    moved["runs"] = shard_of((with_failure + 1) % 4)["runs"].clone();
    let tampered = dir.join("tampered.json").to_string_lossy().into_owned();
    std::fs::write(&tampered, moved.to_string()).unwrap();
    refused(&[&tampered], &tampered, &format!("a run of shard {with_failure}, not of shard"));
    let mut short = shard_of(0);
    short["runs"] = 1.into();
    std::fs::write(&tampered, short.to_string()).unwrap();
    refused(&[&tampered], &tampered, "1 runs, but shard 0/4 of 12 pairs has 3");
    std::fs::write(&tampered, "{\"runs\": 1}").unwrap();
    refused(&[&tampered], &tampered, "missing field");
    let (code, _, err) = podsim(&["explore", "merge"]);
    assert_eq!(code, 2, "{err}");
}
