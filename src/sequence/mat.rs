//! A minimal reader of MATLAB level-5 MAT-files (`save -v7` and older, `scipy.io.savemat`).
//!
//! It reads one named real numeric matrix, converts it to `f64` and returns it as an
//! [`ndarray::Array2`] with MATLAB's shape `[rows, cols]` (MATLAB stores column-major; the
//! returned array is indexed `a[[i, j]]` exactly like `A(i+1, j+1)` in MATLAB and like
//! `scipy.io.loadmat(path)[key]` in Python).
//!
//! Format (MathWorks, "MAT-File Format", level 5): a 128-byte header (text, subsystem offset,
//! version `0x0100`, endian indicator `IM`/`MI`), then data elements, each an 8-byte tag
//! `(type: u32, n_bytes: u32)` followed by the data padded to 8 bytes, or a "small" 4-byte
//! element packing `(n_bytes: u16, type: u16)` and up to 4 data bytes into one 8-byte tag.
//! Variables are `miMATRIX` elements (flags, dimensions, name, real part, imaginary part),
//! possibly wrapped in `miCOMPRESSED` (a zlib stream holding one `miMATRIX`). The real part
//! may be stored in a narrower type than the array's class (MATLAB writes small integers of a
//! double array as `miUINT8`, for instance): every numeric storage type is converted.
//!
//! Variables other than the requested one are skipped without being decompressed beyond
//! their name, so reading `UALL` from the 300 MB `CYLINDER_ALL.mat` touches only that array.
//! Not supported (clear errors): v7.3 files (HDF5; re-save with `save -v7` or scipy), v4
//! files, complex, sparse, cell, struct and char arrays, more than two non-singleton
//! dimensions.
//!
//! ```no_run
//! # fn main() -> hits::Result<()> {
//! let u = hits::sequence::mat::read_mat_array("CYLINDER_ALL.mat".as_ref(), "UALL")?;
//! assert_eq!(u.dim(), (89351, 151));
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::ZlibDecoder;
use ndarray::{Array2, ShapeBuilder};

use crate::{Error, Result};

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// Byte order of the file, from its endian indicator.
#[derive(Clone, Copy)]
struct Order {
    little: bool,
}

impl Order {
    fn u32(self, b: [u8; 4]) -> u32 {
        if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    }
}

/// One element tag: type, payload size, and the payload itself for "small" elements.
struct Tag {
    dtype: u32,
    n_bytes: usize,
    small: Option<[u8; 4]>,
}

impl Tag {
    /// Bytes this element occupies after its 8-byte tag (payload plus padding to 8 bytes).
    fn padded_len(&self) -> usize {
        if self.small.is_some() {
            0
        } else {
            self.n_bytes.div_ceil(8) * 8
        }
    }
}

/// Outcome of looking at one top-level variable.
enum Found {
    Wanted(Array2<f64>),
    Other(String),
}

/// Read the real numeric matrix `key` from the MATLAB v5 file at `path`, as `f64`.
///
/// Errors name the file and the key: a missing key lists the variables the file holds.
pub fn read_mat_array(path: &Path, key: &str) -> Result<Array2<f64>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let total = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut r = BufReader::new(file);
    let order = read_header(&mut r, path)?;
    let io = |e: std::io::Error| Error::io(path, e);
    let mut names = Vec::new();
    let mut pos = 128u64;
    while pos + 8 <= total {
        let tag = read_tag(&mut r, order).map_err(io)?;
        // top-level elements: miMATRIX sizes include their padding, miCOMPRESSED are not padded
        let end = pos + 8 + tag.n_bytes as u64;
        if end > total {
            return Err(Error::bad_file(
                path,
                format!("truncated data element at byte {pos}"),
            ));
        }
        let found = match tag.dtype {
            MI_MATRIX => {
                let mut body = (&mut r).take(tag.n_bytes as u64);
                Some(read_matrix(&mut body, order, key, path)?)
            }
            MI_COMPRESSED => {
                let mut z = ZlibDecoder::new((&mut r).take(tag.n_bytes as u64));
                let inner = read_tag(&mut z, order).map_err(|e| {
                    Error::bad_file(
                        path,
                        format!("corrupt compressed element at byte {pos}: {e}"),
                    )
                })?;
                if inner.dtype != MI_MATRIX {
                    None
                } else {
                    Some(read_matrix(&mut z, order, key, path)?)
                }
            }
            _ => None,
        };
        match found {
            Some(Found::Wanted(a)) => return Ok(a),
            Some(Found::Other(name)) => names.push(name),
            None => {}
        }
        r.seek(SeekFrom::Start(end)).map_err(io)?;
        pos = end;
    }
    Err(Error::bad_file(
        path,
        format!("no variable '{key}' (the file holds: {})", names.join(", ")),
    ))
}

