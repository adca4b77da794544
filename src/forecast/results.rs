//! A forecast's result files (tables, CSV, arrays, figures) written into a folder as one set:
//! the folder holds the old set or the whole new one, never new tables beside old arrays.
//!
//! A folder such as `results/Hyperbolic/` holds several sets side by side (one per noise
//! level, `forecast_noise0.0.*` and so on), so a set cannot be swapped in as a folder of its
//! own. It is written with a journal instead:
//!
//! 1. **Stage.** Every file of the set is written into a fresh hidden folder beside it,
//!    `<dir>/.hits-tmp-<pid>-<n>.<set>.set/` (the name pattern of [`crate::io`]'s temporary
//!    files; a file name is a plain name, see [`crate::io::plain_name`]). Nothing in `<dir>`
//!    changes; a failure or a kill here leaves the old set as it was.
//! 2. **Check.** Every target in `<dir>` must be absent or a regular file, so that no rename
//!    below can fail on what is there (a failure here, too, leaves the old set).
//! 3. **Commit point.** The manifest `<set>.manifest.json` (every file's name, size and
//!    SHA-256) is written into the staging folder, last. A staging folder with its manifest
//!    holds a complete set.
//! 4. **Publish.** Each file is renamed from the staging folder onto its name in `<dir>`; the
//!    files of the old set that the new one lacks (as the old manifest lists them: only what
//!    hits wrote) are removed; the manifest is renamed into `<dir>` last, and the staging
//!    folder removed.
//!
//! A process killed during step 4 (a few renames) leaves a complete staging folder: the next
//! [`recover`] of the folder (which `hits forecast` runs once it holds the folder's lock)
//! finishes the renames, so the folder then holds the whole new set; an incomplete staging
//! folder (killed before step 3) is removed, and the folder holds the old set. In `<dir>`,
//! `<set>.manifest.json` always names the files of the set and their hashes: a file of the
//! set's names that it does not list (e.g. from a version of hits that wrote no manifest) is
//! not part of the set.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::forecast::ResultSet;
//! let dir = std::env::temp_dir().join(format!("hits-results-doc-{}", std::process::id()));
//! let mut set = ResultSet::begin(&dir, "forecast_noise0.0")?;
//! set.write_bytes("forecast_noise0.0.md", b"| a |\n")?;
//! let staged = set.path("forecast_noise0.0.csv")?; // for any writer
//! std::fs::write(&staged, b"a\n").unwrap();
//! let written = set.commit()?;
//! assert_eq!(written.len(), 3); // the two files and the manifest
//! assert!(dir.join("forecast_noise0.0.manifest.json").exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::io::{is_temp_name, plain_name, write_bytes_atomic};
use crate::{Error, Result};

/// The suffix of a staging folder's name, after the set's name.
const STAGE_SUFFIX: &str = ".set";

/// The manifest of a set: `<set>.manifest.json`.
fn manifest_name(set: &str) -> String {
    format!("{set}.manifest.json")
}

/// One file of a set, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its name in the folder (a plain name).
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The SHA-256 of its content, in hex (as `sha256sum` prints it).
    pub sha256: String,
}

