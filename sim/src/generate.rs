//! Generated worlds: a whole scenario drawn from a seed (`podsim explore --generate`).
//!
//! From one seed the generator draws, with the world's ChaCha8 rng ([`SimRng`]), a [`Swarm`] (which
//! features this world uses, and how often: TigerBeetle's swarm testing), then the registry's images,
//! the Secrets, 1-4 pods (restart policies Always/OnFailure/Never; plain, init and sidecar containers
//! running `workload` commands; Secret env and volumes, emptyDir volumes, image pull policies), a
//! timeline of creates, image updates the API server accepts (`validate_pod_spec_update`: images
//! only), graceful deletes and Secret creates and deletes, and a random-fault profile. Every bound is
//! a field of [`GenerateOptions`].
//!
//! The world is written as a scenario file and read back with [`Scenario::parse`], so a generated
//! world passes the same validation as a written one, and [`to_yaml`] of it replays exactly
//! ([`check_round_trip`]). No expectations are generated: the checker's safety rules and liveness
//! judge the run.

use serde_json::{json, Value};

use podsim_model::Millis;

use crate::faults::FaultProfile;
use crate::input::InputError;
use crate::rng::SimRng;
use crate::scenario::{duration, Scenario, DEFAULT_CONVERGE_WITHIN};
use crate::shrink::to_yaml;

/// The bounds of a generated world. Every count and time drawn lies within them.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateOptions {
    /// Pods: at least 1, at most this (the 1-4).
    pub max_pods: u64,
    /// Plain and sidecar init containers a pod has, at most.
    pub max_init_containers: u64,
    /// Regular containers a pod has: at least 1, at most this.
    pub max_containers: u64,
    /// Images in the registry: at least 1, at most this.
    pub max_images: u64,
    /// Secrets the world names: at most this.
    pub max_secrets: u64,
    /// The run's virtual duration, from this ...
    pub min_duration: Millis,
    /// ... to this.
    pub max_duration: Millis,
    /// Timeline actions (creates after 0, updates, deletes, Secret changes) happen in the first
    /// this-many thousandths of the run, so the world settles before the end.
    pub action_window_per_mille: u64,
    /// Image updates of one pod, at most.
    pub max_updates_per_pod: u64,
    /// A pod's `terminationGracePeriodSeconds` and a delete's grace period, at most.
    pub max_grace_seconds: i64,
    /// `workload exit-after`'s duration, at most.
    pub max_exit_after: Millis,
    /// An image's pull latency, at most.
    pub max_pull_latency: Millis,
    /// Failures of an image with transient pull failures, at most.
    pub max_transient_pull_failures: u32,
    /// The random-fault rates (faults a virtual minute) a world picks one of.
    pub fault_rates: Vec<f64>,
}

impl Default for GenerateOptions {
    fn default() -> GenerateOptions {
        GenerateOptions {
            max_pods: 4,
            max_init_containers: 2,
            max_containers: 3,
            max_images: 4,
            max_secrets: 3,
            min_duration: 3 * 60_000,
            max_duration: 15 * 60_000,
            action_window_per_mille: 600,
            max_updates_per_pod: 2,
            max_grace_seconds: 30,
            max_exit_after: 120_000,
            max_pull_latency: 30_000,
            max_transient_pull_failures: 3,
            fault_rates: vec![0.0, 0.5, 1.0, 2.0, 4.0],
        }
    }
}

/// The exit codes `workload exit-after` is drawn with: success, failures, SIGKILL's and SIGTERM's.
const EXIT_CODES: [i32; 7] = [0, 0, 1, 1, 2, 137, 143];