/// Check the 128-byte header and return the byte order.
fn read_header(r: &mut impl Read, path: &Path) -> Result<Order> {
    let mut h = [0u8; 128];
    r.read_exact(&mut h)
        .map_err(|_| Error::bad_file(path, "not a MAT-file: shorter than its 128-byte header"))?;
    let text = String::from_utf8_lossy(&h[..116]);
    if text.starts_with("MATLAB 7.3") {
        return Err(Error::bad_file(
            path,
            "MATLAB v7.3 (HDF5) MAT-file: not supported; re-save it with `save(..., '-v7')` in \
             MATLAB or scipy.io.savemat",
        ));
    }
    let order = match &h[126..128] {
        b"IM" => Order { little: true },
        b"MI" => Order { little: false },
        _ => {
            return Err(Error::bad_file(
                path,
                "not a MATLAB level-5 MAT-file (no 'IM'/'MI' endian indicator; v4 files are not supported)",
            ))
        }
    };
    Ok(order)
}

fn read_tag(r: &mut impl Read, order: Order) -> std::io::Result<Tag> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    let first = order.u32([b[0], b[1], b[2], b[3]]);
    if first >> 16 != 0 {
        Ok(Tag {
            dtype: first & 0xffff,
            n_bytes: (first >> 16) as usize,
            small: Some([b[4], b[5], b[6], b[7]]),
        })
    } else {
        let n = order.u32([b[4], b[5], b[6], b[7]]) as usize;
        Ok(Tag {
            dtype: first,
            n_bytes: n,
            small: None,
        })
    }
}

/// Read one sub-element's payload (padding consumed).
fn read_payload(r: &mut impl Read, tag: &Tag) -> std::io::Result<Vec<u8>> {
    if let Some(s) = tag.small {
        return Ok(s[..tag.n_bytes.min(4)].to_vec());
    }
    let mut v = vec![0u8; tag.padded_len()];
    r.read_exact(&mut v)?;
    v.truncate(tag.n_bytes);
    Ok(v)
}

