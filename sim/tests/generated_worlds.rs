//! Generated worlds (`podsim explore --generate`): every world the generator draws is valid (it reads
//! back through `Scenario::parse` and writes and reads back as itself), and runs in the `World`
//! without a violation of the checker's safety rules or liveness (no expectations are generated).

use proptest::prelude::*;

use podsim_sim::generate::{check_round_trip, generate, GenerateOptions};
use podsim_sim::scenario::{Action, Scenario};
use podsim_sim::world::World;

/// Seeds the validity test draws worlds from.
const VALIDITY_SEEDS: u64 = 500;

/// A generated world and its seed. The seed does not shrink (a smaller seed is another world, not a
/// smaller one): a failing world is shrunk by `podsim run FILE --shrink`.
fn arb_scenario() -> impl Strategy<Value = (u64, Scenario)> {
    any::<u64>().no_shrink().prop_map(|seed| {
        let scenario = generate(seed, &GenerateOptions::default())
            .unwrap_or_else(|e| panic!("seed {seed}: the generator made an invalid world: {e}"));
        (seed, scenario)
    })
}

#[test]
fn every_generated_world_is_valid_and_replays_as_written() {
    let options = GenerateOptions::default();
    for seed in 0..VALIDITY_SEEDS {
        let s = generate(seed, &options).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        check_round_trip(&s).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(s.seed, Some(seed), "a generated world replays with its own seed");
        assert!(s.random_faults.is_some(), "seed {seed}: its faults are drawn as explore draws them");
    }
}

