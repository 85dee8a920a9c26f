//! The Kubernetes manifests of examples/explore-job/ read as the API objects they claim to be
//! (k8s-openapi, Kubernetes 1.36), with every field known to the API: k8s-openapi skips a field it does
//! not know, so each document is read through `serde_ignored`, and a field it skipped fails the test.
//! The Job is an Indexed Job whose completion index picks the shard, with as many shards as
//! completions, writing to the volume the merge pod reads.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaim, Pod};
use serde::de::DeserializeOwned;

const DIR: &str = "examples/explore-job";

/// Reads a YAML document as `T`; every field `T` does not know is an error, named by its path.
fn read_strict<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut unknown = Vec::new();
    let value = serde_ignored::deserialize(serde_yaml::Deserializer::from_str(text), |path| {
        // `?` marks an optional value's inside; the path is the fields and indices.
        let steps: Vec<String> =
            path.to_string().split('.').filter(|s| *s != "?").map(str::to_string).collect();
        unknown.push(steps.join("."))
    })
    .map_err(|e| e.to_string())?;
    if unknown.is_empty() {
        Ok(value)
    } else {
        Err(format!("fields the API does not know: {}", unknown.join(", ")))
    }
}

fn read_example<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{DIR}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_strict(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn the_container(containers: &[Container]) -> &Container {
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// The value after `flag` in a container's args.
fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} in {args:?}"));
    &args[at + 1]
}

#[test]
fn the_job_is_an_indexed_job_running_one_shard_per_index() {
    let job: Job = read_example("job.yaml");
    let spec = job.spec.expect("a spec");
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    let completions = spec.completions.expect("completions");
    assert!(spec.parallelism.expect("parallelism") <= completions);
    let pod = spec.template.spec.expect("a pod spec");
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"), "podFailurePolicy needs Never");

    let explore = the_container(&pod.containers);
    let args = explore.args.as_ref().expect("args");
    assert_eq!(args[0], "explore");
    assert_eq!(
        arg_after(args, "--shard"),
        format!("$(JOB_COMPLETION_INDEX)/{completions}"),
        "N = completions"
    );
    let result = arg_after(args, "--json-file");
    assert!(result.contains("$(JOB_COMPLETION_INDEX)"), "one file per shard: {result}");

    // $(JOB_COMPLETION_INDEX) is expanded from the container's own variable, the completion index.
    let env = explore.env.as_ref().expect("env");
    let index = env.iter().find(|e| e.name == "JOB_COMPLETION_INDEX").expect("JOB_COMPLETION_INDEX");
    let field = index.value_from.as_ref().and_then(|v| v.field_ref.as_ref()).expect("a field ref");
    assert_eq!(field.field_path, "metadata.annotations['batch.kubernetes.io/job-completion-index']");

    // The results land on the claim the merge pod reads.
    let mounts = explore.volume_mounts.as_ref().expect("volume mounts");
    let mount = mounts.iter().find(|m| result.starts_with(&format!("{}/", m.mount_path))).expect("a mount");
    let volumes = pod.volumes.as_ref().expect("volumes");
    let volume = volumes.iter().find(|v| v.name == mount.name).expect("the mount's volume");
    let claim = volume.persistent_volume_claim.as_ref().expect("a claim").claim_name.clone();
    let pvc: PersistentVolumeClaim = read_example("results-pvc.yaml");
    assert_eq!(pvc.metadata.name.as_deref(), Some(claim.as_str()));
    assert_eq!(pvc.spec.expect("a spec").access_modes, Some(vec!["ReadWriteMany".to_string()]));

    let merge: Pod = read_example("merge-pod.yaml");
    let merge_spec = merge.spec.expect("a spec");
    let merge_container = the_container(&merge_spec.containers);
    let merge_args = merge_container.args.as_ref().expect("args");
    assert_eq!(merge_args[..2], ["explore".to_string(), "merge".to_string()]);
    let merge_mount = &merge_container.volume_mounts.as_ref().expect("a mount")[0];
    assert_eq!(merge_args[2], merge_mount.mount_path, "merge reads the folder the shards write to");
    let merge_volume = &merge_spec.volumes.as_ref().expect("a volume")[0];
    assert_eq!(merge_volume.persistent_volume_claim.as_ref().expect("a claim").claim_name, claim);
    assert_eq!(merge_container.image, explore.image, "one image");
}

/// The reader refuses what the API would not take: a misspelt field anywhere, and another kind.
#[test]
fn a_misspelt_field_or_another_kind_is_refused() {
    let text = std::fs::read_to_string(format!("{DIR}/job.yaml")).unwrap();
    assert!(read_strict::<Job>(&text).is_ok());
    let misspellings = [
        ("completionMode: Indexed", "completionMod: Indexed", "spec.completionMod"),
        ("parallelism: 8", "paralelism: 8", "spec.paralelism"),
        (
            "imagePullPolicy: IfNotPresent",
            "imagePullPolicyy: IfNotPresent",
            "spec.template.spec.containers.0.imagePullPolicyy",
        ),
        ("restartPolicy: Never", "restartPolice: Never", "spec.template.spec.restartPolice"),
    ];
    for (right, wrong, path) in misspellings {
        assert!(text.contains(right), "{right}");
        let misspelt = text.replacen(right, wrong, 1);
        // k8s-openapi alone skips the field it does not know: the check is the reader's own.
        assert!(serde_yaml::from_str::<Job>(&misspelt).is_ok(), "{wrong}");
        let e = read_strict::<Job>(&misspelt).expect_err(wrong);
        assert!(e.contains(path), "{wrong}: {e}");
    }
    let e = read_strict::<Job>(&text.replacen("kind: Job", "kind: CronJob", 1)).expect_err("a CronJob");
    assert!(e.contains("CronJob"), "{e}");
    let e = read_strict::<Job>(&text.replacen("apiVersion: batch/v1", "apiVersion: batch/v2", 1))
        .expect_err("v2");
    assert!(e.contains("batch/v2"), "{e}");
}
