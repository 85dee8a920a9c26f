//! Container stats on the simulated node behind `podsim serve-cri`, as containerd 1.6's
//! `ListContainerStats` and `ContainerStats` give them (pkg/cri/server/container_stats_list.go,
//! `containerMetrics`): every container has its attributes and its writable layer; one whose
//! process runs also has CPU and memory usage, sampled now. The figures are simulated and follow
//! from the time the process ran: a steady 1% of a core, and a fixed working set.

use podsim_model::{ContainerState, ContainerStatus, Millis};

use k8s_cri::v1 as cri;

use crate::convert::container::ContainerMeta;
use crate::convert::time::cri_nanos;
use crate::sim_images::IMAGE_FS_MOUNTPOINT;

/// The CPU a running process uses: nanoseconds of CPU per millisecond of wall time (1% of a core).
const CPU_NANOS_PER_MILLI: u64 = 10_000;
/// The memory a running process uses (its working set, and its RSS).
const WORKING_SET_BYTES: u64 = 4 * 1024 * 1024;
const RSS_BYTES: u64 = 3 * 1024 * 1024;
/// The writable layer of a container.
const WRITABLE_LAYER_BYTES: u64 = 8 * 1024;
const WRITABLE_LAYER_INODES: u64 = 4;

/// The stats of a container at `now` (server clock), with CRI timestamps from `origin_unix_nanos`.
pub fn container_stats(
    status: &ContainerStatus,
    meta: &ContainerMeta,
    now: Millis,
    origin_unix_nanos: i64,
) -> cri::ContainerStats {
    let timestamp = cri_nanos(now, origin_unix_nanos);
    let running = status.state == ContainerState::Running;
    let ran_for = status.started_at.map_or(0, |started| now.saturating_sub(started));
    let value = |value: u64| Some(cri::UInt64Value { value });
    cri::ContainerStats {
        attributes: Some(cri::ContainerAttributes {
            id: status.id.to_string(),
            metadata: Some(meta.metadata.clone()),
            labels: meta.labels.clone(),
            annotations: meta.annotations.clone(),
        }),
        cpu: running.then(|| cri::CpuUsage {
            timestamp,
            usage_core_nano_seconds: value(ran_for.saturating_mul(CPU_NANOS_PER_MILLI)),
            usage_nano_cores: value(CPU_NANOS_PER_MILLI * 1_000),
        }),
        memory: running.then(|| cri::MemoryUsage {
            timestamp,
            working_set_bytes: value(WORKING_SET_BYTES),
            available_bytes: None,
            usage_bytes: value(WORKING_SET_BYTES),
            rss_bytes: value(RSS_BYTES),
            page_faults: value(0),
            major_page_faults: value(0),
        }),
        writable_layer: Some(cri::FilesystemUsage {
            timestamp: cri_nanos(status.created_at, origin_unix_nanos),
            fs_id: Some(cri::FilesystemIdentifier { mountpoint: IMAGE_FS_MOUNTPOINT.to_string() }),
            used_bytes: value(WRITABLE_LAYER_BYTES),
            inodes_used: value(WRITABLE_LAYER_INODES),
        }),
        swap: None,
    }
}

/// `ContainerStatsFilter`: id, sandbox and label selector, each only if set.
pub fn stats_pass(stats: &cri::ContainerStats, sandbox_id: &str, filter: &cri::ContainerStatsFilter) -> bool {
    let Some(attributes) = &stats.attributes else { return false };
    (filter.id.is_empty() || attributes.id == filter.id)
        && (filter.pod_sandbox_id.is_empty() || sandbox_id == filter.pod_sandbox_id)
        && crate::convert::pod::labels_match(&attributes.labels, &filter.label_selector)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn status(state: ContainerState) -> ContainerStatus {
        ContainerStatus {
            id: "container-1".into(),
            name: "app".into(),
            state,
            exit_code: 0,
            reason: podsim_model::SharedStr::EMPTY,
            hash: 0,
            restart_count: 0,
            sandbox_id: "sandbox-1".into(),
            image: "busybox".into(),
            created_at: 1_000,
            started_at: (state != ContainerState::Created).then_some(2_000),
            finished_at: None,
            resources: None,
        }
    }

    #[test]
    fn a_running_container_has_cpu_and_memory_sampled_now() {
        let s = status(ContainerState::Running);
        let stats = container_stats(&s, &ContainerMeta::of_status(&s), 12_000, 5);
        let cpu = stats.cpu.unwrap();
        assert_eq!(cpu.timestamp, 12_000 * 1_000_000 + 5);
        assert_eq!(cpu.usage_core_nano_seconds.unwrap().value, 10_000 * CPU_NANOS_PER_MILLI);
        assert_eq!(stats.memory.unwrap().working_set_bytes.unwrap().value, WORKING_SET_BYTES);
        assert_eq!(stats.attributes.unwrap().metadata.unwrap().name, "app");
    }

    #[test]
    fn a_container_that_does_not_run_has_its_layer_only() {
        let s = status(ContainerState::Created);
        let stats = container_stats(&s, &ContainerMeta::of_status(&s), 12_000, 0);
        assert!(stats.cpu.is_none() && stats.memory.is_none());
        assert!(stats.writable_layer.is_some());
    }

    #[test]
    fn filters_select_by_id_sandbox_and_labels() {
        let s = status(ContainerState::Running);
        let mut meta = ContainerMeta::of_status(&s);
        meta.labels = HashMap::from([("app".to_string(), "web".to_string())]);
        let stats = container_stats(&s, &meta, 0, 0);
        let filter = |id: &str, sandbox: &str, label: Option<&str>| cri::ContainerStatsFilter {
            id: id.into(),
            pod_sandbox_id: sandbox.into(),
            label_selector: label
                .map(|v| HashMap::from([("app".to_string(), v.to_string())]))
                .unwrap_or_default(),
        };
        assert!(stats_pass(&stats, "sandbox-1", &filter("", "", None)));
        assert!(stats_pass(&stats, "sandbox-1", &filter("container-1", "sandbox-1", Some("web"))));
        assert!(!stats_pass(&stats, "sandbox-1", &filter("container-2", "", None)));
        assert!(!stats_pass(&stats, "sandbox-1", &filter("", "sandbox-2", None)));
        assert!(!stats_pass(&stats, "sandbox-1", &filter("", "", Some("db"))));
    }
}
