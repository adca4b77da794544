//! `.npy` input/output for trajectory arrays (numpy's format, via `ndarray-npy`).
//!
//! Trajectory files hold `float64` arrays of shape `[n_traj, n_points, dim]`, C or Fortran
//! order (both are read). Only regular files are read ([`crate::io::open_data_file`]: a FIFO
//! or a folder named like a data file is refused, never waited on). Reading checks the header
//! against the file's size before allocating anything, with checked arithmetic on the shape (an
//! empty, cut or damaged file says so instead of aborting on a huge allocation), reads exactly
//! the data the header announces (no second parser that could read the header otherwise),
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
use ndarray::{Array3, ArrayBase, Data, Dimension, ShapeBuilder};
use ndarray_npy::{WritableElement, WriteNpyExt};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::Path;

use super::hash::{HashingReader, HashingWriter};
use super::npy_header::{read_header, read_header_of, NpyHeader};

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
    let mut file = crate::io::open_data_file(path)?;
    let header = read_header_of(&mut file, path)?;
    if !header.is_f64() {
        return Err(Error::bad_file(
            path,
            format!(
                "expected dtype float64 ('<f8'), found descriptor {}",
                header.descr
            ),
        ));
    }
    check_three_dims(path, &header)?;
    let (values, digest) = read_data(file, path, &header, hash)?;
    Ok((to_array3(path, &header, values)?, digest))
}

/// Error unless the header announces 3 dimensions.
fn check_three_dims(path: &Path, header: &NpyHeader) -> Result<()> {
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
    Ok(())
}

/// The array of `values` in the header's shape and order.
fn to_array3(path: &Path, header: &NpyHeader, values: Vec<f64>) -> Result<Array3<f64>> {
    let s = &header.shape;
    let shape = (s[0], s[1], s[2]);
    let a = if header.fortran_order {
        Array3::from_shape_vec(shape.f(), values)
    } else {
        Array3::from_shape_vec(shape, values)
    };
    a.map_err(|e| Error::bad_file(path, format!("shape {s:?}: {e}")))
}

/// The data of a float64 or float32 file (widened), read from `file` after its checked
/// `header`: exactly the bytes the header announces, in pieces (the header was checked against
/// the file's size, so nothing larger than the file is allocated); a file that changed since
/// (shorter, longer) is an error. With `hash`, the SHA-256 of the whole file.
fn read_data(
    mut file: File,
    path: &Path,
    header: &NpyHeader,
    hash: bool,
) -> Result<(Vec<f64>, Option<String>)> {
    let item: usize = if header.is_f64() {
        8
    } else if header.is_f32() {
        4
    } else {
        return Err(Error::bad_file(
            path,
            format!(
                "expected dtype float64 or float32, found descriptor {}",
                header.descr
            ),
        ));
    };
    let count = header
        .count()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Error::bad_file(path, format!("shape {:?} overflows", header.shape)))?;
    let truncated = || {
        Error::bad_file(
            path,
            "truncated: the file ends before all the data its header announces (it changed while read)",
        )
    };
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            truncated()
        } else {
            Error::io(path, e)
        }
    };
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let buffered = BufReader::with_capacity(1 << 20, file);
    if hash {
        let mut reader = HashingReader::new(buffered);
        let values = read_body(&mut reader, path, header, item, count).map_err(io)??;
        Ok((values, Some(reader.finish().map_err(io)?)))
    } else {
        let mut reader = buffered;
        let values = read_body(&mut reader, path, header, item, count).map_err(io)??;
        Ok((values, None))
    }
}

/// Skip the header, read `count` values of `item` bytes and check that nothing follows.
fn read_body<R: Read>(
    reader: &mut R,
    path: &Path,
    header: &NpyHeader,
    item: usize,
    count: usize,
) -> std::io::Result<Result<Vec<f64>>> {
    let big = header.big_endian();
    std::io::copy(&mut reader.take(header.data_offset), &mut std::io::sink())?;
    let mut values = Vec::with_capacity(count);
    let mut buf = vec![0u8; item * 8192];
    while values.len() < count {
        let n = (count - values.len()).min(8192);
        let chunk = &mut buf[..n * item];
        reader.read_exact(chunk)?;
        if item == 8 {
            values.extend(chunk.chunks_exact(8).map(|c| {
                let b: [u8; 8] = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                if big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                }
            }));
        } else {
            values.extend(chunk.chunks_exact(4).map(|c| {
                let b: [u8; 4] = [c[0], c[1], c[2], c[3]];
                f64::from(if big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                })
            }));
        }
    }
    let mut extra = [0u8; 1];
    if reader.read(&mut extra)? > 0 {
        return Ok(Err(Error::bad_file(
            path,
            format!(
                "unexpected bytes after the data the header announces (shape {:?}; the file grew while read)",
                header.shape
            ),
        )));
    }
    Ok(Ok(values))
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
    let mut file = crate::io::open_data_file(path)?;
    let header = read_header_of(&mut file, path)?;
    if !header.is_f32() {
        drop(file);
        return read_array3(path);
    }
    check_three_dims(path, &header)?;
    let (values, _) = read_data(file, path, &header, false)?;
    to_array3(path, &header, values)
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
