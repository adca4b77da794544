//! One writer per output folder: an advisory lock on `<dir>/.hits.lock`.
//!
//! The lock is `std::fs::File::try_lock` (`flock` on Unix): it belongs to the open file, so it
//! ends with the process however that ends (kill, crash, power cut) and never goes stale. The
//! holder writes its PID and what it is doing into the file, which is what a second process
//! names when it is refused; it empties the file when it lets go. The file itself stays
//! (removing it would let two processes lock two different files of the same name).
//!
//! Within one process the lock is re-entrant: a command that locks its output folder up front
//! and then calls a library function that locks the same folder shares the one lock, which is
//! released when the last [`FolderLock`] of the folder is dropped.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use super::stale::{remove_stale_temp_files, StaleFile};
use crate::{Error, Result};

/// The name of the lock file in a locked folder.
pub const LOCK_FILE: &str = ".hits.lock";

/// Exclusive use of a folder by this process, until dropped (see the module docs).
#[derive(Debug)]
pub struct FolderLock {
    held: Arc<Held>,
    stale: Vec<StaleFile>,
}

/// The open, locked lock file; closing it releases the lock.
#[derive(Debug)]
struct Held {
    _file: File,
    dir: PathBuf,
}

impl Drop for Held {
    /// Clear the holder's note before the lock goes (so an unheld lock file is empty, and two
    /// runs that ended cleanly leave identical folders); a killed holder leaves its PID.
    fn drop(&mut self) {
        let _ = self._file.set_len(0);
    }
}

/// The folders this process holds, by canonical path.
static HELD: Mutex<Vec<(PathBuf, Weak<Held>)>> = Mutex::new(Vec::new());

impl FolderLock {
    /// Create `dir` if needed and lock it for `purpose` (e.g. `"hits train"`), or fail with
    /// [`Error::InUse`] naming the process that holds it. Once locked, the temporary files of
    /// killed runs in `dir` are removed ([`FolderLock::removed`] lists them). Also checks that
    /// the folder is writable: an error names it before any long work starts.
    pub fn acquire(dir: &Path, purpose: &str) -> Result<FolderLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let key = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|(_, w)| w.strong_count() > 0);
        if let Some(h) = held
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(FolderLock {
                held: h,
                stale: Vec::new(),
            });
        }
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Error::InUse {
                    path: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "a process that has not written its PID yet".into()
                    } else {
                        format!("PID {holder}")
                    },
                });
            }
            // File systems without locks: carry on unprotected rather than refuse to work.
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let note = format!("{} ({purpose})\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(note.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Error::io(&path, e))?;
        let stale = remove_stale_temp_files(dir)?;
        let h = Arc::new(Held {
            _file: file,
            dir: dir.to_path_buf(),
        });
        held.push((key, Arc::downgrade(&h)));
        Ok(FolderLock { held: h, stale })
    }

    /// The locked folder.
    pub fn dir(&self) -> &Path {
        &self.held.dir
    }

    /// The temporary files of killed runs removed when the lock was taken.
    pub fn removed(&self) -> &[StaleFile] {
        &self.stale
    }

    /// A sentence about [`FolderLock::removed`] for the user, or `None` when nothing was removed.
    pub fn removed_note(&self) -> Option<String> {
        if self.stale.is_empty() {
            return None;
        }
        let bytes: u64 = self.stale.iter().map(|s| s.bytes).sum();
        Some(format!(
            "removed {} temporary file(s) ({}) left in {} by an interrupted run",
            self.stale.len(),
            human_bytes(bytes),
            self.held.dir.display()
        ))
    }
}

/// `812 B`, `2.2 MB`, `227 MB`.
fn human_bytes(b: u64) -> String {
    match b {
        0..=9_999 => format!("{b} B"),
        10_000..=999_999 => format!("{:.1} kB", b as f64 / 1e3),
        _ => format!("{:.1} MB", b as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_held_elsewhere_is_refused_with_the_holders_pid_then_free_again() {
        let dir = std::env::temp_dir().join(format!("hits-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Another process's lock: an open file description of its own, with its note.
        let other = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join(LOCK_FILE))
            .unwrap();
        other.try_lock().unwrap();
        std::fs::write(dir.join(LOCK_FILE), "4242 (hits train)\n").unwrap();
        let err = FolderLock::acquire(&dir, "hits train")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PID 4242 (hits train)") && err.contains(&*dir.to_string_lossy()),
            "{err}"
        );
        drop(other);
        let first = FolderLock::acquire(&dir, "hits generate").unwrap();
        assert_eq!(first.dir(), dir.as_path());
        // Re-entrant in this process, and released with the last guard.
        let nested = FolderLock::acquire(&dir, "saving").unwrap();
        drop(first);
        let probe = File::open(dir.join(LOCK_FILE)).unwrap();
        assert!(probe.try_lock().is_err(), "still held by the nested guard");
        drop(nested);
        assert!(probe.try_lock().is_ok(), "released with the last guard");
        drop(probe);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(2_200_000), "2.2 MB");
    }
}
