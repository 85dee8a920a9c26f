//! Shrinking a failing run into a small scenario that still fails: the random faults it drew become
//! explicit timeline entries (with their targets named), then pods, timeline entries, expectations and
//! virtual time are removed one by one while the run keeps breaking the same rule.

use serde::Serialize;
use serde_json::{json, Value};

use podsim_model::pod::{EnvSource, LifecycleHandler, VolumeSource};
use podsim_model::{Container, Millis, Pod};

use crate::checker::Rule;
use crate::scenario::{duration, Action, PullFailureSpec, Scenario};
use crate::world::{Outcome, World};

/// The result of shrinking.
pub struct Shrunk {
    /// The small scenario.
    pub scenario: Scenario,
    /// Its failing run.
    pub outcome: Outcome,
    /// The rule the original run broke first, which the small one breaks too.
    pub rule: Rule,
    /// Runs tried.
    pub runs: usize,
}

/// Shrinks the run of `scenario` with `seed`; `None` if that run passes or its failure cannot be
/// replayed without the seed's random draws. At most `budget` runs are tried.
pub fn shrink(scenario: &Scenario, seed: u64, random_faults: bool, budget: usize) -> Option<Shrunk> {
    let (first, _) = World::new(scenario, seed, random_faults, false).run();
    let rule = first.violations.first()?.rule;
    let mut current = explicit(scenario, &first);
    let mut runs = 1;
    let fails = |s: &Scenario, runs: &mut usize| -> Option<Outcome> {
        *runs += 1;
        let (o, _) = World::new(s, seed, false, false).run();
        o.violations.iter().any(|v| v.rule == rule).then_some(o)
    };
    let mut best = fails(&current, &mut runs)?;
    'outer: loop {
        for candidate in candidates(&current, &best) {
            if runs >= budget {
                break 'outer;
            }
            if let Some(o) = fails(&candidate, &mut runs) {
                current = candidate;
                best = o;
                continue 'outer;
            }
        }
        break;
    }
    Some(Shrunk { scenario: current, outcome: best, rule, runs })
}

/// The scenario with the run's random faults written into its timeline.
fn explicit(scenario: &Scenario, outcome: &Outcome) -> Scenario {
    let mut s = scenario.clone();
    if s.random_faults.take().is_some() || !outcome.applied_faults.is_empty() {
        s.timeline.retain(|(_, a)| !matches!(a, Action::Fault(_)));
        s.timeline.extend(outcome.applied_faults.iter().map(|(t, f)| (*t, Action::Fault(f.clone()))));
        s.timeline.sort_by_key(|(t, _)| *t);
    }
    if !outcome.expectations_checked {
        s.expect.pods.clear();
    }
    s.name = format!("{}-shrunk", scenario.name);
    s.description = format!("Shrunk from {} seed {}: {}", scenario.name, outcome.seed, scenario.description);
    s
}

/// Smaller variants of `s`, biggest cuts first.
fn candidates(s: &Scenario, failing: &Outcome) -> Vec<Scenario> {
    let mut out = Vec::new();
    // Shorter: end soon after the first violation (keeping the liveness allowance if that is what broke).
    let first = failing.violations.first().map_or(s.duration, |v| v.t);
    for end in [first + 1_000, first + s.converge_within, (s.duration / 2).max(first + 1_000)] {
        let last_action = s.timeline.iter().map(|(t, _)| *t).max().unwrap_or(0);
        if end < s.duration && end >= last_action {
            let mut c = s.clone();
            c.duration = end;
            out.push(c);
        }
    }
    // Fewer pods: drop one pod with everything that names it.
    let pods: Vec<(String, String)> = s
        .timeline
        .iter()
        .filter_map(|(_, a)| match a {
            Action::CreatePod(p) => Some((p.namespace.clone(), p.name.clone())),
            _ => None,
        })
        .collect();
    if pods.len() > 1 {
        // Half of them at once first.
        let half: Vec<&(String, String)> = pods.iter().skip(pods.len() / 2).collect();
        out.push(without_pods(s, &half));
        for p in &pods {
            out.push(without_pods(s, &[p]));
        }
    }
    // Fewer timeline entries (not the pod creations).
    for i in 0..s.timeline.len() {
        if !matches!(s.timeline[i].1, Action::CreatePod(_)) {
            let mut c = s.clone();
            c.timeline.remove(i);
            out.push(c);
        }
    }
    // Fewer expectations.
    for name in s.expect.pods.keys() {
        let mut c = s.clone();
        c.expect.pods.remove(name);
        out.push(c);
    }
    out
}

