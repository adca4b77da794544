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

/// The start of every temporary name `hits` writes: `.hits-tmp-<pid>-<n>.<name>`.
pub(crate) const TEMP_PREFIX: &str = ".hits-tmp-";

/// True for the names of temporary files `hits` writes, `.hits-tmp-<pid>-<n>.<name>`, and only
/// those: a user's `.notes.tmp123` or `.tmpAb12Cd` is never taken for one (earlier versions
/// wrote `.<name>.tmp<pid>-<n>`; such leftovers are no longer removed, since a user's file can
/// look the same).
pub fn is_temp_name(name: &str) -> bool {
    temp_parts(name).is_some()
}

/// The process id and target name of a `hits` temporary name.
fn temp_parts(name: &str) -> Option<(u32, &str)> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, rest) = rest.split_once('-')?;
    let (n, target) = rest.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(pid) && digits(n)) || target.is_empty() {
        return None;
    }
    Some((pid.parse().ok()?, target))
}

/// The process id in a `hits` temporary name, if there is one.
fn pid_of(name: &str) -> Option<u32> {
    temp_parts(name).map(|(pid, _)| pid)
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
            ".hits-tmp-123-0.model_D1_noise0.0.json",
            ".hits-tmp-99-4.train_noise0.0.npy",
            ".hits-tmp-99-4..hidden",
        ] {
            assert!(is_temp_name(name), "{name}");
        }
        // a user's files, however temporary they look, and the older hits pattern
        for name in [
            "train_noise0.0.npy",
            ".hits.lock",
            ".notes.tmp123",
            ".model.json.tmp99-4",
            ".tmpAb12Cd",
            ".hits-tmp-",
            ".hits-tmp-12-3.",
            ".hits-tmp-12.x",
            ".hits-tmp-a-1.x",
            "hits-tmp-1-2.x",
        ] {
            assert!(!is_temp_name(name), "{name}");
        }
        assert_eq!(pid_of(".hits-tmp-42-7.a.npy"), Some(42));
    }

    #[test]
    fn dead_processes_files_are_removed_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("hits-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // PID 4194304 is above Linux's largest pid_max: never alive.
        let dead = dir.join(".hits-tmp-4194304-0.a.npy");
        let live = dir.join(format!(".hits-tmp-{}-0.b.npy", std::process::id()));
        let keep = dir.join("a.npy");
        let users = dir.join(".notes.tmp123");
        for p in [&dead, &live, &keep, &users] {
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
        assert!(!dead.exists() && live.exists() && keep.exists() && users.exists());
        assert!(remove_stale_temp_files(&dir.join("missing"))
            .unwrap()
            .is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
