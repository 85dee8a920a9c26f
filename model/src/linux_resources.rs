//! The cgroup values the kubelet hands the runtime for a container (the CRI's
//! `LinuxContainerResources`) and how it reads them back from the runtime's container status.
//!
//! Mirrors pkg/kubelet/kuberuntime/kuberuntime_container_linux.go `calculateLinuxResources`,
//! helpers_linux.go `milliCPUToShares`, `milliCPUToQuota`, `sharesToMilliCPU`, `quotaToMilliCPU`, and
//! kuberuntime_container.go `toKubeContainerResources`, with the kubelet's defaults: CFS quota
//! enforced (`cpuCFSQuota: true`) with the 100 ms period (`cpuCFSQuotaPeriod`).

use serde::{Deserialize, Serialize};

use crate::pod::{ActualResources, Quantity, ResourceRequirements};

/// `cm.MinShares`.
pub const MIN_SHARES: i64 = 2;
/// `cm.MaxShares`.
pub const MAX_SHARES: i64 = 262_144;
/// `cm.SharesPerCPU`.
const SHARES_PER_CPU: i64 = 1024;
/// `cm.MilliCPUToCPU`.
const MILLI_CPU_TO_CPU: i64 = 1000;
/// `cm.QuotaPeriod`: the default `cpuCFSQuotaPeriod` (100 ms, in µs).
pub const QUOTA_PERIOD: i64 = 100_000;
/// `cm.MinQuotaPeriod` (1 ms, in µs): the smallest quota the kubelet sets.
const MIN_QUOTA_PERIOD: i64 = 1000;

/// The CRI's `LinuxContainerResources`, reduced to what in-place resize touches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxContainerResources {
    /// `cpu_period` (µs; 0: unset).
    pub cpu_period: i64,
    /// `cpu_quota` (µs; 0: no limit).
    pub cpu_quota: i64,
    /// `cpu_shares`.
    pub cpu_shares: i64,
    /// `memory_limit_in_bytes` (0: no limit).
    pub memory_limit_in_bytes: i64,
}

/// `milliCPUToShares`: 0 (no request) gives the minimum; otherwise 1024 shares a cpu, clamped.
pub fn milli_cpu_to_shares(milli_cpu: i64) -> i64 {
    if milli_cpu == 0 {
        return MIN_SHARES;
    }
    (milli_cpu.saturating_mul(SHARES_PER_CPU) / MILLI_CPU_TO_CPU).clamp(MIN_SHARES, MAX_SHARES)
}

/// `milliCPUToQuota`: 0 (no limit) gives 0; otherwise the share of `period`, at least 1 ms.
pub fn milli_cpu_to_quota(milli_cpu: i64, period: i64) -> i64 {
    if milli_cpu == 0 {
        return 0;
    }
    (milli_cpu.saturating_mul(period) / MILLI_CPU_TO_CPU).max(MIN_QUOTA_PERIOD)
}

/// `sharesToMilliCPU`: shares below the minimum read as no request; otherwise rounded up.
pub fn shares_to_milli_cpu(shares: i64) -> i64 {
    if shares < MIN_SHARES {
        return 0;
    }
    let scaled = shares.saturating_mul(MILLI_CPU_TO_CPU);
    scaled / SHARES_PER_CPU + i64::from(scaled % SHARES_PER_CPU != 0)
}

/// `quotaToMilliCPU`: -1 (no limit) stays -1.
pub fn quota_to_milli_cpu(quota: i64, period: i64) -> i64 {
    if quota == -1 || period <= 0 {
        return -1;
    }
    quota.saturating_mul(MILLI_CPU_TO_CPU) / period
}

/// `calculateLinuxResources` for a container's resources (as the kubelet allocated them): shares
/// from the cpu request (from the limit when only a limit is set), a quota from the cpu limit over
/// the default period, the memory limit.
pub fn calculate_linux_resources(resources: &ResourceRequirements) -> LinuxContainerResources {
    let requests = &resources.requests;
    let limits = &resources.limits;
    let cpu_shares = match (&requests.cpu, &limits.cpu) {
        (None, Some(limit)) => milli_cpu_to_shares(limit.milli_value()),
        _ => milli_cpu_to_shares(requests.cpu_milli()),
    };
    LinuxContainerResources {
        cpu_period: QUOTA_PERIOD,
        cpu_quota: milli_cpu_to_quota(limits.cpu_milli(), QUOTA_PERIOD),
        cpu_shares,
        memory_limit_in_bytes: limits.memory_bytes().max(0),
    }
}

