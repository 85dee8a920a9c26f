//! The pod of a sandbox or container: the kubelet's pod labels, a sandbox's metadata, and the label
//! selectors a list is filtered with.

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use podsim_model::io::PodRef;

use crate::labels;

/// model -> CRI: the kubelet's labels of a pod (uid, name, namespace).
pub fn pod_labels(pod: &PodRef) -> HashMap<String, String> {
    HashMap::from([
        (labels::POD_UID.to_string(), pod.uid.to_string()),
        (labels::POD_NAME.to_string(), pod.name.to_string()),
        (labels::POD_NAMESPACE.to_string(), pod.namespace.to_string()),
    ])
}

/// CRI -> model: the pod named by the kubelet's pod labels, if all three are there (an object
/// without them was not made by a kubelet).
pub fn pod_of_labels(labels: &HashMap<String, String>) -> Option<PodRef> {
    Some(PodRef {
        uid: labels.get(labels::POD_UID)?.as_str().into(),
        name: labels.get(labels::POD_NAME)?.as_str().into(),
        namespace: labels.get(labels::POD_NAMESPACE)?.as_str().into(),
    })
}

/// model -> CRI: a sandbox's metadata (its pod, and how many sandboxes the pod had before it).
pub fn sandbox_metadata(pod: &PodRef, attempt: u32) -> cri::PodSandboxMetadata {
    cri::PodSandboxMetadata {
        name: pod.name.to_string(),
        uid: pod.uid.to_string(),
        namespace: pod.namespace.to_string(),
        attempt,
    }
}

/// CRI -> model: the pod named by a sandbox's metadata.
pub fn pod_of_metadata(metadata: &cri::PodSandboxMetadata) -> PodRef {
    PodRef {
        uid: metadata.uid.as_str().into(),
        name: metadata.name.as_str().into(),
        namespace: metadata.namespace.as_str().into(),
    }
}

/// model -> CRI: the label selector of a run's objects, of one pod's when `pod_uid` is given (what the
/// model's `ListPodSandbox` and `ListContainers` filter on).
pub fn label_selector(run_id: &str, pod_uid: Option<&str>) -> HashMap<String, String> {
    let mut selector = HashMap::from([(labels::RUN_ID.to_string(), run_id.to_string())]);
    if let Some(uid) = pod_uid {
        selector.insert(labels::POD_UID.to_string(), uid.to_string());
    }
    selector
}

/// CRI -> model: whether an object with these labels passes a label selector (every label of the
/// selector is on the object with the same value).
pub fn labels_match(labels: &HashMap<String, String>, selector: &HashMap<String, String>) -> bool {
    selector.iter().all(|(key, value)| labels.get(key) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::fixtures::pod;

    #[test]
    fn a_pod_comes_back_the_same_from_its_labels() {
        assert_eq!(pod_of_labels(&pod_labels(&pod())), Some(pod()));
    }

    #[test]
    fn a_pod_comes_back_the_same_from_its_sandbox_metadata() {
        let metadata = sandbox_metadata(&pod(), 3);
        assert_eq!(metadata.attempt, 3);
        assert_eq!(pod_of_metadata(&metadata), pod());
    }

    #[test]
    fn objects_without_all_the_kubelet_labels_belong_to_no_pod() {
        for missing in [labels::POD_UID, labels::POD_NAME, labels::POD_NAMESPACE] {
            let mut labels = pod_labels(&pod());
            labels.remove(missing);
            assert_eq!(pod_of_labels(&labels), None, "without {missing}");
        }
    }

    /// A list request's selector, read back by a server, selects exactly the run's objects (of the
    /// pod, when one is named).
    #[test]
    fn a_selector_selects_the_runs_objects_of_the_pod_and_nothing_else() {
        let mut ours = pod_labels(&pod());
        ours.insert(labels::RUN_ID.into(), "run-1".into());
        let mut other_pod = ours.clone();
        other_pod.insert(labels::POD_UID.into(), "uid-2".into());
        let mut other_run = ours.clone();
        other_run.insert(labels::RUN_ID.into(), "run-2".into());
        let unlabelled = HashMap::new();

        let whole_run = label_selector("run-1", None);
        let one_pod = label_selector("run-1", Some("uid-1"));
        let passes = |selector: &HashMap<String, String>| {
            [&ours, &other_pod, &other_run, &unlabelled].map(|labels| labels_match(labels, selector))
        };
        assert_eq!(passes(&whole_run), [true, true, false, false]);
        assert_eq!(passes(&one_pod), [true, false, false, false]);
    }
}
