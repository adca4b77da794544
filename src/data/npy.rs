//! `.npy` input/output for trajectory arrays (numpy's format, via `ndarray-npy`).
//!
//! Trajectory files hold `float64` arrays of shape `[n_traj, n_points, dim]`, C or Fortran
//! order (both are read). Reading checks the dtype, the number of dimensions and, on request,
//! the state dimension, and every error names the file and what was found. Writing is atomic:
//! the array goes to a temporary file in the same folder, which is then renamed over the
//! target, so an interrupted run never leaves a half-written data file behind.
//!
//! ```
//! # fn main() -> hits::Result<()> {
//! use hits::data::npy::{read_array3, write_array_atomic};
//! let dir = std::env::temp_dir().join(format!("hits-npy-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let a = ndarray::Array3::<f64>::zeros((2, 5, 3));
//! write_array_atomic(&dir.join("x.npy"), &a)?;
//! assert_eq!(read_array3(&dir.join("x.npy"))?, a);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

use crate::{Error, Result};
use ndarray::{Array3, ArrayBase, ArrayD, Data, Dimension, Ix3};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WritableElement, WriteNpyExt};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// Read a `float64` array with 3 dimensions `[n_traj, n_points, dim]` (the crate's own data
/// sets; see [`read_float_array3`] for trajectories of one's own, which may be `float32`).
pub fn read_array3(path: &Path) -> Result<Array3<f64>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let a = ArrayD::<f64>::read_npy(BufReader::new(file)).map_err(|e| npy_error(path, e))?;
    into_array3(path, a)
}

/// Read a `float64` or `float32` array `[n_traj, n_points, dim]` (a user's own trajectories),
/// widened to `float64`.
pub fn read_float_array3(path: &Path) -> Result<Array3<f64>> {
    if !read_header(path)?.descr.ends_with("f4") {
        return read_array3(path);
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let a = ArrayD::<f32>::read_npy(BufReader::new(file)).map_err(|e| npy_error(path, e))?;
    into_array3(path, a.mapv(f64::from))
}

fn into_array3(path: &Path, a: ArrayD<f64>) -> Result<Array3<f64>> {
    let shape = a.shape().to_vec();
    a.into_dimensionality::<Ix3>().map_err(|_| {
        Error::bad_file(
            path,
            format!(
                "expected 3 dimensions [n_traj, n_points, dim], found {} (shape {shape:?})",
                shape.len()
            ),
        )
    })
}

/// Read a trajectory array and check its state dimension (the last axis) is `dim`.
pub fn read_trajectories(path: &Path, dim: usize) -> Result<Array3<f64>> {
    let a = read_array3(path)?;
    if a.shape()[2] != dim {
        return Err(Error::bad_file(
            path,
            format!(
                "expected state dimension {dim} (shape [n_traj, n_points, {dim}]), found shape {:?}",
                a.shape()
            ),
        ));
    }
    Ok(a)
}

/// What a `.npy` header says: the dtype descriptor (`<f8`, `<f4`, ...), the memory order and
/// the shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
}

/// Read only the header of a `.npy` file (no data), e.g. to learn a data set's sizes.
pub fn read_header(path: &Path) -> Result<NpyHeader> {
    use std::io::Read;
    let bad = |msg: String| Error::bad_file(path, msg);
    let mut f = BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
    let mut head = [0u8; 8];
    f.read_exact(&mut head)
        .map_err(|_| bad("not a .npy file: shorter than the 8-byte magic and version".into()))?;
    if &head[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file: missing the \\x93NUMPY magic".into()));
    }
    let len = if head[6] == 1 {
        let mut b = [0u8; 2];
        f.read_exact(&mut b).map_err(|e| Error::io(path, e))?;
        u16::from_le_bytes(b) as usize
    } else {
        let mut b = [0u8; 4];
        f.read_exact(&mut b).map_err(|e| Error::io(path, e))?;
        u32::from_le_bytes(b) as usize
    };
    if len > 1 << 20 {
        return Err(bad(format!("header of {len} bytes is not a .npy header")));
    }
    let mut text = vec![0u8; len];
    f.read_exact(&mut text)
        .map_err(|_| bad("truncated inside the .npy header".into()))?;
    let text = String::from_utf8_lossy(&text);
    let value = |key: &str| -> Option<&str> {
        let at = text.find(&format!("'{key}'"))? + key.len() + 2;
        Some(text[at..].trim_start().strip_prefix(':')?.trim_start())
    };
    let descr = value("descr")
        .and_then(|v| v.strip_prefix('\'')?.split('\'').next())
        .ok_or_else(|| bad(format!("no dtype in the header {text:?}")))?
        .to_string();
    let fortran_order = value("fortran_order").is_some_and(|v| v.starts_with("True"));
    let shape = value("shape")
        .and_then(|v| v.strip_prefix('(')?.split(')').next())
        .ok_or_else(|| bad(format!("no shape in the header {text:?}")))?
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| bad(format!("unreadable shape in the header {text:?}")))?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
    })
}

/// Turn an `ndarray-npy` error into one that names the file and says what was found.
fn npy_error(path: &Path, e: ReadNpyError) -> Error {
    let msg = match e {
        ReadNpyError::Io(e) => return Error::io(path, e),
        ReadNpyError::WrongDescriptor(d) => {
            format!("expected dtype float64 ('<f8'), found descriptor {d}")
        }
        ReadNpyError::MissingData => {
            "truncated: the file ends before all the data its header announces".to_string()
        }
        ReadNpyError::ExtraBytes(n) => {
            format!("{n} unexpected bytes after the data the header announces")
        }
        ReadNpyError::ParseHeader(e) => format!("not a valid .npy file: {e}"),
        other => format!("cannot read .npy data: {other}"),
    };
    Error::bad_file(path, msg)
}

/// Write `array` to `path` as `.npy`, atomically: a temporary file in the same folder is
/// written, flushed to disk and renamed over `path`.
pub fn write_array_atomic<A, S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<()>
where
    A: WritableElement,
    S: Data<Elem = A>,
    D: Dimension,
{
    crate::io::write_atomic(path, |tmp| {
        let file = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        let mut w = BufWriter::new(file);
        array
            .write_npy(&mut w)
            .map_err(|e| Error::bad_file(tmp, format!("cannot write .npy: {e}")))?;
        w.into_inner().map_err(|e| Error::io(tmp, e.into_error()))?;
        Ok(())
    })
}

/// Format a float as Python's `str(x)` / `'{}'.format(x)` does: the shortest digits that
/// round-trip, positional with at least one decimal (`0.0`, `0.01`, `123.0`) when the decimal
/// exponent is in `-4 ..= 15`, scientific with a signed two-digit exponent otherwise (`1e-05`,
/// `1.5e+16`).
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.25e-5", "0e0".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if exp + 1 >= n {
            format!("{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
        } else {
            let (int, frac) = digits.split_at(exp as usize + 1);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float;

    #[test]
    fn python_float_formatting() {
        // Expected strings are Python's str(x).
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.01, "0.01"),
            (0.02, "0.02"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (123.0, "123.0"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (2.5e-7, "2.5e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e100, "1.2345e+100"),
            (-0.05, "-0.05"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float(x), want, "{x:e}");
        }
    }
}