/// The generator stays inside its options and uses the whole vocabulary somewhere over the seeds.
#[test]
fn generated_worlds_keep_their_bounds_and_cover_the_vocabulary() {
    let options = GenerateOptions::default();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..VALIDITY_SEEDS {
        let s = generate(seed, &options).unwrap();
        assert!((options.min_duration..=options.max_duration).contains(&s.duration), "seed {seed}");
        let created: Vec<&podsim_model::Pod> = s
            .timeline
            .iter()
            .filter_map(|(_, a)| match a {
                Action::CreatePod(p) => Some(p),
                _ => None,
            })
            .collect();
        assert!((1..=options.max_pods as usize).contains(&created.len()), "seed {seed}");
        assert!(s.images.len() as u64 <= options.max_images, "seed {seed}");
        for (t, a) in &s.timeline {
            assert!(*t <= s.duration, "seed {seed}");
            seen.insert(match a {
                Action::CreatePod(_) if *t > 0 => "late create".to_string(),
                Action::CreatePod(_) => "create".to_string(),
                Action::UpdatePod(_) => "update".to_string(),
                Action::ResizePod { .. } => "resize".to_string(),
                Action::DeletePod { grace_seconds: Some(_), .. } => "delete with grace".to_string(),
                Action::DeletePod { .. } => "delete".to_string(),
                Action::CreateSecret { .. } => "create secret".to_string(),
                Action::DeleteSecret { .. } => "delete secret".to_string(),
                Action::Fault(_) => "fault".to_string(),
            });
        }
        for p in created {
            assert!(p.spec.containers.len() as u64 <= options.max_containers, "seed {seed}");
            assert!(p.spec.init_containers.len() as u64 <= options.max_init_containers, "seed {seed}");
            seen.insert(format!("restartPolicy {}", p.spec.restart_policy.as_str()));
            for (_, c) in p.all_containers() {
                seen.insert(format!("pull {:?}", c.image_pull_policy));
                seen.insert(format!("workload {}", c.command.get(1).map_or("", String::as_str)));
                if c.is_restartable_init_container() {
                    seen.insert("sidecar".into());
                }
                if !c.env.is_empty() {
                    seen.insert("secret env".into());
                }
            }
            for v in &p.spec.volumes {
                seen.insert(format!("volume {}", v.name));
            }
        }
        for i in s.images.values() {
            seen.insert(format!("image failure {:?}", std::mem::discriminant(&i.failure)));
            seen.insert(format!("image preloaded {}", i.preloaded));
        }
    }
    let wanted = [
        "create",
        "late create",
        "update",
        "delete",
        "delete with grace",
        "create secret",
        "delete secret",
        "restartPolicy Always",
        "restartPolicy OnFailure",
        "restartPolicy Never",
        "pull Always",
        "pull IfNotPresent",
        "pull Never",
        "workload run",
        "workload exit-after",
        "workload ignore-sigterm",
        "sidecar",
        "secret env",
        "volume secret",
        "volume scratch",
        "image preloaded true",
        "image preloaded false",
    ];
    for w in wanted {
        assert!(seen.contains(w), "no generated world has {w:?}; seen: {seen:?}");
    }
    assert!(seen.iter().filter(|s| s.starts_with("image failure")).count() == 3, "{seen:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every generated world keeps every safety rule and converges once its faults heal.
    #[test]
    fn generated_worlds_keep_every_rule((seed, scenario) in arb_scenario()) {
        let (outcome, _) = World::new(&scenario, seed, true, false).run();
        prop_assert!(
            outcome.passed(),
            "seed {seed} failed: {:?}\nreplay: podsim explore --generate --seeds {seed}",
            outcome.violations
        );
    }
}

/// The writer `explore --generate` and `--shrink` use writes every shipped scenario so that it reads
/// back as itself (expectations included).
#[test]
fn every_shipped_scenario_writes_and_reads_back_as_itself() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "{files:?}");
    let mut broken = Vec::new();
    for f in &files {
        let s = Scenario::parse(&f.to_string_lossy(), &std::fs::read_to_string(f).unwrap()).unwrap();
        match check_round_trip(&s) {
            Ok(()) => {}
            // What is on the node is written resolved (hashes as numbers, commands spelt out), so it
            // reads back as other words for the same node: the same run shows it.
            Err(_) if !s.node_setup.is_empty() && runs_alike(&s) => {}
            Err(e) => broken.push(format!("{}: {}", f.display(), e.lines().next().unwrap_or_default())),
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// Whether `s` written and read back runs as `s` does (seed 0).
fn runs_alike(s: &Scenario) -> bool {
    let again = Scenario::parse("again.yaml", &podsim_sim::shrink::to_yaml(s)).expect("it reads back");
    let (a, ta) = World::new(s, 0, false, true).run();
    let (b, tb) = World::new(&again, 0, false, true).run();
    ta.to_jsonl() == tb.to_jsonl() && a.violations.len() == b.violations.len()
}

/// Seed 855 (with exec hooks drawn): a container exits by itself as its sandbox dies; the kubelet's
/// sync read it running, killed it and restarted it in the new sandbox without a backoff bump (it
/// never saw the exit), so its next crash restarts at once. The RestartBackoff rule's mirror once
/// bumped at that start and reported the next restart as too early.
#[test]
fn a_container_stopped_after_it_exited_bumps_no_backoff_in_the_mirror() {
    let seed = 855;
    let scenario = generate(seed, &GenerateOptions::default()).unwrap();
    let (outcome, _) = World::new(&scenario, seed, true, false).run();
    assert!(outcome.passed(), "seed {seed} failed: {:?}", outcome.violations);
}

/// Seed 675: a RestartAllContainers reset kills the pod's containers with no grace period beyond the
/// kubelet's floor (2 s) from 109 s; the pod is deleted at 111 s while a sidecar waits for its turn,
/// and the sidecar is stopped at 113 s with 2 s. The kill began before the deletion reached the
/// kubelet, on the floor's budget; GracePeriodHonoured once judged it from the deletion instead.
#[test]
fn a_reset_kill_begun_before_the_deletion_keeps_its_own_budget() {
    let seed = 675;
    let scenario = generate(seed, &GenerateOptions::default()).unwrap();
    let (outcome, _) = World::new(&scenario, seed, true, false).run();
    assert!(outcome.passed(), "seed {seed} failed: {:?}", outcome.violations);
}

/// Seeds 9291 and 9334 (of `explore --generate --seeds 0..10000`): a container's kill begins before
/// the deletion reaches the kubelet (9291: its postStart hook failed, and its preStop hook spends 4 s
/// of the pod's 10 s; 9334: a sync's kill of a pod whose containers all ended, a sidecar's preStop
/// spending its 6 s) and goes on with what is left of that budget. GracePeriodHonoured once judged
/// such a stop from the deletion (9291: postStart kills were not known to the checker; 9334: the
/// budget was taken from the deletion's grace period instead of the spec's, which the kubelet had).
#[test]
fn kills_begun_before_the_deletion_keep_the_budget_they_began_with() {
    for seed in [9291, 9334] {
        let scenario = generate(seed, &GenerateOptions::default()).unwrap();
        let (outcome, _) = World::new(&scenario, seed, true, false).run();
        assert!(outcome.passed(), "seed {seed} failed: {:?}", outcome.violations);
    }
}