/// `<set>.manifest.json`: the files of a complete set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The set's name (`forecast_noise0.0`).
    pub set: String,
    /// Every file of the set, the manifest itself not included.
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// Read `<dir>/<set>.manifest.json`; `None` where there is none.
    pub fn read(dir: &Path, set: &str) -> Result<Option<Manifest>> {
        let path = dir.join(manifest_name(set));
        if !path.exists() {
            return Ok(None);
        }
        let text = crate::io::read_data_text(&path)?;
        let m: Manifest =
            serde_json::from_str(&text).map_err(|e| Error::bad_file(&path, e.to_string()))?;
        for f in &m.files {
            plain_name(&f.name, "files[].name", &path)?;
        }
        Ok(Some(m))
    }

    /// Whether every listed file is in `dir` with its size and hash (the set is whole).
    pub fn is_whole(&self, dir: &Path) -> bool {
        self.files.iter().all(|f| {
            std::fs::read(dir.join(&f.name))
                .is_ok_and(|b| b.len() as u64 == f.bytes && sha256_hex(&b) == f.sha256)
        })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A set of result files being written into a folder (see the module docs). Dropped without
/// [`ResultSet::commit`], it removes its staging folder and the folder keeps the old set.
#[derive(Debug)]
pub struct ResultSet {
    dir: PathBuf,
    set: String,
    stage: PathBuf,
    files: Vec<String>,
    done: bool,
}

impl ResultSet {
    /// Start the set `set` (a plain name, e.g. `forecast_noise0.0`) in `dir` (created): a fresh
    /// staging folder. The caller holds `dir`'s [`crate::io::FolderLock`].
    pub fn begin(dir: &Path, set: &str) -> Result<ResultSet> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        plain_name(set, "result set name", dir)?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let stage = dir.join(format!(
            ".hits-tmp-{}-{}.{set}{STAGE_SUFFIX}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if stage.exists() {
            std::fs::remove_dir_all(&stage).map_err(|e| Error::io(&stage, e))?;
        }
        std::fs::create_dir(&stage).map_err(|e| Error::io(&stage, e))?;
        Ok(ResultSet {
            dir: dir.to_path_buf(),
            set: set.to_string(),
            stage,
            files: Vec::new(),
            done: false,
        })
    }

    /// The folder the set goes to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Add the file `name` (a plain name, once per set) and return where to write it: its path
    /// in the staging folder, for any writer.
    pub fn path(&mut self, name: &str) -> Result<PathBuf> {
        plain_name(name, "result file name", &self.dir)?;
        if name == manifest_name(&self.set) || self.files.iter().any(|f| f == name) {
            return Err(Error::invalid(
                "result file name",
                format!(
                    "{name} is already part of the set {} in {}",
                    self.set,
                    self.dir.display()
                ),
            ));
        }
        self.files.push(name.to_string());
        Ok(self.stage.join(name))
    }

    /// Add the file `name` with the content `bytes`.
    pub fn write_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(name)?;
        write_bytes_atomic(&p, bytes)
    }

    /// Publish the set (steps 2-4 of the module docs); returns the paths written in the
    /// folder, the manifest last. Every file added must have been written.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        self.commit_upto(usize::MAX)
    }

    /// [`ResultSet::commit`], stopping as if killed after `renames` renames of step 4 (tests).
    fn commit_upto(&mut self, renames: usize) -> Result<Vec<PathBuf>> {
        // 2. every target replaceable, every staged file there
        for name in self.files.iter().chain([&manifest_name(&self.set)]) {
            let target = self.dir.join(name);
            match std::fs::symlink_metadata(&target) {
                Ok(m) if !m.is_file() => {
                    return Err(Error::bad_file(
                        &target,
                        format!(
                            "is in the way of the result set {} (not a regular file); nothing was replaced",
                            self.set
                        ),
                    ))
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&target, e)),
            }
        }
        let old = Manifest::read(&self.dir, &self.set)?;
        let mut files = Vec::with_capacity(self.files.len());
        for name in &self.files {
            let p = self.stage.join(name);
            let bytes = crate::io::read_data_file(&p).map_err(|_| {
                Error::invalid(
                    "result set",
                    format!("{name} of the set {} was never written", self.set),
                )
            })?;
            files.push(ManifestFile {
                name: name.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            });
        }
        let manifest = Manifest {
            set: self.set.clone(),
            files,
        };
        let json = serde_json::to_string_pretty(&manifest)?;
        // 3. the commit point
        write_bytes_atomic(&self.stage.join(manifest_name(&self.set)), json.as_bytes())?;
        self.done = true;
        // 4. publish
        let obsolete: Vec<String> = old
            .map(|m| m.files.into_iter().map(|f| f.name).collect())
            .unwrap_or_default();
        publish(&self.dir, &self.stage, &self.set, &obsolete, renames)
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.stage);
        }
    }
}

