//! Sandbox and container states, and the container kind podsim keeps in an annotation.

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use podsim_model::{ContainerKind, ContainerState, SandboxState};
use tonic::Status;

use crate::labels;

/// CRI -> model: the model's state of a CRI `ContainerState` (an unknown value is `Unknown`).
pub fn container_state(state: i32) -> ContainerState {
    match cri::ContainerState::try_from(state) {
        Ok(cri::ContainerState::ContainerCreated) => ContainerState::Created,
        Ok(cri::ContainerState::ContainerRunning) => ContainerState::Running,
        Ok(cri::ContainerState::ContainerExited) => ContainerState::Exited,
        _ => ContainerState::Unknown,
    }
}

/// model -> CRI: the CRI `ContainerState` of the model's state.
pub fn cri_container_state(state: ContainerState) -> cri::ContainerState {
    match state {
        ContainerState::Created => cri::ContainerState::ContainerCreated,
        ContainerState::Running => cri::ContainerState::ContainerRunning,
        ContainerState::Exited => cri::ContainerState::ContainerExited,
        ContainerState::Unknown => cri::ContainerState::ContainerUnknown,
    }
}

/// CRI -> model: the model's state of a CRI `PodSandboxState` (ready only if `SANDBOX_READY`).
pub fn sandbox_state(state: i32) -> SandboxState {
    if state == cri::PodSandboxState::SandboxReady as i32 {
        SandboxState::Ready
    } else {
        SandboxState::NotReady
    }
}

/// model -> CRI: the CRI `PodSandboxState` of the model's state.
pub fn cri_sandbox_state(state: SandboxState) -> cri::PodSandboxState {
    match state {
        SandboxState::Ready => cri::PodSandboxState::SandboxReady,
        SandboxState::NotReady => cri::PodSandboxState::SandboxNotready,
    }
}

/// model -> CRI: the value of podsim's [`labels::CONTAINER_KIND`] annotation for a kind.
pub fn kind_annotation(kind: ContainerKind) -> &'static str {
    match kind {
        ContainerKind::Init => "init",
        ContainerKind::Regular => "regular",
        ContainerKind::Ephemeral => "ephemeral",
    }
}

/// CRI -> model: the container's kind from podsim's annotation (`init`, `regular`, `ephemeral`, in
/// any case; regular without it; any other word is an error).
pub fn container_kind(annotations: &HashMap<String, String>) -> Result<ContainerKind, Status> {
    let Some(kind) = annotations.get(labels::CONTAINER_KIND) else { return Ok(ContainerKind::Regular) };
    match kind.to_ascii_lowercase().as_str() {
        "init" => Ok(ContainerKind::Init),
        "regular" => Ok(ContainerKind::Regular),
        "ephemeral" => Ok(ContainerKind::Ephemeral),
        _ => Err(Status::invalid_argument(format!(
            "annotation {} must be init, regular or ephemeral, not {kind:?}",
            labels::CONTAINER_KIND
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_container_state_comes_back_the_same() {
        for (model, cri_state) in [
            (ContainerState::Created, cri::ContainerState::ContainerCreated),
            (ContainerState::Running, cri::ContainerState::ContainerRunning),
            (ContainerState::Exited, cri::ContainerState::ContainerExited),
            (ContainerState::Unknown, cri::ContainerState::ContainerUnknown),
        ] {
            assert_eq!(cri_container_state(model), cri_state);
            assert_eq!(container_state(cri_state as i32), model);
        }
    }

    #[test]
    fn a_container_state_the_cri_does_not_define_is_unknown() {
        assert_eq!(container_state(4), ContainerState::Unknown);
        assert_eq!(container_state(-1), ContainerState::Unknown);
    }

    #[test]
    fn every_sandbox_state_comes_back_the_same() {
        for (model, cri_state) in [
            (SandboxState::Ready, cri::PodSandboxState::SandboxReady),
            (SandboxState::NotReady, cri::PodSandboxState::SandboxNotready),
        ] {
            assert_eq!(cri_sandbox_state(model), cri_state);
            assert_eq!(sandbox_state(cri_state as i32), model);
        }
    }

    #[test]
    fn a_sandbox_state_the_cri_does_not_define_is_not_ready() {
        assert_eq!(sandbox_state(2), SandboxState::NotReady);
    }

    #[test]
    fn every_container_kind_comes_back_the_same() {
        for (kind, word) in [
            (ContainerKind::Init, "init"),
            (ContainerKind::Regular, "regular"),
            (ContainerKind::Ephemeral, "ephemeral"),
        ] {
            assert_eq!(kind_annotation(kind), word);
            let annotations = HashMap::from([(labels::CONTAINER_KIND.to_string(), word.to_string())]);
            assert_eq!(container_kind(&annotations).unwrap(), kind);
        }
    }

    #[test]
    fn a_kind_is_read_in_any_case_and_regular_without_the_annotation() {
        let upper = HashMap::from([(labels::CONTAINER_KIND.to_string(), "Init".to_string())]);
        assert_eq!(container_kind(&upper).unwrap(), ContainerKind::Init);
        assert_eq!(container_kind(&HashMap::new()).unwrap(), ContainerKind::Regular);
    }

    #[test]
    fn an_unknown_kind_is_an_error_naming_the_annotation() {
        let sidecar = HashMap::from([(labels::CONTAINER_KIND.to_string(), "sidecar".to_string())]);
        let error = container_kind(&sidecar).unwrap_err();
        assert_eq!(error.code(), tonic::Code::InvalidArgument);
        assert!(error.message().contains(labels::CONTAINER_KIND) && error.message().contains("sidecar"));
    }
}
