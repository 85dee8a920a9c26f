//! The kubelet's feature gates that change pod-management decisions (pkg/features/kube_features.go).
//!
//! Only the gates that `computePodActions`, `getPhase`, the status the kubelet writes and its
//! CrashLoopBackOff (`newCrashLoopBackOff` in kubelet.go) read are here; each defaults to the kubelet's current default (see [`GATES`]). A gate name podsim does not
//! know is an error, never ignored: `--feature-gates` on the command line and `kubelet.featureGates`
//! in a scenario both go through [`FeatureGates::set`].

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One gate podsim knows: its kubelet name, its default, and what it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateInfo {
    /// The name as the kubelet spells it (`--feature-gates NAME=true`).
    pub name: &'static str,
    /// The kubelet's current default.
    pub default: bool,
    /// Its stages by release, as kube_features.go lists them.
    pub stages: &'static str,
    /// What it changes in the model.
    pub effect: &'static str,
}

/// Every gate podsim knows, in the order `--help` lists them.
///
/// Defaults and stages as of the newest Kubernetes sources found (pkg/features/kube_features.go of
/// 1.35, read_file id 378079260; the 1.37 shared versioned gate list, id 61706514746; and the merged
/// promotion PRs). Where a gate is locked in the current kubelet, podsim still lets it be turned off,
/// to model the older kubelets that allowed it; the `stages` text says which.
pub const GATES: [GateInfo; 6] = [
    GateInfo {
        name: "SidecarContainers",
        default: true,
        stages: "alpha 1.28, beta (on) 1.29, GA (locked on) 1.33, removed after 1.35 (kube_features.go \
                 1.35: \"GA in 1.33 remove in 1.36\"); =false models a 1.28-1.32 kubelet with the gate off",
        effect:
            "off: the legacy init-container path (findNextInitContainerToRun, NextInitContainerToStart); \
                 the API server drops restartPolicy from init containers, so none is a sidecar",
    },
    GateInfo {
        name: "InPlacePodVerticalScaling",
        default: true,
        stages:
            "alpha 1.27, beta (on) 1.33, GA (locked on) 1.35 (1.37 versioned gates: \"remove in 1.38\"); \
                 =false models a kubelet before 1.35 with the gate off",
        effect: "container resources are resized in place (resizePolicy NotRequired) or by a restart \
                 (RestartContainer); off: resources are never compared and resizePolicy is dropped",
    },
    GateInfo {
        name: "ContainerRestartRules",
        default: true,
        stages: "alpha 1.34, beta (on) 1.35 (kube_features.go 1.35; kubernetes#134631)",
        effect: "a container's own restartPolicy and restartPolicyRules (action Restart); off: the API \
                 server drops both and the kubelet reads the pod's restartPolicy only",
    },
    GateInfo {
        name: "RestartAllContainersOnContainerExits",
        default: true,
        stages: "alpha 1.35 (off), beta (on) 1.36 (kubernetes#136681, KEP-5532; the newest \
                 kube_features.go in the index, 1.35, still lists it alpha and off)",
        effect: "the RestartAllContainers action of restartPolicyRules (and rules on sidecars): the \
                 kubelet kills and removes every init and regular container and starts the pod over in \
                 its sandbox; off: the action is refused by the API server",
    },
    GateInfo {
        name: "KubeletCrashLoopBackOffMax",
        default: true,
        stages: "alpha 1.32, beta (on) 1.35",
        effect: "the kubelet setting crashLoopBackOff.maxContainerRestartPeriod (1s-300s) may be set",
    },
    GateInfo {
        name: "ReduceDefaultCrashLoopBackOffDecay",
        default: false,
        stages: "alpha 1.33",
        effect: "CrashLoopBackOff starts at 1 s and stops at 60 s instead of 10 s and 300 s",
    },
];

/// The values of the gates podsim knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureGates {
    /// `SidecarContainers`.
    pub sidecar_containers: bool,
    /// `InPlacePodVerticalScaling`.
    pub in_place_pod_vertical_scaling: bool,
    /// `ContainerRestartRules`.
    pub container_restart_rules: bool,
    /// `RestartAllContainersOnContainerExits`.
    pub restart_all_containers_on_container_exits: bool,
    /// `KubeletCrashLoopBackOffMax`.
    pub kubelet_crash_loop_back_off_max: bool,
    /// `ReduceDefaultCrashLoopBackOffDecay`.
    pub reduce_default_crash_loop_back_off_decay: bool,
}

impl Default for FeatureGates {
    fn default() -> FeatureGates {
        FeatureGates {
            sidecar_containers: GATES[0].default,
            in_place_pod_vertical_scaling: GATES[1].default,
            container_restart_rules: GATES[2].default,
            restart_all_containers_on_container_exits: GATES[3].default,
            kubelet_crash_loop_back_off_max: GATES[4].default,
            reduce_default_crash_loop_back_off_decay: GATES[5].default,
        }
    }
}

