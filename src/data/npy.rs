//! `.npy` input/output for trajectory arrays (numpy's format, via `ndarray-npy`).
//!
//! Trajectory files hold `float64` arrays of shape `[n_traj, n_points, dim]`, C or Fortran
//! order (both are read). Reading checks the header against the file's size before allocating
//! anything (an empty, cut or damaged file says so instead of aborting on a huge allocation),
//! then the dtype, the number of dimensions and, on request, the state dimension; every error
//! names the file and what was found. Reading and writing can hash the file's bytes as they
//! pass (SHA-256, for `dataset.json`, see [`super::meta`]). Writing is atomic:
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

use super::hash::{HashingReader, HashingWriter};
use super::npy_header::read_header;

/// Read a `float64` array with 3 dimensions `[n_traj, n_points, dim]`.
///
/// The header is checked against the file's size first: a damaged header cannot make the read
/// allocate more than the file holds, and an empty or cut file says so.
pub fn read_array3(path: &Path) -> Result<Array3<f64>> {
    Ok(read_array3_inner(path, false)?.0)
}

/// [`read_array3`], also returning the SHA-256 of the whole file (hex, as `sha256sum`).
pub fn read_array3_hashed(path: &Path) -> Result<(Array3<f64>, String)> {
    let (a, hash) = read_array3_inner(path, true)?;
    Ok((a, hash.unwrap_or_default()))
}

fn read_array3_inner(path: &Path, hash: bool) -> Result<(Array3<f64>, Option<String>)> {
    let header = read_header(path)?;
    if !header.is_f64() {
        return Err(Error::bad_file(
            path,
            format!(
                "expected dtype float64 ('<f8'), found descriptor {}",
                header.descr
            ),
        ));
    }
    if header.shape.len() != 3 {
        return Err(Error::bad_file(
            path,
            format!(
                "expected 3 dimensions [n_traj, n_points, dim], found {} (shape {:?})",
                header.shape.len(),
                header.shape
            ),
        ));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let (a, digest) = if hash {
        let mut reader = HashingReader::new(file);
        let a = ArrayD::<f64>::read_npy(BufReader::with_capacity(1 << 20, &mut reader))
            .map_err(|e| npy_error(path, e))?;
        (a, Some(reader.finish().map_err(|e| Error::io(path, e))?))
    } else {
        let a = ArrayD::<f64>::read_npy(BufReader::with_capacity(1 << 20, file))
            .map_err(|e| npy_error(path, e))?;
        (a, None)
    };
    let shape = a.shape().to_vec();
    let a = a.into_dimensionality::<Ix3>().map_err(|_| {
        Error::bad_file(
            path,
            format!("expected 3 dimensions, found shape {shape:?}"),
        )
    })?;
    Ok((a, digest))
}

/// Read a trajectory array and check its state dimension (the last axis) is `dim`.
pub fn read_trajectories(path: &Path, dim: usize) -> Result<Array3<f64>> {
    let a = read_array3(path)?;
    check_state_dim(path, &a, dim)?;
    Ok(a)
}

/// Error unless the last axis of `a` (read from `path`) is `dim`.
pub(crate) fn check_state_dim(path: &Path, a: &Array3<f64>, dim: usize) -> Result<()> {
    if a.shape()[2] != dim {
        return Err(Error::bad_file(
            path,
            format!(
                "expected state dimension {dim} (shape [n_traj, n_points, {dim}]), found shape {:?}",
                a.shape()
            ),
        ));
    }
    Ok(())
}

/// The dtype descriptor (`<f8`, `<f4`, ...) and the shape a `.npy` file's header announces,
/// checked against the file's size, without reading the data: e.g. to learn a data set's sizes.
pub fn read_shape(path: &Path) -> Result<(String, Vec<usize>)> {
    let h = read_header(path)?;
    Ok((h.descr, h.shape))
}

/// Read a `float64` or `float32` array `[n_traj, n_points, dim]` (a user's own trajectories),
/// widened to `float64`; the same checks as [`read_array3`] (header against file size first).
pub fn read_float_array3(path: &Path) -> Result<Array3<f64>> {
    let header = read_header(path)?;
    if !header.descr.ends_with("f4") {
        return read_array3(path);
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let a = ArrayD::<f32>::read_npy(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| npy_error(path, e))?;
    let shape = a.shape().to_vec();
    a.mapv(f64::from).into_dimensionality::<Ix3>().map_err(|_| {
        Error::bad_file(
            path,
            format!(
                "expected 3 dimensions [n_traj, n_points, dim], found {} (shape {shape:?})",
                shape.len()
            ),
        )
    })
}

/// Turn an `ndarray-npy` error into one that names the file and says what was found.
fn npy_error(path: &Path, e: ReadNpyError) -> Error {
    let msg = match e {
        ReadNpyError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: the file ends before all the data its header announces".to_string()
        }
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
    write_array_atomic_hashed(path, array).map(|_| ())
}

/// [`write_array_atomic`], returning the SHA-256 of the bytes written (hex).
pub fn write_array_atomic_hashed<A, S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<String>
where
    A: WritableElement,
    S: Data<Elem = A>,
    D: Dimension,
{
    let mut digest = String::new();
    crate::io::write_atomic(path, |tmp| {
        let file = File::options()
            .write(true)
            .truncate(true)
            .open(tmp)
            .map_err(|e| Error::io(tmp, e))?;
        let mut w = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
        array
            .write_npy(&mut w)
            .map_err(|e| Error::bad_file(tmp, format!("cannot write .npy: {e}")))?;
        let (buf, hash) = w.finish();
        buf.into_inner()
            .map_err(|e| Error::io(tmp, e.into_error()))?;
        digest = hash;
        Ok(())
    })?;
    Ok(digest)
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