/// Step 4: rename the staged files (those still there) into `dir`, remove the files of
/// `obsolete` the staged manifest does not list, rename the manifest, remove the stage.
/// `limit`: stop after that many renames (as if killed; tests).
fn publish(
    dir: &Path,
    stage: &Path,
    set: &str,
    obsolete: &[String],
    limit: usize,
) -> Result<Vec<PathBuf>> {
    let mname = manifest_name(set);
    let mpath = stage.join(&mname);
    let text = crate::io::read_data_text(&mpath)?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| Error::bad_file(&mpath, e.to_string()))?;
    let mut written = Vec::new();
    let mut renames = 0;
    for f in &manifest.files {
        plain_name(&f.name, "files[].name", &mpath)?;
        let (from, to) = (stage.join(&f.name), dir.join(&f.name));
        if from.exists() {
            if renames == limit {
                return Ok(written);
            }
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
            renames += 1;
        }
        written.push(to);
    }
    for name in obsolete {
        if name != &mname && !manifest.files.iter().any(|f| &f.name == name) {
            let p = dir.join(name);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
    }
    if renames == limit {
        return Ok(written);
    }
    let to = dir.join(&mname);
    std::fs::rename(&mpath, &to).map_err(|e| Error::io(&to, e))?;
    written.push(to);
    crate::io::sync_dir(dir);
    std::fs::remove_dir_all(stage).map_err(|e| Error::io(stage, e))?;
    Ok(written)
}

