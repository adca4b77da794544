//! The project error type.
//!
//! Every fallible public function of `hits` returns [`Result<T>`]. Messages name the file, the
//! shape or the parameter at fault and, where there is one, what to try next.

use std::path::PathBuf;

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `hits`.
///
/// `Debug` prints `Error: ` and the message (with its causes), as a command line does: a
/// notebook cell that returns an error through `?` (with evcxr's `:efmt {:?}`) shows that line,
/// and the notebook runner fails the notebook on it.
#[derive(thiserror::Error)]
pub enum Error {
    /// A file could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data file exists but its content is not what was expected (format, dtype, shape).
    #[error("{path}: {msg}")]
    BadFile { path: PathBuf, msg: String },

    /// An array handed to a function has the wrong shape.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    Shape {
        what: String,
        expected: String,
        got: String,
    },

    /// A parameter is out of its valid range.
    #[error("invalid {name}: {msg}")]
    InvalidParameter { name: String, msg: String },

    /// An ODE solver failed.
    #[error(transparent)]
    Solver(#[from] SolverError),

    /// A checkpoint could not be used (missing, corrupt, or made for other data).
    #[error("checkpoint {path}: {msg}")]
    Checkpoint { path: PathBuf, msg: String },

    /// An error from candle (tensor shapes, devices, kernels).
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),

    /// JSON (de)serialisation of metadata.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// Drawing or encoding a figure or animation failed (plotters, PNG or GIF encoder).
    #[error("plot: {0}")]
    Plot(String),

    /// Another process is writing the same output folder ([`crate::io::FolderLock`]).
    #[error("{path} is in use by another hits process ({holder}); wait until it ends, or choose another folder")]
    InUse { path: PathBuf, holder: String },

    /// Data or a training run became NaN or infinite.
    #[error("{what}: non-finite value {value} at {at}{hint}")]
    NonFinite {
        /// What was being read or computed (names the file or the stepper).
        what: String,
        /// The first bad value (`NaN`, `inf`).
        value: f64,
        /// Where it is (an index, an epoch).
        at: String,
        /// What to do about it (starts with `; ` when present).
        hint: String,
    },
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Error: {self}")?;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            // a cause whose text the message already holds (`{path}: {source}`) adds nothing
            let text = c.to_string();
            if !self.to_string().contains(&text) {
                write!(f, "\n  caused by: {text}")?;
            }
            cause = c.source();
        }
        Ok(())
    }
}

/// Failures of the ODE solvers, with the time at which they happened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolverError {
    /// The adaptive step size fell below what floating point can resolve.
    #[error("step size {h:e} too small at t = {t}: the problem may be stiff or singular there; try a stiff solver, or looser rtol/atol")]
    StepSizeTooSmall { t: f64, h: f64 },

    /// The right-hand side produced NaN or infinity.
    #[error("non-finite state at t = {t}: the solution blew up; check the initial condition and parameters")]
    NonFinite { t: f64 },

    /// `t_eval` is not sorted or leaves the integration interval.
    #[error("invalid t_eval: {msg}")]
    InvalidTEval { msg: String },
}

impl Error {
    /// Attach a path to an I/O error.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A file whose content is wrong.
    pub fn bad_file(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.into(),
            msg: msg.into(),
        }
    }

    /// A parameter out of range.
    pub fn invalid(name: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            msg: msg.into(),
        }
    }

    /// A shape mismatch.
    pub fn shape(
        what: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_is_wrong() {
        let e = Error::shape("initial states", "[n, 2]", "[5, 3]");
        assert_eq!(
            format!("{e:?}"),
            "Error: shape mismatch for initial states: expected [n, 2], got [5, 3]"
        );
        assert_eq!(
            e.to_string(),
            "shape mismatch for initial states: expected [n, 2], got [5, 3]"
        );
        let e = Error::invalid("rtol", "must be positive, got -1");
        assert_eq!(e.to_string(), "invalid rtol: must be positive, got -1");
        let e: Error = SolverError::StepSizeTooSmall { t: 1.5, h: 1e-300 }.into();
        assert!(e.to_string().contains("t = 1.5"), "{e}");
        let e = Error::bad_file("data/x.npy", "expected 3 dimensions, found 2");
        assert_eq!(e.to_string(), "data/x.npy: expected 3 dimensions, found 2");
        let e = Error::InUse {
            path: "models/Hopf".into(),
            holder: "PID 12 (hits train)".into(),
        };
        assert_eq!(
            e.to_string(),
            "models/Hopf is in use by another hits process (PID 12 (hits train)); wait until it ends, or choose another folder"
        );
        let e = Error::NonFinite {
            what: "data/Hopf/val_noise0.0.npy (val split)".into(),
            value: f64::NAN,
            at: "[3, 17, 1]".into(),
            hint: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "data/Hopf/val_noise0.0.npy (val split): non-finite value NaN at [3, 17, 1]"
        );
    }
}
