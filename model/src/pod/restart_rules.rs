//! A container's own restart policy and restart rules (KEP-5307 `ContainerRestartRules`, KEP-5532
//! `RestartAllContainers`), and the podutil functions that read them (pkg/api/v1/pod/util.go).

use serde::{Deserialize, Serialize};

use super::{Container, PodSpec, RestartPolicy};

/// `ContainerRestartRuleAction`: what happens when a rule matches a container's exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RestartRuleAction {
    /// Restart the container that exited.
    Restart,
    /// Restart every init and regular container of the pod in place (KEP-5532).
    RestartAllContainers,
}

/// `ContainerRestartRuleOnExitCodesOperator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ExitCodesOperator {
    /// The exit code is one of the values.
    In,
    /// The exit code is none of the values.
    NotIn,
}

/// `ContainerRestartRuleOnExitCodes`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCodes {
    /// `operator`.
    pub operator: ExitCodesOperator,
    /// `values`.
    #[serde(default)]
    pub values: Vec<i32>,
}

/// One `restartPolicyRules` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerRestartRule {
    /// `action`.
    pub action: RestartRuleAction,
    /// `exitCodes` (required by validation).
    pub exit_codes: ExitCodes,
}

impl ContainerRestartRule {
    /// Whether this rule's condition holds for an exit code (the body of
    /// `findMatchingContainerRestartRule`).
    pub fn matches(&self, exit_code: i32) -> bool {
        let listed = self.exit_codes.values.contains(&exit_code);
        match self.exit_codes.operator {
            ExitCodesOperator::In => listed,
            ExitCodesOperator::NotIn => !listed,
        }
    }
}

/// `findMatchingContainerRestartRule`: the first rule of the container whose condition holds.
pub fn find_matching_container_restart_rule(
    container: &Container,
    exit_code: i32,
) -> Option<&ContainerRestartRule> {
    container.restart_policy_rules.iter().find(|r| r.matches(exit_code))
}

/// `podutil.ContainerShouldRestart`: whether a container that exited with `exit_code` is to be
/// restarted. The container's rules are read first (a matching `Restart` restarts it; any other
/// action falls through), then its own restart policy, then the pod's. (Rules count only when the
/// container sets its own restart policy, as validation requires.)
pub fn container_should_restart(container: &Container, spec: &PodSpec, exit_code: i32) -> bool {
    if let Some(policy) = container.restart_policy {
        let rule = find_matching_container_restart_rule(container, exit_code);
        if rule.is_some_and(|r| r.action == RestartRuleAction::Restart) {
            return true;
        }
        return policy_restarts(policy, exit_code);
    }
    policy_restarts(spec.restart_policy, exit_code)
}

/// `podutil.IsContainerRestartable`: the container can be restarted at all (a `Restart` rule, or a
/// container policy other than Never; without a container policy, the pod's).
pub fn is_container_restartable(container: &Container, spec: &PodSpec) -> bool {
    match container.restart_policy {
        Some(policy) => {
            container.restart_policy_rules.iter().any(|r| r.action == RestartRuleAction::Restart)
                || policy != RestartPolicy::Never
        }
        None => spec.restart_policy != RestartPolicy::Never,
    }
}

/// Always restarts; OnFailure restarts a non-zero exit; Never does not.
fn policy_restarts(policy: RestartPolicy, exit_code: i32) -> bool {
    match policy {
        RestartPolicy::Always => true,
        RestartPolicy::OnFailure => exit_code != 0,
        RestartPolicy::Never => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Pod;

    fn rule(action: RestartRuleAction, operator: ExitCodesOperator, values: &[i32]) -> ContainerRestartRule {
        ContainerRestartRule { action, exit_codes: ExitCodes { operator, values: values.to_vec() } }
    }

    #[test]
    fn rules_first_then_the_container_policy_then_the_pod_policy() {
        let mut pod = Pod::new("p", "u", "n");
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        let mut c = Container::new("c", "i:1");
        // No container policy: the pod's.
        assert!(!container_should_restart(&c, &pod.spec, 1));
        c.restart_policy = Some(RestartPolicy::Never);
        c.restart_policy_rules = vec![rule(RestartRuleAction::Restart, ExitCodesOperator::In, &[42])];
        assert!(container_should_restart(&c, &pod.spec, 42));
        assert!(!container_should_restart(&c, &pod.spec, 1));
        assert!(is_container_restartable(&c, &pod.spec));
        // NotIn.
        c.restart_policy_rules = vec![rule(RestartRuleAction::Restart, ExitCodesOperator::NotIn, &[0])];
        assert!(container_should_restart(&c, &pod.spec, 3));
        assert!(!container_should_restart(&c, &pod.spec, 0));
        // A RestartAllContainers match does not restart the container by itself.
        c.restart_policy_rules =
            vec![rule(RestartRuleAction::RestartAllContainers, ExitCodesOperator::In, &[7])];
        assert!(!container_should_restart(&c, &pod.spec, 7));
        assert!(!is_container_restartable(&c, &pod.spec));
        c.restart_policy = Some(RestartPolicy::OnFailure);
        assert!(container_should_restart(&c, &pod.spec, 7));
        assert!(!container_should_restart(&c, &pod.spec, 0));
    }
}