/// Finish or undo the result sets that killed runs left in `dir` (see the module docs): a
/// staging folder of another process with its manifest is published, one without is removed.
/// The caller holds `dir`'s lock. Returns a note per staging folder handled.
pub fn recover(dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mine = format!(".hits-tmp-{}-", std::process::id());
    let mut notes = Vec::new();
    let mut stages: Vec<(PathBuf, String)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || !is_temp_name(&name) || name.starts_with(&mine) {
            continue;
        }
        // `.hits-tmp-<pid>-<n>.<set>.set`
        let Some(set) = name
            .split_once('.')
            .and_then(|(_, rest)| rest.split_once('.'))
            .and_then(|(_, target)| target.strip_suffix(STAGE_SUFFIX))
        else {
            continue;
        };
        if set.is_empty() || plain_name(set, "result set name", dir).is_err() {
            continue;
        }
        stages.push((entry.path(), set.to_string()));
    }
    stages.sort();
    for (stage, set) in stages {
        if stage.join(manifest_name(&set)).is_file() {
            let old = Manifest::read(dir, &set).ok().flatten();
            let obsolete: Vec<String> = old
                .map(|m| m.files.into_iter().map(|f| f.name).collect())
                .unwrap_or_default();
            publish(dir, &stage, &set, &obsolete, usize::MAX)?;
            notes.push(format!(
                "finished publishing the result set {set} in {} (a run was killed while renaming its files)",
                dir.display()
            ));
        } else {
            std::fs::remove_dir_all(&stage).map_err(|e| Error::io(&stage, e))?;
            notes.push(format!(
                "removed {}: an unfinished result set of a killed run (the set {set} there is the earlier one)",
                stage.display()
            ));
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hits-results-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn write_set(dir: &Path, tag: &str, names: &[&str]) -> ResultSet {
        let mut set = ResultSet::begin(dir, "forecast_noise0.0").unwrap();
        for n in names {
            set.write_bytes(n, format!("{tag} {n}").as_bytes()).unwrap();
        }
        set
    }

    fn content(dir: &Path, name: &str) -> Option<String> {
        std::fs::read_to_string(dir.join(name)).ok()
    }

    /// The names in `dir` that are not the lock (sorted).
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    const SET: [&str; 3] = ["a.md", "a.csv", "a.npy"];

    #[test]
    fn a_kill_before_the_commit_point_leaves_the_old_set() {
        let dir = scratch("kill-before");
        write_set(&dir, "old", &SET).commit().unwrap();
        let set = write_set(&dir, "new", &SET[..2]);
        std::mem::forget(set); // killed: no clean-up runs
        for n in SET {
            assert_eq!(content(&dir, n).unwrap(), format!("old {n}"));
        }
        // a run of another process left it: simulate by renaming the stage to a dead pid's
        let stage = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.is_dir())
            .unwrap();
        let dead = dir.join(".hits-tmp-4194304-0.forecast_noise0.0.set");
        std::fs::rename(&stage, &dead).unwrap();
        let notes = recover(&dir).unwrap();
        assert!(notes[0].contains("unfinished result set"), "{notes:?}");
        assert!(!dead.exists());
        let m = Manifest::read(&dir, "forecast_noise0.0").unwrap().unwrap();
        assert!(m.is_whole(&dir));
        assert!(content(&dir, "a.md").unwrap().starts_with("old"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_kill_while_publishing_is_finished_by_the_next_recover() {
        for k in 0..=2 {
            let dir = scratch(&format!("kill-publish-{k}"));
            write_set(&dir, "old", &SET).commit().unwrap();
            // the new set lacks a.npy: the old one goes with the commit
            let mut set = write_set(&dir, "new", &SET[..2]);
            set.commit_upto(k).unwrap();
            std::mem::forget(set);
            let stage = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.is_dir())
                .unwrap();
            std::fs::rename(
                &stage,
                dir.join(".hits-tmp-4194304-7.forecast_noise0.0.set"),
            )
            .unwrap();
            let notes = recover(&dir).unwrap();
            assert!(notes[0].contains("finished publishing"), "{notes:?}");
            assert_eq!(
                names(&dir),
                vec!["a.csv", "a.md", "forecast_noise0.0.manifest.json"],
                "k = {k}"
            );
            for n in &SET[..2] {
                assert_eq!(content(&dir, n).unwrap(), format!("new {n}"), "k = {k}");
            }
            let m = Manifest::read(&dir, "forecast_noise0.0").unwrap().unwrap();
            assert!(m.is_whole(&dir) && m.files.len() == 2);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn a_failure_before_publishing_changes_nothing() {
        let dir = scratch("fail");
        write_set(&dir, "old", &SET).commit().unwrap();
        // dropped unpublished (an error while writing): the stage goes, the old set stays
        drop(write_set(&dir, "new", &SET));
        assert_eq!(names(&dir).len(), 4);
        // a folder in the way of one target: refused before any rename
        std::fs::remove_file(dir.join("a.npy")).unwrap();
        std::fs::create_dir(dir.join("a.npy")).unwrap();
        let e = write_set(&dir, "new", &SET)
            .commit()
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.npy") && e.contains("in the way"), "{e}");
        assert_eq!(content(&dir, "a.md").unwrap(), "old a.md");
        assert_eq!(names(&dir).len(), 4, "{:?}", names(&dir));
        // a file added but never written
        std::fs::remove_dir(dir.join("a.npy")).unwrap();
        let mut set = ResultSet::begin(&dir, "forecast_noise0.0").unwrap();
        set.path("x.npy").unwrap();
        let e = set.commit().unwrap_err().to_string();
        assert!(e.contains("x.npy") && e.contains("never written"), "{e}");
        assert_eq!(content(&dir, "a.md").unwrap(), "old a.md");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_are_plain_and_once() {
        let dir = scratch("names");
        let mut set = ResultSet::begin(&dir, "s").unwrap();
        assert!(set.path("../x").is_err());
        assert!(set.path("/abs").is_err());
        set.path("a").unwrap();
        assert!(set.path("a").is_err());
        assert!(set.path("s.manifest.json").is_err());
        assert!(ResultSet::begin(&dir, "../s").is_err());
        drop(set);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