fn without_pods(s: &Scenario, pods: &[&(String, String)]) -> Scenario {
    let mut c = s.clone();
    let named = |ns: &str, name: &str| pods.iter().any(|(n, p)| n == ns && p == name);
    let names_pod = |text: &Option<String>| {
        text.as_deref().is_some_and(|t| {
            let (ns, n) = crate::scenario::split_name(t);
            named(&ns, &n)
        })
    };
    c.timeline.retain(|(_, a)| match a {
        Action::CreatePod(p) | Action::UpdatePod(p) => !named(&p.namespace, &p.name),
        Action::DeletePod { namespace, name, .. } | Action::ResizePod { namespace, name, .. } => {
            !named(namespace, name)
        }
        Action::Fault(crate::faults::Fault::ContainerCrash { pod, .. })
        | Action::Fault(crate::faults::Fault::OomKill { pod, .. })
        | Action::Fault(crate::faults::Fault::PauseDeath { pod })
        | Action::Fault(crate::faults::Fault::MountFailure { pod, .. }) => !names_pod(pod),
        _ => true,
    });
    c.expect.pods.retain(|k, _| {
        let (ns, n) = crate::scenario::split_name(k);
        !named(&ns, &n)
    });
    c
}

/// A pod as a v1 manifest.
pub fn pod_manifest(pod: &Pod) -> Value {
    let containers = |list: &[Container]| -> Vec<Value> { list.iter().map(container_manifest).collect() };
    let volumes: Vec<Value> = pod
        .spec
        .volumes
        .iter()
        .map(|v| match &v.source {
            VolumeSource::Secret { secret_name, optional } => {
                json!({"name": v.name, "secret": {"secretName": secret_name, "optional": optional}})
            }
            VolumeSource::ConfigMap { name, optional } => {
                json!({"name": v.name, "configMap": {"name": name, "optional": optional}})
            }
            VolumeSource::HostPath { path } => json!({"name": v.name, "hostPath": {"path": path}}),
            VolumeSource::EmptyDir | VolumeSource::Other => json!({"name": v.name, "emptyDir": {}}),
        })
        .collect();
    let mut spec = json!({
        "nodeName": pod.spec.node_name,
        "restartPolicy": pod.spec.restart_policy.as_str(),
        "terminationGracePeriodSeconds": pod.spec.termination_grace_period_seconds,
        "containers": containers(&pod.spec.containers),
    });
    let obj = spec.as_object_mut().expect("an object");
    if let Some(deadline) = pod.spec.active_deadline_seconds {
        obj.insert("activeDeadlineSeconds".into(), json!(deadline));
    }
    if pod.spec.host_network {
        obj.insert("hostNetwork".into(), json!(true));
    }
    if !pod.spec.init_containers.is_empty() {
        obj.insert("initContainers".into(), json!(containers(&pod.spec.init_containers)));
    }
    if !pod.spec.ephemeral_containers.is_empty() {
        obj.insert("ephemeralContainers".into(), json!(containers(&pod.spec.ephemeral_containers)));
    }
    if !volumes.is_empty() {
        obj.insert("volumes".into(), json!(volumes));
    }
    if !pod.spec.image_pull_secrets.is_empty() {
        let refs: Vec<Value> = pod.spec.image_pull_secrets.iter().map(|n| json!({"name": n})).collect();
        obj.insert("imagePullSecrets".into(), json!(refs));
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        "spec": spec,
    })
}

