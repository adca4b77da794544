//! Safe file output: atomic writes ([`write_atomic`]), one writer per folder ([`FolderLock`]),
//! and the removal of what killed runs left behind ([`remove_stale_temp_files`]).
//!
//! Every file `hits` writes (data sets, checkpoints, figures, tables) goes through
//! [`write_atomic`], so a reader, or a run resumed after an interrupt, never sees a half-written
//! file. The content is written to a hidden temporary sibling `.hits-tmp-<pid>-<n>.<name>` (same
//! folder, so the rename stays on one file system; `n` counts the writes of this process, so
//! two threads never share a temporary file), flushed to disk, then renamed over the target;
//! the folder is synced so that the rename itself survives a power cut. On failure the
//! temporary file is removed and the target is left as it was. Files are created with the
//! user's umask (typically `0644`), like any program's output.
//!
//! A process killed in the middle of a write (SIGKILL, power cut) cannot remove its temporary
//! file: the next `hits` command that takes the folder's [`FolderLock`] removes it (and says
//! so), since no other `hits` process can be writing there.
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

mod confine;
mod lock;
mod stale;

pub use confine::{inside, plain_name};
pub use lock::{FolderLock, LOCK_FILE};
pub use stale::{is_temp_name, remove_stale_temp_files, StaleFile};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Write `path` through `write`, which receives the temporary path to write to (the file
/// already exists there, empty, with the user's permissions: open it for writing, do not
/// replace it); the temporary file is synced and renamed onto `path` when `write` succeeds,
/// removed when anything fails. Missing parent folders are created.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path(path)?;
    let dir = tmp.parent().map(Path::to_path_buf).unwrap_or_default();
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    let result = std::fs::File::create(&tmp)
        .map_err(|e| Error::io(&tmp, e))
        .and_then(|_| write(&tmp))
        .and_then(|()| {
            let file = std::fs::File::open(&tmp).map_err(|e| Error::io(&tmp, e))?;
            file.sync_all().map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else {
        sync_dir(&dir);
    }
    result
}

/// Write `bytes` to `path` atomically (see [`write_atomic`]).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|e| Error::io(tmp, e))
    })
}

/// Open `path` for reading as data: only a regular file (or a link to one) is opened, so a
/// FIFO, a device or a folder named like a data file is an error naming it instead of a read
/// that hangs or never ends.
pub fn open_data_file(path: &Path) -> Result<std::fs::File> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // the name may have been replaced between the two calls: check what was opened
    let opened = file.metadata().map_err(|e| Error::io(path, e))?;
    if !opened.is_file() {
        return Err(not_regular(path, &opened));
    }
    Ok(file)
}

/// The whole content of a regular file (see [`open_data_file`]).
pub fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_data_file(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// The content of a regular text file (see [`open_data_file`]); not UTF-8 is an error naming it.
pub fn read_data_text(path: &Path) -> Result<String> {
    String::from_utf8(read_data_file(path)?).map_err(|_| Error::bad_file(path, "not UTF-8 text"))
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> Error {
    let ft = meta.file_type();
    let what = if ft.is_dir() {
        "a folder"
    } else if is_fifo(&ft) {
        "a FIFO (named pipe)"
    } else {
        "not a regular file"
    };
    Error::bad_file(path, format!("{what}, not a data file; refused"))
}

#[cfg(unix)]
fn is_fifo(ft: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}

/// Make a rename in `dir` durable (best effort: not every platform can sync a folder).
pub(crate) fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `<dir>/.hits-tmp-<pid>-<n>.<name>`: a hidden sibling of `path`, unique within this process.
fn temp_path(path: &Path) -> Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        Error::invalid(
            "output path",
            format!("{} has no file name", path.display()),
        )
    })?;
    let mut tmp = std::ffi::OsString::from(format!(
        "{}{}-{}.",
        stale::TEMP_PREFIX,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    tmp.push(name);
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

    #[test]
    fn temporary_names_are_unique_per_write() {
        let p = Path::new("/tmp/x/model.safetensors");
        let (a, b) = (temp_path(p).unwrap(), temp_path(p).unwrap());
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(is_temp_name(&name), "{name}");
        assert!(!is_temp_name("model.safetensors"));
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_permissions_of_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("hits-io-mode-{}", std::process::id()));
        let (ours, plain) = (dir.join("ours"), dir.join("plain"));
        write_bytes_atomic(&ours, b"x").unwrap();
        std::fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&ours),
            mode(&plain),
            "as std::fs::write under the same umask"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
