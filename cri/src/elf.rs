//! Telling a statically linked executable from a dynamic one, for the binaries podsim packs into
//! images that hold nothing else (no libc, no loader). Dependency-free: `build.rs` includes this
//! file for the workload and pause binaries, and `podsim image build` uses it for podsim itself.

/// The ELF program header type of the dynamic loader's path.
const PT_INTERP: usize = 3;

/// `Ok` if `elf` is a 64-bit little-endian ELF executable with no `PT_INTERP` program header (no
/// dynamic loader: a static or static-pie binary), else why not, in words.
pub fn check_static(elf: &[u8]) -> Result<(), String> {
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return Err("not a 64-bit little-endian ELF executable".to_string());
    }
    let word = |at: usize, width: usize| -> Option<usize> {
        let bytes = elf.get(at..at.checked_add(width)?)?;
        Some(bytes.iter().rev().fold(0usize, |value, &byte| value << 8 | byte as usize))
    };
    let truncated = || "a truncated ELF file".to_string();
    let (table, entry_size, entries) = (
        word(0x20, 8).ok_or_else(truncated)?,
        word(0x36, 2).ok_or_else(truncated)?,
        word(0x38, 2).ok_or_else(truncated)?,
    );
    for i in 0..entries {
        let at = i.checked_mul(entry_size).and_then(|o| o.checked_add(table)).ok_or_else(truncated)?;
        if word(at, 4).ok_or_else(truncated)? == PT_INTERP {
            return Err("dynamically linked (it names a dynamic loader, PT_INTERP)".to_string());
        }
    }
    Ok(())
}
