//! The mounts of podsim's mount namespace, read from /proc/self/mountinfo, and unmounting: what the
//! clean-up ([`crate::clean`]) needs to find what is mounted under a run folder and where the cgroup
//! hierarchies are.

use std::fs;
use std::path::{Path, PathBuf};

/// One line of /proc/self/mountinfo: what podsim needs of it.
struct Mount {
    mount_point: PathBuf,
    fs_type: String,
}

/// The mount points at or under `dir`.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    mountinfo().into_iter().filter(|m| m.mount_point.starts_with(dir)).map(|m| m.mount_point).collect()
}

/// The mount points of the cgroup hierarchies (v1 and v2), sorted, each once.
pub fn cgroup_roots() -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = mountinfo()
        .into_iter()
        .filter(|m| m.fs_type == "cgroup" || m.fs_type == "cgroup2")
        .map(|m| m.mount_point)
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// umount2(path, flags); whether it succeeded.
pub fn unmount(path: &Path, flags: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::umount2(path.as_ptr(), flags) == 0 }
}

/// The mounts in podsim's mount namespace.
fn mountinfo() -> Vec<Mount> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines().filter_map(parse_mountinfo_line).collect()
}

/// Parses `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FS_TYPE SOURCE SUPER_OPTIONS`.
fn parse_mountinfo_line(line: &str) -> Option<Mount> {
    let mut fields = line.split(' ');
    let mount_point = fields.nth(4)?;
    let fs_type = fields.skip_while(|f| *f != "-").nth(1)?;
    Some(Mount { mount_point: PathBuf::from(unescape_octal(mount_point)), fs_type: fs_type.to_string() })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match escape {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |n, d| n.wrapping_mul(8).wrapping_add(d - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_are_parsed_with_escapes() {
        let line = "44 27 0:39 / /tmp/a\\040b/rootfs rw,relatime shared:1 - overlay overlay rw,lowerdir=/x";
        let mount = parse_mountinfo_line(line).unwrap();
        assert_eq!(mount.mount_point, PathBuf::from("/tmp/a b/rootfs"));
        assert_eq!(mount.fs_type, "overlay");
    }
}