/// The per-world probabilities of each feature: each is off in about half of the worlds (swarm
/// testing: a world that never crashes explores other paths than one that always does), and when on,
/// has a probability of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Swarm {
    /// A pod has init containers (each then plain or sidecar, at `sidecar`).
    pub init: f64,
    /// An init container is a sidecar (restartPolicy Always).
    pub sidecar: f64,
    /// A container's workload exits by itself (else runs, or ignores SIGTERM).
    pub exits: f64,
    /// A running workload ignores SIGTERM.
    pub ignore_sigterm: f64,
    /// A container reads a Secret in its env.
    pub secret_env: f64,
    /// A pod mounts a Secret volume.
    pub secret_volume: f64,
    /// A pod has an emptyDir volume.
    pub empty_dir: f64,
    /// A Secret reference is optional.
    pub optional: f64,
    /// A Secret exists from the start (else it is created later, or never).
    pub secret_present: f64,
    /// A Secret changes in the timeline (created if absent, deleted if present).
    pub secret_change: f64,
    /// An image is on the node from the start.
    pub preloaded: f64,
    /// An image's pulls fail (transiently; permanently at a tenth of that).
    pub pull_failure: f64,
    /// A container sets an imagePullPolicy (then Always, IfNotPresent or Never).
    pub pull_policy: f64,
    /// A pod is created after the start.
    pub late_create: f64,
    /// A pod's image is updated.
    pub update: f64,
    /// A pod is deleted.
    pub delete: f64,
    /// Random faults a virtual minute.
    pub fault_rate: f64,
    /// A container has probes (exec probes of `workload check`: readiness, liveness, startup).
    pub probes: f64,
    /// A container's workload has health options (`--ready-after`, `--started-after`,
    /// `--unhealthy-after`).
    pub health: f64,
}

impl Swarm {
    /// Draws a world's swarm.
    pub fn draw(rng: &mut SimRng, options: &GenerateOptions) -> Swarm {
        let p = |rng: &mut SimRng| if rng.chance(0.5) { rng.between(1, 10) as f64 / 10.0 } else { 0.0 };
        Swarm {
            init: p(rng),
            sidecar: p(rng),
            exits: p(rng),
            ignore_sigterm: p(rng),
            secret_env: p(rng),
            secret_volume: p(rng),
            empty_dir: p(rng),
            optional: p(rng),
            secret_present: p(rng),
            secret_change: p(rng),
            preloaded: p(rng),
            pull_failure: p(rng),
            pull_policy: p(rng),
            late_create: p(rng),
            update: p(rng),
            delete: p(rng),
            fault_rate: rng.pick(&options.fault_rates).copied().unwrap_or(0.0),
            probes: p(rng),
            health: p(rng),
        }
    }
}

/// The rng of the world generated from `seed`: the seed mixed with a constant, so that the draws of
/// the world and those of the run's faults (the world's rng of the same seed) are not the same
/// numbers.
fn generator_rng(seed: u64) -> SimRng {
    SimRng::new(seed ^ 0x9E37_79B9_7F4A_7C15)
}

/// The file name a generated world is written to.
pub fn file_name(seed: u64) -> String {
    format!("generated-seed-{seed}.yaml")
}

/// The world of `seed`, read back as a scenario (`Err` only if the generator made an invalid world:
/// a bug of the generator).
pub fn generate(seed: u64, options: &GenerateOptions) -> Result<Scenario, InputError> {
    let text = generate_text(seed, options);
    Scenario::parse(&file_name(seed), &text)
}

/// The world of `seed` as a scenario file.
pub fn generate_text(seed: u64, options: &GenerateOptions) -> String {
    let mut rng = generator_rng(seed);
    let swarm = Swarm::draw(&mut rng, options);
    let mut world = Draft::new(seed, options, swarm, &mut rng);
    world.draw_images(&mut rng);
    world.draw_secrets(&mut rng);
    world.draw_pods(&mut rng);
    serde_yaml::to_string(&world.into_file()).expect("a JSON value serialises")
}

/// Whether `scenario` is written and read back as itself: what `podsim run FILE` replays is what ran.
pub fn check_round_trip(scenario: &Scenario) -> Result<(), String> {
    let text = to_yaml(scenario);
    let again = Scenario::parse("round-trip.yaml", &text).map_err(|e| format!("{e}\n{text}"))?;
    if again == *scenario {
        Ok(())
    } else {
        Err(format!("the scenario read back differs from the one written:\n{text}"))
    }
}