impl FeatureGates {
    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "SidecarContainers" => Some(&mut self.sidecar_containers),
            "InPlacePodVerticalScaling" => Some(&mut self.in_place_pod_vertical_scaling),
            "ContainerRestartRules" => Some(&mut self.container_restart_rules),
            "RestartAllContainersOnContainerExits" => {
                Some(&mut self.restart_all_containers_on_container_exits)
            }
            "KubeletCrashLoopBackOffMax" => Some(&mut self.kubelet_crash_loop_back_off_max),
            "ReduceDefaultCrashLoopBackOffDecay" => Some(&mut self.reduce_default_crash_loop_back_off_decay),
            _ => None,
        }
    }

    /// The value of the gate with this kubelet name, if podsim knows it.
    pub fn get(&self, name: &str) -> Option<bool> {
        let mut copy = *self;
        copy.slot(name).map(|v| *v)
    }

    /// Sets one gate; an unknown name is an error naming the gates podsim knows.
    pub fn set(&mut self, name: &str, value: bool) -> Result<(), String> {
        match self.slot(name) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => Err(format!("unknown feature gate {name:?} (known: {})", known_names())),
        }
    }

    /// The kubelet's `--feature-gates` syntax: `A=true,B=false` (spaces around items allowed), applied
    /// over the defaults.
    pub fn parse(list: &str) -> Result<FeatureGates, String> {
        let mut gates = FeatureGates::default();
        gates.apply(list)?;
        Ok(gates)
    }

    /// Applies a `--feature-gates` list over these values.
    pub fn apply(&mut self, list: &str) -> Result<(), String> {
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let Some((name, value)) = item.split_once('=') else {
                return Err(format!("feature gate {item:?}: expected NAME=true or NAME=false"));
            };
            let value = match value.trim() {
                "true" => true,
                "false" => false,
                other => return Err(format!("feature gate {}: {other:?} is not true or false", name.trim())),
            };
            self.set(name.trim(), value)?;
        }
        Ok(())
    }

    /// The gates whose value differs from the default, by name (what a scenario or trace records).
    pub fn non_default(&self) -> BTreeMap<&'static str, bool> {
        GATES
            .iter()
            .filter_map(|g| {
                let value = self.get(g.name).expect("every listed gate has a slot");
                (value != g.default).then_some((g.name, value))
            })
            .collect()
    }
}

fn known_names() -> String {
    GATES.iter().map(|g| g.name).collect::<Vec<_>>().join(", ")
}

/// Serialised as the map of gates that differ from the default.
impl Serialize for FeatureGates {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.non_default().serialize(serializer)
    }
}

/// Read from a map `{NAME: bool}` over the defaults; an unknown name is an error.
impl<'de> Deserialize<'de> for FeatureGates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FeatureGates, D::Error> {
        let map = BTreeMap::<String, bool>::deserialize(deserializer)?;
        let mut gates = FeatureGates::default();
        for (name, value) in map {
            gates.set(&name, value).map_err(serde::de::Error::custom)?;
        }
        Ok(gates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_applies_over_the_defaults() {
        let gates =
            FeatureGates::parse("ContainerRestartRules=false, RestartAllContainersOnContainerExits=true")
                .unwrap();
        assert!(!gates.container_restart_rules);
        assert!(gates.restart_all_containers_on_container_exits);
        assert_eq!(gates.sidecar_containers, FeatureGates::default().sidecar_containers);
        let off = FeatureGates::parse("RestartAllContainersOnContainerExits=false").unwrap();
        assert!(!off.restart_all_containers_on_container_exits);
        assert_eq!(FeatureGates::parse("").unwrap(), FeatureGates::default());
    }

    /// The current kubelet (1.36+) has all four on: SidecarContainers and InPlacePodVerticalScaling GA,
    /// ContainerRestartRules beta since 1.35, RestartAllContainersOnContainerExits beta since 1.36.
    #[test]
    fn every_gate_is_on_by_default_as_in_the_current_kubelet() {
        let d = FeatureGates::default();
        assert!(d.sidecar_containers && d.in_place_pod_vertical_scaling);
        assert!(d.container_restart_rules && d.restart_all_containers_on_container_exits);
        assert!(d.non_default().is_empty());
    }

    #[test]
    fn unknown_names_and_values_are_errors() {
        let e = FeatureGates::parse("NoSuchGate=true").unwrap_err();
        assert!(e.contains("unknown feature gate \"NoSuchGate\"") && e.contains("SidecarContainers"), "{e}");
        assert!(FeatureGates::parse("SidecarContainers=yes").unwrap_err().contains("not true or false"));
        assert!(FeatureGates::parse("SidecarContainers").unwrap_err().contains("NAME=true"));
    }

    #[test]
    fn deserialises_over_the_defaults_and_refuses_unknown_names() {
        use serde::de::value::{Error, MapDeserializer};
        let read = |pairs: Vec<(String, bool)>| {
            FeatureGates::deserialize(MapDeserializer::<_, Error>::new(pairs.into_iter()))
        };
        let gates = read(vec![("SidecarContainers".to_string(), false)]).unwrap();
        assert_eq!(gates, FeatureGates::parse("SidecarContainers=false").unwrap());
        assert_eq!(gates.non_default().into_iter().collect::<Vec<_>>(), vec![("SidecarContainers", false)]);
        assert!(read(vec![("Nope".to_string(), true)])
            .unwrap_err()
            .to_string()
            .contains("unknown feature gate"));
    }
}
