//! podsim's real-runtime backend: the same scenarios replayed on a real containerd, through the CRI
//! (runtime.v1) API that the kubelet itself uses.
//!
//! - [`convert`]: the model's CRI requests, replies and statuses and the CRI's protobuf types, both
//!   ways (for the client and for the simulated server).
//! - [`client`]: carries out the kubelet model's CRI calls on containerd, tagging everything with the
//!   run's label and reading back only what carries it.
//! - [`image`]: podsim's own images (a static pause and a static workload binary), packed as OCI image
//!   layouts and imported, with no registry; [`oci_layout`]: the layout they are packed as, which
//!   [`podsim_image`] also packs podsim itself in (its static binary and the scenarios, to explore
//!   on a cluster), with [`elf`] telling a static binary from a dynamic one.
//! - [`run_dir`]: the layout of a run on the machine (its folder, `run.json`, its cgroup parent).
//! - [`process`]: the machine's processes, found in /proc and signalled; [`mounts`]: its mounts.
//! - [`daemon`]: a private containerd in a run folder, started and stopped by podsim.
//! - [`clean`]: removes what a killed podsim left behind.
//! - [`preset`]: a scenario's `node.runtime`, created through the CRI before the kubelet starts.
//! - [`real`]: the real world: the in-process API server and the kubelet model on the wall clock,
//!   with containerd behind the CRI.
//! - [`conform`]: a scenario in the simulator and on containerd, compared.
//! - [`sim_server`]: a CRI server over the simulator's containerd (for deterministic tests of the
//!   client's network path under turmoil), with its images ([`sim_images`]) and the scenario's
//!   runtime faults ([`sim_faults`]); [`serve`]: `podsim serve-cri`, that server on a unix socket
//!   on the wall clock, for crictl, critest and a kubelet.
//!
//! Everything but [`labels`], [`run_dir`], [`oci_layout`], [`podsim_image`] and [`elf`] needs the `containerd` cargo feature (the CRI bindings
//! are generated at build time with protoc: Debian's protobuf-compiler).

pub mod elf;
pub mod labels;
pub mod oci_layout;
pub mod podsim_image;
pub mod run_dir;

#[cfg(feature = "containerd")]
pub mod clean;
#[cfg(feature = "containerd")]
pub mod client;
#[cfg(feature = "containerd")]
pub mod conform;
#[cfg(feature = "containerd")]
pub mod convert;
#[cfg(feature = "containerd")]
pub mod daemon;
#[cfg(feature = "containerd")]
pub mod image;
#[cfg(feature = "containerd")]
pub mod mounts;
#[cfg(feature = "containerd")]
pub mod preset;
#[cfg(feature = "containerd")]
pub mod process;
#[cfg(feature = "containerd")]
pub mod real;
#[cfg(feature = "containerd")]
pub mod serve;
#[cfg(feature = "containerd")]
pub mod sim_faults;
#[cfg(feature = "containerd")]
pub mod sim_images;
#[cfg(feature = "containerd")]
pub mod sim_logs;
#[cfg(feature = "containerd")]
pub mod sim_process;
#[cfg(feature = "containerd")]
pub mod sim_server;
#[cfg(feature = "containerd")]
pub mod sim_stats;

/// Why the backend is not there, for commands that need it in a build without the feature.
pub const NOT_BUILT: &str = "this podsim was built without the real-runtime backend; rebuild it with \
`cargo build --features containerd` (needs the Debian packages containerd, runc and protobuf-compiler)";