/// `toKubeContainerResources`: what the kubelet reads from the runtime's report of a container's
/// cgroup values (a cpu limit from a positive quota over a positive period, a cpu request from the
/// shares, a memory limit when set).
pub fn to_kube_container_resources(linux: &LinuxContainerResources) -> ActualResources {
    let milli = |m: i64| Quantity::parse(&format!("{m}m")).expect("a whole number of millicores parses");
    let bytes = |b: i64| Quantity::parse(&b.to_string()).expect("a whole number of bytes parses");
    let cpu_limit = (linux.cpu_period > 0)
        .then(|| quota_to_milli_cpu(linux.cpu_quota, linux.cpu_period))
        .filter(|&m| m > 0)
        .map(milli);
    let cpu_request =
        (linux.cpu_shares > 0).then(|| shares_to_milli_cpu(linux.cpu_shares)).filter(|&m| m > 0).map(milli);
    let memory_limit = (linux.memory_limit_in_bytes > 0).then(|| bytes(linux.memory_limit_in_bytes));
    ActualResources { cpu_request, cpu_limit, memory_limit }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::ResourceList;

    fn q(t: &str) -> Option<Quantity> {
        Some(Quantity::parse(t).unwrap())
    }

    /// helpers_linux_test.go `TestMilliCPUToQuota` and `TestMilliCPUToShares`-style values: the
    /// rounding and the floors.
    #[test]
    fn shares_and_quota_round_trip_as_the_kubelet_reads_them() {
        assert_eq!(milli_cpu_to_shares(0), 2);
        assert_eq!(milli_cpu_to_shares(1), 2);
        assert_eq!(milli_cpu_to_shares(100), 102);
        assert_eq!(milli_cpu_to_shares(1000), 1024);
        assert_eq!(milli_cpu_to_shares(1_000_000), MAX_SHARES);
        assert_eq!(shares_to_milli_cpu(102), 100);
        assert_eq!(shares_to_milli_cpu(2), 2);
        assert_eq!(shares_to_milli_cpu(1), 0);
        assert_eq!(milli_cpu_to_quota(0, QUOTA_PERIOD), 0);
        assert_eq!(milli_cpu_to_quota(5, QUOTA_PERIOD), 1000, "at least 1 ms");
        assert_eq!(milli_cpu_to_quota(250, QUOTA_PERIOD), 25_000);
        assert_eq!(quota_to_milli_cpu(25_000, QUOTA_PERIOD), 250);
        assert_eq!(quota_to_milli_cpu(-1, QUOTA_PERIOD), -1);
    }

    #[test]
    fn a_burstable_container_reads_back_its_request_and_limits() {
        let r = ResourceRequirements {
            requests: ResourceList { cpu: q("250m"), memory: q("64Mi") },
            limits: ResourceList { cpu: q("500m"), memory: q("128Mi") },
        };
        let linux = calculate_linux_resources(&r);
        assert_eq!(
            linux,
            LinuxContainerResources {
                cpu_period: 100_000,
                cpu_quota: 50_000,
                cpu_shares: 256,
                memory_limit_in_bytes: 128 << 20
            }
        );
        let actual = to_kube_container_resources(&linux);
        assert_eq!(actual.cpu_request.unwrap().milli_value(), 250);
        assert_eq!(actual.cpu_limit.unwrap().milli_value(), 500);
        assert_eq!(actual.memory_limit.unwrap().value(), 128 << 20);
    }

    #[test]
    fn a_best_effort_container_gets_the_minimum_shares_and_no_limits() {
        let linux = calculate_linux_resources(&ResourceRequirements::default());
        assert_eq!(linux.cpu_shares, 2);
        assert_eq!(linux.cpu_quota, 0);
        let actual = to_kube_container_resources(&linux);
        assert_eq!(actual.cpu_request.unwrap().milli_value(), 2);
        assert!(actual.cpu_limit.is_none() && actual.memory_limit.is_none());
    }

    #[test]
    fn a_limit_without_a_request_sets_the_shares() {
        let r = ResourceRequirements {
            limits: ResourceList { cpu: q("1"), memory: None },
            ..ResourceRequirements::default()
        };
        assert_eq!(calculate_linux_resources(&r).cpu_shares, 1024);
    }
}