fn container_manifest(c: &Container) -> Value {
    let mut m = json!({
        "name": c.name(),
        "image": c.image(),
        "imagePullPolicy": format!("{:?}", c.image_pull_policy),
    });
    let obj = m.as_object_mut().expect("an object");
    if !c.command.is_empty() {
        obj.insert("command".into(), json!(c.command));
    }
    if !c.args.is_empty() {
        obj.insert("args".into(), json!(c.args));
    }
    if !c.resources.is_empty() {
        obj.insert("resources".into(), json!(c.resources));
    }
    if !c.resize_policy.is_empty() {
        obj.insert("resizePolicy".into(), json!(c.resize_policy));
    }
    if !c.env.is_empty() {
        let env: Vec<Value> = c
            .env
            .iter()
            .map(|e| match &e.source {
                EnvSource::Value(v) => json!({"name": e.name, "value": v}),
                EnvSource::SecretKeyRef { name, key, optional } => {
                    json!({"name": e.name, "valueFrom": {"secretKeyRef": {"name": name, "key": key, "optional": optional}}})
                }
                EnvSource::ConfigMapKeyRef { name, key, optional } => json!({"name": e.name,
                    "valueFrom": {"configMapKeyRef": {"name": name, "key": key, "optional": optional}}}),
                EnvSource::Other => json!({"name": e.name, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}),
            })
            .collect();
        obj.insert("env".into(), json!(env));
    }
    if !c.volume_mounts.is_empty() {
        let mounts: Vec<Value> =
            c.volume_mounts.iter().map(|v| json!({"name": v.name, "mountPath": v.mount_path})).collect();
        obj.insert("volumeMounts".into(), json!(mounts));
    }
    if let Some(p) = c.restart_policy {
        obj.insert("restartPolicy".into(), json!(p.as_str()));
    }
    if !c.restart_policy_rules.is_empty() {
        obj.insert("restartPolicyRules".into(), json!(c.restart_policy_rules));
    }
    let probes = [
        ("livenessProbe", &c.liveness_probe),
        ("readinessProbe", &c.readiness_probe),
        ("startupProbe", &c.startup_probe),
    ];
    for (field, p) in probes {
        if let Some(p) = p {
            obj.insert(field.into(), json!(p));
        }
    }
    if !c.lifecycle.is_empty() {
        let mut lifecycle = serde_json::Map::new();
        if let Some(h) = &c.lifecycle.post_start {
            lifecycle.insert("postStart".into(), handler_manifest(h));
        }
        if let Some(h) = &c.lifecycle.pre_stop {
            lifecycle.insert("preStop".into(), handler_manifest(h));
        }
        obj.insert("lifecycle".into(), Value::Object(lifecycle));
    }
    m
}

