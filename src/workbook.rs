//! Where a workbook finds the project's folders: the data, models and results roots the
//! command line uses by default (`data/`, `models/`, `results/` at the crate root), and
//! `../shared/` beside the checkout, from wherever the notebook runs (evcxr runs a notebook in
//! its own folder, `notebooks/`).
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! let roots = hits::workbook::Roots::of_project()?;
//! assert!(roots.data.ends_with("data") && roots.models.ends_with("models"));
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The project's folders, relative to the current directory (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// The crate root: the nearest folder at or above the current one holding hits's
    /// `Cargo.toml`.
    pub project: PathBuf,
    /// Data sets: `<project>/data` (`hits generate`, `hits data`).
    pub data: PathBuf,
    /// Checkpoints: `<project>/models` (`hits train`, `hits reproduce`).
    pub models: PathBuf,
    /// Figures and tables: `<project>/results` (`hits forecast`, `hits reproduce`).
    pub results: PathBuf,
    /// The shared folder beside the checkout: `<project>/../shared` (the flower video, the
    /// authors' models).
    pub shared: PathBuf,
}

impl Roots {
    /// The roots of the hits project the current directory lies in (`.` at the crate root,
    /// `..` in `notebooks/`). Errors when no folder at or above it holds hits's `Cargo.toml`.
    pub fn of_project() -> Result<Roots> {
        let here = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let mut relative = PathBuf::new();
        for dir in here.ancestors() {
            if is_hits_root(dir) {
                let project = if relative.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    relative
                };
                return Ok(Roots::at(project));
            }
            relative.push("..");
        }
        Err(Error::invalid(
            "project root",
            format!(
                "{} is not inside the hits project (no folder at or above it holds the \
                 Cargo.toml of hits); start the notebook from the checkout's notebooks/ folder",
                here.display()
            ),
        ))
    }

    /// The roots of the project at `project`.
    pub fn at(project: impl Into<PathBuf>) -> Roots {
        let project = project.into();
        Roots {
            data: project.join("data"),
            models: project.join("models"),
            results: project.join("results"),
            shared: project.join("..").join("shared"),
            project,
        }
    }

    /// The authors' public PyTorch models: `<shared>/data/original_models`.
    pub fn original_models(&self) -> PathBuf {
        self.shared.join("data").join("original_models")
    }
}

fn is_hits_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|t| t.lines().any(|l| l.trim() == "name = \"hits\""))
}
