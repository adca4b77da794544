//! Atomic file writes: every file `hits` writes (data sets, checkpoints, figures, tables) goes
//! through [`write_atomic`], so a reader, or a run resumed after an interrupt, never sees a
//! half-written file.
//!
//! The content is written to a hidden temporary sibling (`.<name>.tmp<pid>`, same folder, so the
//! rename stays on one file system), flushed to disk, then renamed over the target. On failure
//! the temporary file is removed and the target is left as it was.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! let dir = std::env::temp_dir().join(format!("hits-io-doc-{}", std::process::id()));
//! let path = dir.join("table.md");
//! hits::io::write_bytes_atomic(&path, b"| a | b |\n")?;
//! assert_eq!(std::fs::read(&path).unwrap(), b"| a | b |\n");
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Write `path` through `write`, which receives the temporary path to write to; the temporary
/// file is synced and renamed onto `path` when `write` succeeds, removed when anything fails.
/// Missing parent folders are created.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path(path)?;
    if let Some(dir) = tmp.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let result = write(&tmp).and_then(|()| {
        let file = std::fs::File::open(&tmp).map_err(|e| Error::io(&tmp, e))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write `bytes` to `path` atomically (see [`write_atomic`]).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|e| Error::io(tmp, e))
    })
}

/// `<dir>/.<name>.tmp<pid>`: a hidden sibling of `path`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        Error::invalid(
            "output path",
            format!("{} has no file name", path.display()),
        )
    })?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp{}", std::process::id()));
    Ok(path.with_file_name(tmp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_no_file_behind() {
        let dir = std::env::temp_dir().join(format!("hits-io-test-{}", std::process::id()));
        let path = dir.join("out.bin");
        write_bytes_atomic(&path, b"old").unwrap();
        let err = write_atomic(&path, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(Error::invalid("test", "simulated failure"))
        });
        assert!(err.is_err());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"old",
            "target must keep its old content"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .collect();
        assert_eq!(
            leftovers.len(),
            1,
            "temporary file must be removed: {leftovers:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn write_creates_folders_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("hits-io-replace-{}", std::process::id()));
        let path = dir.join("sub").join("x.bin");
        write_bytes_atomic(&path, b"one").unwrap();
        write_bytes_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn path_without_file_name_is_an_error() {
        let err = write_bytes_atomic(Path::new("/"), b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no file name"), "{err}");
    }
}