/// A world being drawn.
struct Draft<'o> {
    seed: u64,
    options: &'o GenerateOptions,
    swarm: Swarm,
    duration: Millis,
    /// Timeline actions happen before this.
    window: Millis,
    /// `(name, preloaded)`.
    images: Vec<(String, bool)>,
    /// How much longer than the default the world may take to converge: the pulls of its images
    /// through their transient failures ([`pull_allowance`]).
    extra_convergence: Millis,
    image_values: Vec<Value>,
    /// Secret names (namespace default).
    secrets: Vec<String>,
    present: Vec<String>,
    pods: Vec<Value>,
    timeline: Vec<(Millis, Value)>,
}

impl<'o> Draft<'o> {
    fn new(seed: u64, options: &'o GenerateOptions, swarm: Swarm, rng: &mut SimRng) -> Draft<'o> {
        // Whole seconds, so that every time is written exactly.
        let duration = rng.between(options.min_duration / 1000, options.max_duration / 1000) * 1000;
        let window = (duration * options.action_window_per_mille / 1000).max(1000);
        Draft {
            seed,
            options,
            swarm,
            duration,
            window,
            images: Vec::new(),
            extra_convergence: 0,
            image_values: Vec::new(),
            secrets: Vec::new(),
            present: Vec::new(),
            pods: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// A time in the action window, after `after`, in whole seconds.
    fn time_after(&self, after: Millis, rng: &mut SimRng) -> Millis {
        let from = after / 1000 + 1;
        rng.between(from, (self.window / 1000).max(from)) * 1000
    }

    fn draw_images(&mut self, rng: &mut SimRng) {
        let count = rng.between(1, self.options.max_images);
        for i in 1..=count {
            let name = format!("podsim/workload:{i}");
            let preloaded = rng.chance(self.swarm.preloaded);
            let latency = pick_latency(rng, self.options.max_pull_latency);
            let mut image =
                json!({"name": name, "pullLatency": duration::format(latency), "preloaded": preloaded});
            let mut failures = 0;
            if rng.chance(self.swarm.pull_failure) {
                let fail = if rng.chance(0.1) {
                    json!({"permanent": true})
                } else {
                    failures = rng.between(1, u64::from(self.options.max_transient_pull_failures));
                    json!({"times": failures})
                };
                image.as_object_mut().expect("an object").insert("fail".into(), fail);
            }
            self.extra_convergence += if self.swarm.fault_rate > 0.0 {
                pull_allowance_after_faults(latency, failures)
            } else {
                pull_allowance(latency, failures)
            };
            self.image_values.push(image);
            self.images.push((name, preloaded));
        }
    }

    fn draw_secrets(&mut self, rng: &mut SimRng) {
        let count = rng.below(self.options.max_secrets + 1);
        for i in 1..=count {
            let name = format!("secret-{i}");
            let present = rng.chance(self.swarm.secret_present);
            if rng.chance(self.swarm.secret_change) {
                let at = self.time_after(0, rng);
                let action = if present { "deleteSecret" } else { "createSecret" };
                self.timeline.push((at, json!({action: name})));
            }
            if present {
                self.present.push(name.clone());
            }
            self.secrets.push(name);
        }
    }

    fn draw_pods(&mut self, rng: &mut SimRng) {
        let count = rng.between(1, self.options.max_pods);
        for i in 1..=count {
            let name = format!("pod-{i}");
            let manifest = self.draw_pod(&name, rng);
            let created = if rng.chance(self.swarm.late_create) { self.time_after(0, rng) } else { 0 };
            let deleted = rng.chance(self.swarm.delete).then(|| self.time_after(created, rng));
            let updates = if rng.chance(self.swarm.update) {
                rng.between(1, self.options.max_updates_per_pod)
            } else {
                0
            };
            let mut current = manifest.clone();
            let mut at = created;
            for _ in 0..updates {
                at = self.time_after(at, rng);
                if deleted.is_some_and(|d| at >= d) {
                    break;
                }
                current = self.change_an_image(&current, rng);
                self.timeline.push((at, json!({"updatePod": current})));
            }
            if let Some(d) = deleted {
                let mut delete = json!({"name": name});
                if rng.chance(0.5) {
                    let grace = rng.below(self.options.max_grace_seconds as u64 + 1);
                    delete
                        .as_object_mut()
                        .expect("an object")
                        .insert("gracePeriodSeconds".into(), json!(grace));
                }
                self.timeline.push((d, json!({"deletePod": delete})));
            }
            if created == 0 {
                self.pods.push(manifest);
            } else {
                self.timeline.push((created, json!({"createPod": manifest})));
            }
        }
    }

    /// A pod: its restart policy, grace period, volumes, init containers and containers.
    fn draw_pod(&self, name: &str, rng: &mut SimRng) -> Value {
        let policy = *rng.pick(&["Always", "OnFailure", "Never"]).expect("not empty");
        let grace = *rng.pick(&[0, 1, 2, 5, 10, 30]).expect("not empty");
        let grace = grace.min(self.options.max_grace_seconds);
        let mut volumes = Vec::new();
        if !self.secrets.is_empty() && rng.chance(self.swarm.secret_volume) {
            let secret = rng.pick(&self.secrets).expect("not empty");
            let optional = rng.chance(self.swarm.optional);
            volumes.push(json!({"name": "secret", "secret": {"secretName": secret, "optional": optional}}));
        }
        if rng.chance(self.swarm.empty_dir) {
            volumes.push(json!({"name": "scratch", "emptyDir": {}}));
        }
        let volume_names: Vec<String> =
            volumes.iter().map(|v| v["name"].as_str().unwrap_or_default().to_string()).collect();
        let mut init = Vec::new();
        if rng.chance(self.swarm.init) {
            for j in 1..=rng.between(1, self.options.max_init_containers) {
                init.push(if rng.chance(self.swarm.sidecar) {
                    let mut c = self.draw_container(&format!("sidecar-{j}"), &volume_names, rng);
                    c.as_object_mut().expect("an object").insert("restartPolicy".into(), json!("Always"));
                    c
                } else {
                    self.draw_plain_init(&format!("init-{j}"), &volume_names, rng)
                });
            }
        }
        let mut containers: Vec<Value> = (1..=rng.between(1, self.options.max_containers))
            .map(|j| self.draw_container(&format!("app-{j}"), &volume_names, rng))
            .collect();
        // Hook (restart-all): a RestartAllContainers rule, drawn apart.
        crate::generate_restart_all::maybe_add_rule(self.seed, name, policy, &mut containers);
        crate::generate_restart_all::maybe_add_own_policy(self.seed, name, &mut containers);
        // Hook (lifecycle): hooks on some containers, drawn apart.
        crate::generate_lifecycle::maybe_add_hooks(self.seed, name, grace, [&mut init, &mut containers]);
        let mut spec = json!({
            "restartPolicy": policy,
            "terminationGracePeriodSeconds": grace,
            "containers": containers,
        });
        let obj = spec.as_object_mut().expect("an object");
        crate::generate_lifecycle::maybe_add_deadline(self.seed, name, obj);
        if !init.is_empty() {
            obj.insert("initContainers".into(), json!(init));
        }
        if !volumes.is_empty() {
            obj.insert("volumes".into(), json!(volumes));
        }
        json!({"metadata": {"name": name}, "spec": spec})
    }

    /// A plain init container: it exits after a short while, mostly with 0.
    fn draw_plain_init(&self, name: &str, volumes: &[String], rng: &mut SimRng) -> Value {
        let after = rng.below(10) * 1000;
        let code = if rng.chance(0.8) { 0 } else { *rng.pick(&EXIT_CODES).expect("not empty") };
        let command = json!(["workload", "exit-after", duration::format(after), code.to_string()]);
        self.container(name, command, volumes, rng)
    }

    /// A regular or sidecar container with a workload of the vocabulary.
    fn draw_container(&self, name: &str, volumes: &[String], rng: &mut SimRng) -> Value {
        let command = if rng.chance(self.swarm.exits) {
            let after = rng.below(self.options.max_exit_after / 1000 + 1) * 1000;
            let code = *rng.pick(&EXIT_CODES).expect("not empty");
            json!(["workload", "exit-after", duration::format(after), code.to_string()])
        } else if rng.chance(self.swarm.ignore_sigterm) {
            json!(["workload", "ignore-sigterm"])
        } else {
            json!(["workload", "run"])
        };
        let command = with_health_options(command, self.swarm.health, rng);
        let mut c = self.container(name, command, volumes, rng);
        if rng.chance(self.swarm.probes) {
            add_probes(&mut c, rng);
        }
        c
    }

    /// A container with `command`: its image and pull policy, Secret env and volume mounts.
    fn container(&self, name: &str, command: Value, volumes: &[String], rng: &mut SimRng) -> Value {
        let (image, _) = rng.pick(&self.images).expect("at least one image");
        let mut c = json!({"name": name, "image": image, "command": command});
        let obj = c.as_object_mut().expect("an object");
        if rng.chance(self.swarm.pull_policy) {
            let policy = rng.pick(&["Always", "IfNotPresent", "Never"]).expect("not empty");
            obj.insert("imagePullPolicy".into(), json!(policy));
        }
        if !self.secrets.is_empty() && rng.chance(self.swarm.secret_env) {
            let secret = rng.pick(&self.secrets).expect("not empty");
            let optional = rng.chance(self.swarm.optional);
            obj.insert(
                "env".into(),
                json!([{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": "token", "optional": optional}}}]),
            );
        }
        let mounts: Vec<Value> = volumes
            .iter()
            .filter(|_| rng.chance(0.5))
            .map(|v| json!({"name": v, "mountPath": format!("/mnt/{v}")}))
            .collect();
        if !mounts.is_empty() {
            obj.insert("volumeMounts".into(), json!(mounts));
        }
        c
    }

    /// The pod with one container's (or init container's) image changed: the only change of a spec
    /// the API server accepts that podsim generates.
    fn change_an_image(&self, pod: &Value, rng: &mut SimRng) -> Value {
        let mut pod = pod.clone();
        let spec = pod["spec"].as_object_mut().expect("a spec");
        let lists: Vec<&str> =
            ["initContainers", "containers"].into_iter().filter(|l| spec.contains_key(*l)).collect();
        let list = *rng.pick(&lists).expect("containers are always there");
        let containers = spec[list].as_array_mut().expect("a list");
        let i = rng.below(containers.len() as u64) as usize;
        let (image, _) = rng.pick(&self.images).expect("at least one image");
        containers[i]["image"] = json!(image);
        pod
    }

    /// The scenario file.
    fn into_file(mut self) -> Value {
        self.timeline.sort_by_key(|(t, _)| *t);
        let timeline: Vec<Value> = self
            .timeline
            .into_iter()
            .map(|(t, mut action)| {
                action.as_object_mut().expect("an object").insert("at".into(), json!(duration::format(t)));
                action
            })
            .collect();
        let description = format!(
            "Generated from seed {}: {} pods, {} images, {} Secrets, {} timeline entries, {} random faults a minute",
            self.seed,
            self.pods.len() + timeline.iter().filter(|e| e.get("createPod").is_some()).count(),
            self.images.len(),
            self.secrets.len(),
            timeline.len(),
            self.swarm.fault_rate
        );
        let faults = FaultProfile { kinds: Vec::new(), per_minute: self.swarm.fault_rate, until: None };
        json!({
            "name": format!("generated-seed-{}", self.seed),
            "description": description,
            "duration": duration::format(self.duration),
            "seed": self.seed,
            "images": self.image_values,
            "secrets": self.present,
            "pods": self.pods,
            "timeline": timeline,
            "randomFaults": faults,
            "convergeWithin": duration::format(DEFAULT_CONVERGE_WITHIN + self.extra_convergence),
        })
    }
}

/// How long pulling an image may take through `failures` transient failures: every pull's latency,
/// each failure's ImagePullBackOff (10 s doubling, at most 5 min: the kubelet's default
/// `imagePullBackOff`) and the pod worker's retry after it (`podWorkerBackOff` 10 s with jitter 0.5,
/// at most 15 s). A pod's images are pulled one after the other (sidecars before the containers,
/// the serial puller), so a world's allowances add up.
/// The health options a container's workload may take, and the check each one moves.
const HEALTH_OPTIONS: [&str; 3] = ["--ready-after", "--started-after", "--unhealthy-after"];

/// Adds one health option (1 to 30 s) to a workload command, with probability `chance`.
fn with_health_options(command: Value, chance: f64, rng: &mut SimRng) -> Value {
    if !rng.chance(chance) {
        return command;
    }
    let mut words: Vec<Value> = command.as_array().cloned().unwrap_or_default();
    let option = *rng.pick(&HEALTH_OPTIONS).expect("not empty");
    words.push(json!(option));
    words.push(json!(duration::format(rng.between(1, 30) * 1_000)));
    Value::Array(words)
}

/// Adds exec probes of `workload check` (each kind with probability 1/2, at least one) with a
/// period of 1 to 10 s and a failure threshold of 1 to 5 (a readiness probe's success threshold 1
/// to 3).
fn add_probes(container: &mut Value, rng: &mut SimRng) {
    let obj = container.as_object_mut().expect("an object");
    let kinds = [("readinessProbe", "ready"), ("livenessProbe", "live"), ("startupProbe", "started")];
    let chosen: Vec<(&str, &str)> = kinds.iter().copied().filter(|_| rng.chance(0.5)).collect();
    let chosen = if chosen.is_empty() { vec![kinds[rng.below(3) as usize]] } else { chosen };
    for (field, check) in chosen {
        let mut probe = json!({
            "exec": {"command": ["workload", "check", check]},
            "periodSeconds": rng.between(1, 10),
            "failureThreshold": rng.between(1, 5),
        });
        if field == "readinessProbe" {
            probe["successThreshold"] = json!(rng.between(1, 3));
        }
        obj.insert(field.into(), probe);
    }
}

fn pull_allowance(latency: Millis, failures: u64) -> Millis {
    let backoffs: Millis = (0..failures).map(|k| (10_000u64 << k).min(300_000) + 15_000).sum();
    (failures + 1) * latency + backoffs
}

/// [`pull_allowance`] in a world with random faults: its injected pull failures (and image
/// removals) before the world settles may have raised the image's ImagePullBackOff already, and the
/// kubelet's backoff doubles on from there, so each of the image's own failures after the world
/// settled may meet the longest backoff (5 min) and the pod worker's retry after it. (Generated seed
/// 6714: three injected failures before the last fault healed, then the registry's three, took the
/// backoff to 80 s, 160 s and 300 s, past the doubling-from-10-s allowance.)
fn pull_allowance_after_faults(latency: Millis, failures: u64) -> Millis {
    (failures + 1) * latency + failures * (300_000 + 15_000)
}

/// A pull latency: mostly short, sometimes up to the bound.
fn pick_latency(rng: &mut SimRng, max: Millis) -> Millis {
    let choices = [100, 1_000, 5_000, max];
    (*rng.pick(&choices).expect("not empty")).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_world() {
        let options = GenerateOptions::default();
        assert_eq!(generate_text(7, &options), generate_text(7, &options));
        assert_ne!(generate_text(7, &options), generate_text(8, &options));
    }
}