/// Parse an `miMATRIX` body; decode the data only when its name is `key`.
fn read_matrix(r: &mut impl Read, order: Order, key: &str, path: &Path) -> Result<Found> {
    let bad = |what: &str, e: std::io::Error| Error::bad_file(path, format!("corrupt {what}: {e}"));
    let flags_tag = read_tag(r, order).map_err(|e| bad("array flags", e))?;
    let flags = read_payload(r, &flags_tag).map_err(|e| bad("array flags", e))?;
    if flags.len() < 4 {
        return Err(Error::bad_file(path, "array flags shorter than 4 bytes"));
    }
    let flag_word = order.u32([flags[0], flags[1], flags[2], flags[3]]);
    let class = flag_word & 0xff;
    let complex = flag_word & 0x0800 != 0;
    let dims_tag = read_tag(r, order).map_err(|e| bad("dimensions", e))?;
    let dims_raw = read_payload(r, &dims_tag).map_err(|e| bad("dimensions", e))?;
    let dims: Vec<usize> = dims_raw
        .chunks_exact(4)
        .map(|c| order.u32([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let name_tag = read_tag(r, order).map_err(|e| bad("array name", e))?;
    let name_raw = read_payload(r, &name_tag).map_err(|e| bad("array name", e))?;
    let name = String::from_utf8_lossy(&name_raw).into_owned();
    if name != key {
        return Ok(Found::Other(name));
    }
    let what = match class {
        1 => Some("a cell array"),
        2 => Some("a struct"),
        3 => Some("an object"),
        4 => Some("a char array"),
        5 => Some("a sparse matrix"),
        6..=15 => None,
        _ => Some("of an unknown class"),
    };
    if let Some(what) = what {
        return Err(Error::bad_file(
            path,
            format!("variable '{key}' is {what}, not a numeric matrix"),
        ));
    }
    if complex {
        return Err(Error::bad_file(
            path,
            format!("variable '{key}' is complex; only real matrices are supported"),
        ));
    }
    let (rows, cols) = matrix_shape(&dims).ok_or_else(|| {
        Error::bad_file(
            path,
            format!("variable '{key}' has dimensions {dims:?}; expected a 2-D matrix"),
        )
    })?;
    let re_tag = read_tag(r, order).map_err(|e| bad("real part", e))?;
    let raw = read_payload(r, &re_tag).map_err(|e| bad(&format!("data of '{key}'"), e))?;
    let values = to_f64(re_tag.dtype, &raw, order).ok_or_else(|| {
        Error::bad_file(
            path,
            format!(
                "variable '{key}': unsupported storage type {}",
                re_tag.dtype
            ),
        )
    })?;
    if values.len() != rows * cols {
        return Err(Error::bad_file(
            path,
            format!(
                "variable '{key}': {} values stored for a {rows} x {cols} matrix",
                values.len()
            ),
        ));
    }
    let a = Array2::from_shape_vec((rows, cols).f(), values)
        .map_err(|e| Error::bad_file(path, format!("variable '{key}': {e}")))?;
    Ok(Found::Wanted(a.as_standard_layout().into_owned()))
}

/// `[rows, cols]` of a MATLAB array whose dimensions beyond the second are all 1.
fn matrix_shape(dims: &[usize]) -> Option<(usize, usize)> {
    match dims {
        [] => None,
        [n] => Some((*n, 1)),
        [r, c, rest @ ..] if rest.iter().all(|&d| d == 1) => Some((*r, *c)),
        _ => None,
    }
}

/// Convert a numeric payload of MAT type `dtype` to `f64` values.
fn to_f64(dtype: u32, raw: &[u8], order: Order) -> Option<Vec<f64>> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            raw.chunks_exact($n)
                .map(|c| {
                    let b: [u8; $n] = c.try_into().expect("chunk of exact size");
                    (if order.little {
                        <$t>::from_le_bytes(b)
                    } else {
                        <$t>::from_be_bytes(b)
                    }) as f64
                })
                .collect()
        };
    }
    Some(match dtype {
        MI_INT8 => conv!(i8, 1),
        MI_UINT8 => conv!(u8, 1),
        MI_INT16 => conv!(i16, 2),
        MI_UINT16 => conv!(u16, 2),
        MI_INT32 => conv!(i32, 4),
        MI_UINT32 => conv!(u32, 4),
        MI_SINGLE => conv!(f32, 4),
        MI_DOUBLE => conv!(f64, 8),
        MI_INT64 => conv!(i64, 8),
        MI_UINT64 => conv!(u64, 8),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_matlab_dimensions() {
        assert_eq!(matrix_shape(&[3, 4]), Some((3, 4)));
        assert_eq!(matrix_shape(&[3, 4, 1]), Some((3, 4)));
        assert_eq!(matrix_shape(&[3, 4, 2]), None);
    }

    #[test]
    fn numeric_storage_types_convert() {
        let le = Order { little: true };
        assert_eq!(
            to_f64(MI_INT16, &[0xfe, 0xff, 2, 0], le),
            Some(vec![-2.0, 2.0])
        );
        assert_eq!(
            to_f64(MI_DOUBLE, &1.5f64.to_le_bytes(), le),
            Some(vec![1.5])
        );
        let be = Order { little: false };
        assert_eq!(to_f64(MI_UINT16, &[1, 0], be), Some(vec![256.0]));
        assert_eq!(to_f64(MI_MATRIX, &[], le), None);
    }
}