/// A hook's action as a v1 `LifecycleHandler`.
fn handler_manifest(h: &LifecycleHandler) -> Value {
    let port = |p: &str| p.parse::<i64>().map_or_else(|_| json!(p), |n| json!(n));
    match h {
        LifecycleHandler::Exec { command } => json!({"exec": {"command": command}}),
        LifecycleHandler::HttpGet { path, port: p, host, scheme } => {
            let mut get = json!({"path": path, "port": port(p), "scheme": scheme});
            if !host.is_empty() {
                get["host"] = json!(host);
            }
            json!({ "httpGet": get })
        }
        LifecycleHandler::Sleep { seconds } => json!({"sleep": {"seconds": seconds}}),
        LifecycleHandler::TcpSocket { port: p } => json!({"tcpSocket": {"port": port(p)}}),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScenarioOut {
    name: String,
    description: String,
    node: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    kubelet: Option<Value>,
    duration: String,
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    real_runtime: Option<crate::scenario::RealRuntime>,
    foreign_containers: u32,
    converge_within: String,
    images: Vec<Value>,
    secrets: Vec<String>,
    config_maps: Vec<String>,
    timeline: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    random_faults: Option<crate::faults::FaultProfile>,
    expect: crate::scenario::Expectations,
}

/// `node:` as the scenario format writes it: the name, or the name with what is on the node at
/// start (pods by name and UID, hashes as numbers, so that it reads back whatever pods are left).
fn node_block(s: &Scenario) -> Value {
    use crate::node_setup::PresetState;
    let setup = &s.node_setup;
    if setup.is_empty() {
        return json!(s.node);
    }
    let pod = |p: &podsim_model::io::PodRef| json!({"name": p.name, "namespace": p.namespace, "uid": p.uid});
    let by_uid = |uid: &str| {
        let sandbox_pod = setup.sandboxes.iter().map(|s| &s.pod).find(|p| p.uid == uid);
        let known = crate::node_setup::scenario_pod(&s.timeline, uid)
            .map(|p| json!({"name": p.name, "namespace": p.namespace, "uid": p.uid}));
        known.or_else(|| sandbox_pod.map(pod)).unwrap_or_else(|| json!({"name": uid, "uid": uid}))
    };
    let sandboxes: Vec<Value> = setup
        .sandboxes
        .iter()
        .map(|b| {
            let state = if b.ready { "ready" } else { "notReady" };
            json!({"id": b.id, "pod": pod(&b.pod), "attempt": b.attempt, "state": state})
        })
        .collect();
    let containers: Vec<Value> = setup
        .containers
        .iter()
        .map(|c| {
            let state = match c.state {
                PresetState::Created => "created",
                PresetState::Running => "running",
                PresetState::Exited => "exited",
            };
            let mut v = json!({"id": c.id, "sandbox": c.sandbox, "name": c.name, "image": c.image,
                "hash": c.hash_value(&s.timeline), "restartCount": c.restart_count, "state": state});
            let obj = v.as_object_mut().expect("an object");
            if c.state == PresetState::Exited {
                obj.insert("exitCode".into(), json!(c.exit_code));
            }
            let (command, args) = c.command(&s.timeline);
            if !command.is_empty() || !args.is_empty() {
                obj.insert("command".into(), json!([command, args].concat()));
            }
            v
        })
        .collect();
    let mounts: Vec<Value> =
        setup.mounts.iter().map(|(uid, volume)| json!({"pod": by_uid(uid), "volume": volume})).collect();
    json!({
        "name": s.node,
        "runtime": {"sandboxes": sandboxes, "containers": containers},
        "dataDirs": setup.data_dirs.iter().map(|uid| by_uid(uid)).collect::<Vec<_>>(),
        "mounts": mounts,
    })
}

/// Writes a scenario as YAML in the scenario format (so `podsim run` reads it back).
pub fn to_yaml(s: &Scenario) -> String {
    let images = s
        .images
        .iter()
        .map(|(name, i)| {
            let mut v = json!({"name": name, "pullLatency": duration::format(i.pull_latency), "preloaded": i.preloaded});
            let obj = v.as_object_mut().expect("an object");
            match i.failure {
                PullFailureSpec::None => {}
                PullFailureSpec::Permanent => {
                    obj.insert("fail".into(), json!({"permanent": true}));
                }
                PullFailureSpec::Transient(n) => {
                    obj.insert("fail".into(), json!({"times": n}));
                }
            }
            if let Some(w) = i.workload {
                obj.insert("command".into(), json!(w.to_command()));
            }
            v
        })
        .collect();
    let at = |t: Millis| duration::format(t);
    let timeline = s
        .timeline
        .iter()
        .map(|(t, a)| match a {
            Action::CreatePod(p) => json!({"at": at(*t), "createPod": pod_manifest(p)}),
            Action::UpdatePod(p) => json!({"at": at(*t), "updatePod": pod_manifest(p)}),
            Action::ResizePod { namespace, name, containers } => json!({
                "at": at(*t),
                "resize": {"name": name, "namespace": namespace, "containers": containers}
            }),
            Action::DeletePod { namespace, name, grace_seconds } => {
                let mut d = json!({"name": name, "namespace": namespace});
                if let Some(g) = grace_seconds {
                    d.as_object_mut().expect("an object").insert("gracePeriodSeconds".into(), json!(g));
                }
                json!({"at": at(*t), "deletePod": d})
            }
            Action::CreateSecret { namespace, name } => {
                json!({"at": at(*t), "createSecret": format!("{namespace}/{name}")})
            }
            Action::DeleteSecret { namespace, name } => {
                json!({"at": at(*t), "deleteSecret": format!("{namespace}/{name}")})
            }
            Action::Fault(f) => json!({"at": at(*t), "fault": f}),
        })
        .collect();
    let out = ScenarioOut {
        name: s.name.clone(),
        description: s.description.clone(),
        node: node_block(s),
        kubelet: crate::scenario::kubelet_block(&s.kubelet),
        duration: duration::format(s.duration),
        seed: s.seed,
        real_runtime: s.real_runtime,
        foreign_containers: s.foreign_containers,
        converge_within: duration::format(s.converge_within),
        images,
        secrets: s.secrets.iter().map(|(ns, n)| format!("{ns}/{n}")).collect(),
        config_maps: s.config_maps.iter().map(|(ns, n)| format!("{ns}/{n}")).collect(),
        timeline,
        random_faults: s.random_faults.clone(),
        expect: s.expect.clone(),
    };
    serde_yaml::to_string(&out).expect("a scenario serialises")
}
