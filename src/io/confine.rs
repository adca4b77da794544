//! Names that come from files are data: a file name read from a `dataset.json`, a plan, a
//! checkpoint's JSON or a task id is one plain name, resolved inside its folder.
//!
//! [`plain_name`] accepts a single path component: not empty, not `.` or `..`, no `/` or `\`,
//! no control characters (a newline, a NUL), at most 255 bytes. [`inside`] joins such a name to
//! its folder and also refuses a symbolic link there that points out of the folder. Every
//! refusal names the field and the file it came from, so a foreign or damaged file can never
//! make hits read, write or delete a file elsewhere.
//!
//! ```
//! use std::path::Path;
//! let src = Path::new("data/Hopf/dataset.json");
//! assert!(hits::io::plain_name("train_noise0.0.npy", "splits.train.file", src).is_ok());
//! for bad in ["", "..", "../x", "/etc/passwd", "a/b", "a\nb"] {
//!     let e = hits::io::plain_name(bad, "splits.train.file", src).unwrap_err().to_string();
//!     assert!(e.contains("splits.train.file") && e.contains("dataset.json"), "{e}");
//! }
//! ```

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The longest name most file systems take.
const MAX_NAME_BYTES: usize = 255;

/// `name`, checked to be one plain relative file name (see the module docs); `field` and
/// `source` (the file the name was read from) are named in the error.
pub fn plain_name<'a>(name: &'a str, field: &str, source: &Path) -> Result<&'a str> {
    let why = if name.is_empty() {
        Some("is empty".to_string())
    } else if name == "." || name == ".." {
        Some(format!("is {name:?}, not a file name"))
    } else if name.starts_with('/') || name.starts_with('\\') {
        Some(format!("{name:?} is an absolute path"))
    } else if name.contains('/') || name.contains('\\') {
        Some(format!(
            "{name:?} names a path, not a plain file name inside its folder"
        ))
    } else if let Some(c) = name.chars().find(|c| c.is_control()) {
        Some(format!("{name:?} holds the control character {c:?}"))
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!(
            "is {} bytes long (at most {MAX_NAME_BYTES})",
            name.len()
        ))
    } else {
        None
    };
    match why {
        None => Ok(name),
        Some(why) => Err(Error::bad_file(
            source,
            format!("field {field}: {why}; refused (names read from files must stay inside their folder)"),
        )),
    }
}

/// `dir/name` for a [`plain_name`], refusing a symbolic link at that place whose target lies
/// outside `dir`. A name that does not exist yet is returned as it is.
pub fn inside(dir: &Path, name: &str, field: &str, source: &Path) -> Result<PathBuf> {
    let name = plain_name(name, field, source)?;
    let path = dir.join(name);
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        let outside = match (path.canonicalize(), dir.canonicalize()) {
            (Ok(target), Ok(root)) => !target.starts_with(&root),
            // a dangling link, or a folder we cannot resolve: nothing to trust
            _ => true,
        };
        if outside {
            return Err(Error::bad_file(
                source,
                format!(
                    "field {field}: {} is a link that leaves {}; refused",
                    path.display(),
                    dir.display()
                ),
            ));
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_everything_else_is_refused_naming_field_and_file() {
        let src = Path::new("/d/plan.json");
        for ok in ["a", "train_noise0.01.npy", ".hidden", "a..b", "ü.npy"] {
            assert_eq!(plain_name(ok, "f", src).unwrap(), ok);
        }
        let long = "x".repeat(256);
        for bad in [
            "", ".", "..", "/abs", "../up", "a/.", "a/b", "a\\b", "a\nb", "a\0b", &long,
        ] {
            let e = plain_name(bad, "tasks[3].id", src).unwrap_err().to_string();
            assert!(
                e.contains("tasks[3].id") && e.contains("/d/plan.json"),
                "{e}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_that_leave_the_folder_are_refused_links_inside_kept() {
        let root = std::env::temp_dir().join(format!("hits-confine-{}", std::process::id()));
        let dir = root.join("d");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(root.join("outside"), b"x").unwrap();
        std::fs::write(dir.join("real"), b"x").unwrap();
        std::os::unix::fs::symlink(root.join("outside"), dir.join("out")).unwrap();
        std::os::unix::fs::symlink(dir.join("real"), dir.join("in")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), dir.join("dangling")).unwrap();
        let src = dir.join("dataset.json");
        assert_eq!(inside(&dir, "in", "f", &src).unwrap(), dir.join("in"));
        assert_eq!(inside(&dir, "new", "f", &src).unwrap(), dir.join("new"));
        for bad in ["out", "dangling"] {
            let e = inside(&dir, bad, "file", &src).unwrap_err().to_string();
            assert!(e.contains("leaves") && e.contains("dataset.json"), "{e}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
