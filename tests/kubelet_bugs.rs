//! The historical kubelet bugs of BUGS.md (model/src/kubelet/bugs.rs): every shrunk scenario under
//! `scenarios/bugs/NAME.yaml` fails with its bug `NAME` re-introduced, breaking the rule its header
//! names (`# rule: RULE`), and passes with the kubelet as it is; the kubelet's defaults carry no bug;
//! and `--kubelet-bug` / `kubelet.bugs` are read as documented, unknown names being bad input.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use podsim_model::kubelet::{KubeletBug, KubeletBugs};
use podsim_model::KubeletConfig;
use podsim_sim::scenario::Scenario;
use podsim_sim::world::{Outcome, World};

const BUGS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bugs");

/// Every `scenarios/bugs/*.yaml`, sorted.
fn bug_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(BUGS_DIR)
        .expect("scenarios/bugs exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// The value of a `# KEY: value` header line.
fn header(text: &str, key: &str) -> Option<String> {
    let prefix = format!("# {key}: ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().to_string())
}

/// One run of `scenario` as `podsim run FILE` makes it (its own seed, its own random faults if any).
fn run(scenario: &Scenario) -> Outcome {
    let seed = scenario.seed.unwrap_or(0);
    World::new(scenario, seed, scenario.random_faults.is_some(), false).run().0
}

fn rules_broken(outcome: &Outcome) -> Vec<String> {
    outcome.violations.iter().map(|v| format!("{:?}", v.rule)).collect()
}

/// Each scenario is named after its bug, carries no bug itself, passes without the bug and fails
/// with it, breaking the rule its header names.
#[test]
fn every_bug_scenario_fails_with_its_bug_and_passes_without() {
    let files = bug_scenarios();
    assert!(files.len() >= 6, "BUGS.md promises at least 6 shrunk scenarios, found {}", files.len());
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bug = KubeletBug::parse(&name).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(&path).unwrap();
        let rule = header(&text, "rule").unwrap_or_else(|| panic!("{name}: no `# rule:` header"));
        let scenario = Scenario::parse(&path.to_string_lossy(), &text).unwrap();
        assert!(scenario.kubelet.bugs.is_empty(), "{name}: the file itself carries no bug");

        let without = run(&scenario);
        assert!(without.passed(), "{name} without the bug: {:?}", without.violations);

        let mut buggy = scenario.clone();
        buggy.kubelet.bugs = KubeletBugs::NONE.with(bug);
        let with = run(&buggy);
        assert!(
            rules_broken(&with).contains(&rule),
            "{name} with the bug breaks {rule}: {:?}",
            with.violations
        );
    }
}

/// The kubelet's defaults and every shipped scenario (scenarios/*.yaml) carry no bug: the model
/// podsim ships never contains them.
#[test]
fn the_default_kubelet_and_the_shipped_scenarios_carry_no_bug() {
    assert!(KubeletConfig::new("node-1").bugs.is_empty());
    assert_eq!(KubeletConfig::new("node-1").bugs, KubeletBugs::default());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let scenario = Scenario::parse(&path.to_string_lossy(), &text).unwrap();
            assert!(scenario.kubelet.bugs.is_empty(), "{}", path.display());
        }
    }
}

/// BUGS.md lists every bug podsim can re-introduce, and every shrunk scenario.
#[test]
fn bugs_md_lists_every_bug_and_scenario() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/BUGS.md")).unwrap();
    for bug in KubeletBug::ALL {
        assert!(doc.contains(&format!("`{}`", bug.name())), "BUGS.md lacks `{}`", bug.name());
    }
    for path in bug_scenarios() {
        let file = format!("scenarios/bugs/{}", path.file_name().unwrap().to_string_lossy());
        assert!(doc.contains(&file), "BUGS.md lacks {file}");
    }
}

fn podsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("podsim").unwrap().args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// `podsim run` of a bug's scenario passes; with `--kubelet-bug NAME` it fails and its replay
/// command repeats the flag; an unknown name is bad input (exit 2), on the command line and in a
/// scenario's `kubelet.bugs` (with the file, line and column).
#[test]
fn the_kubelet_bug_flag_and_field() {
    let path = bug_scenarios().into_iter().next().expect("a bug scenario");
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let file = path.to_string_lossy().into_owned();
    let (code, out, _) = podsim(&["run", &file]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = podsim(&["run", &file, "--kubelet-bug", &name]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("--kubelet-bug {name}")), "the replay repeats the bug: {out}");

    let (code, _, err) = podsim(&["run", &file, "--kubelet-bug", "no-such-bug"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown kubelet bug \"no-such-bug\""), "{err}");
    let (code, _, err) = podsim(&["explore", "--generate", "--kubelet-bug", "no-such-bug"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = podsim(&["explore", "--generate", "--coverage", "--kubelet-bug", &name]);
    assert_eq!(code, 2, "generated coverage does not take a bug: {err}");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kubelet_bugs");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad-bug.yaml");
    let text = "name: bad\nkubelet:\n  bugs: [release-before-cleanup, no-such-bug]\nduration: 1m\npods:\n\
                - metadata: {name: web}\n  spec:\n    containers:\n    - {name: app, image: x, command: [workload, run]}\n";
    std::fs::write(&bad, text).unwrap();
    let (code, _, err) = podsim(&["run", &bad.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad-bug.yaml:3:") && err.contains("unknown variant `no-such-bug`"), "{err}");
}
