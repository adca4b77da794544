//! Temporary files left by killed runs: recognised by name, removed under the folder's lock.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A leftover temporary file that was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// True for the names of temporary files `hits` writes (`.<name>.tmp<pid>-<n>`, the older
/// `.<name>.tmp<pid>`) and those of the `tempfile` crate (`.tmp` + 6 characters), which older
/// versions left by way of the safetensors writer.
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    if let Some(tail) = rest.strip_prefix("tmp") {
        if tail.len() == 6 && tail.chars().all(|c| c.is_ascii_alphanumeric()) {
            return true;
        }
    }
    match rest.rfind(".tmp") {
        Some(i) if i > 0 => {
            let tail = &rest[i + 4..];
            let (pid, n) = tail.split_once('-').unwrap_or((tail, "0"));
            !pid.is_empty()
                && pid.chars().all(|c| c.is_ascii_digit())
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// The process id in a `hits` temporary name, if there is one.
fn pid_of(name: &str) -> Option<u32> {
    let tail = &name[name.rfind(".tmp")? + 4..];
    tail.split_once('-').map_or(tail, |(p, _)| p).parse().ok()
}

/// Whether process `pid` is alive, where the platform can tell (`/proc` on Linux); `None`
/// where it cannot.
fn alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new("/proc").join(pid.to_string()).exists())
}

/// Remove the temporary files of dead processes from `dir` (not recursive) and return them.
/// Files of a process that is still running are kept (another program, or this one, may be
/// writing them); where liveness cannot be checked, the caller's lock on the folder is what
/// makes the removal safe. A missing folder has nothing stale.
pub fn remove_stale_temp_files(dir: &Path) -> Result<Vec<StaleFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_temp_name(&name) {
            continue;
        }
        let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
        if !meta.is_file() {
            continue;
        }
        let mine = pid_of(&name) == Some(std::process::id());
        if mine || pid_of(&name).and_then(alive) == Some(true) {
            continue;
        }
        let path = entry.path();
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        removed.push(StaleFile {
            path,
            bytes: meta.len(),
        });
    }
    removed.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names() {
        for name in [
            ".model_D1_noise0.0.json.tmp123",
            ".train_noise0.0.npy.tmp99-4",
            ".tmpAb12Cd",
        ] {
            assert!(is_temp_name(name), "{name}");
        }
        for name in [
            "train_noise0.0.npy",
            ".hits.lock",
            ".tmp",
            ".x.tmp",
            ".x.tmp12-",
            ".x.tmpab",
        ] {
            assert!(!is_temp_name(name), "{name}");
        }
        assert_eq!(pid_of(".a.npy.tmp42-7"), Some(42));
    }

    #[test]
    fn dead_processes_files_are_removed_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("hits-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // PID 4194304 is above Linux's largest pid_max: never alive.
        let dead = dir.join(".a.npy.tmp4194304-0");
        let live = dir.join(format!(".b.npy.tmp{}-0", std::process::id()));
        let keep = dir.join("a.npy");
        for p in [&dead, &live, &keep] {
            std::fs::write(p, b"12345").unwrap();
        }
        let removed = remove_stale_temp_files(&dir).unwrap();
        assert_eq!(
            removed,
            vec![StaleFile {
                path: dead.clone(),
                bytes: 5
            }]
        );
        assert!(!dead.exists() && live.exists() && keep.exists());
        assert!(remove_stale_temp_files(&dir.join("missing"))
            .unwrap()
            .is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
