//! The header of a `.npy` file, read and checked against the file's size before any data is
//! allocated (a header may announce any shape; a damaged one must not make `hits` ask for
//! petabytes).
//!
//! Format (numpy's `NEP 1`): the magic `\x93NUMPY`, a major and minor version byte, the header
//! length (`u16` little endian in version 1, `u32` in versions 2 and 3), then a Python dict
//! literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }`, padded;
//! the data follows, `prod(shape) * itemsize` bytes.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::{Error, Result};

/// What a `.npy` header announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyHeader {
    /// The dtype descriptor, e.g. `<f8`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Bytes before the data (magic, lengths and dict).
    pub data_offset: u64,
}

impl NpyHeader {
    /// Bytes per element from the descriptor (`<f8` -> 8), if it has a plain size.
    pub fn item_size(&self) -> Option<u64> {
        let digits: String = self.descr.chars().filter(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    }

    /// Whether the dtype is float32 in either byte order.
    pub fn is_f32(&self) -> bool {
        matches!(self.descr.as_str(), "<f4" | ">f4" | "=f4" | "|f4")
    }

    /// Whether the data is big-endian (`>`); `<`, `=` and `|` are read as little-endian.
    pub fn big_endian(&self) -> bool {
        self.descr.starts_with('>')
    }

    /// The number of elements the shape announces (`None` on overflow).
    pub fn count(&self) -> Option<u64> {
        self.shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d).ok()?))
    }

    /// Whether the dtype is float64 in either byte order.
    pub fn is_f64(&self) -> bool {
        matches!(self.descr.as_str(), "<f8" | ">f8" | "=f8" | "|f8")
    }
}

/// Read and check the header of `path` against the file's size: the data the header announces
/// must be exactly what follows it. Errors name the file and what was found. Only a regular
/// file is opened ([`crate::io::open_data_file`]: a FIFO named `x.npy` is refused, not waited on).
pub(crate) fn read_header(path: &Path) -> Result<NpyHeader> {
    let mut file = crate::io::open_data_file(path)?;
    read_header_of(&mut file, path)
}

/// [`read_header`] on an open file (read from its start; the position is left past the header).
pub(crate) fn read_header_of(file: &mut std::fs::File, path: &Path) -> Result<NpyHeader> {
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |msg: String| Error::bad_file(path, msg);
    if len == 0 {
        return Err(bad("empty file (0 bytes), not a .npy array".into()));
    }
    let mut lead = [0u8; 12];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    let got = read_up_to(file, &mut lead).map_err(|e| Error::io(path, e))?;
    if got < 6 || &lead[..6] != b"\x93NUMPY" {
        return Err(bad(format!(
            "not a valid .npy file: it does not start with numpy's magic string ({len} bytes)"
        )));
    }
    if got < 10 {
        return Err(bad(format!(
            "not a valid .npy file: {len} bytes, too short for a header"
        )));
    }
    let (major, prefix) = (lead[6], if lead[6] == 1 { 10u64 } else { 12 });
    let header_len = match major {
        1 => u16::from_le_bytes([lead[8], lead[9]]) as u64,
        2 | 3 if got >= 12 => u32::from_le_bytes([lead[8], lead[9], lead[10], lead[11]]) as u64,
        2 | 3 => {
            return Err(bad(format!(
                "not a valid .npy file: {len} bytes, too short for a header"
            )))
        }
        v => {
            return Err(bad(format!(
                "not a valid .npy file: unknown format version {v}"
            )))
        }
    };
    let data_offset = prefix + header_len;
    if data_offset > len {
        return Err(bad(format!(
            "truncated: {len} bytes, but the header alone announces {data_offset}"
        )));
    }
    let mut dict = vec![0u8; header_len as usize];
    file.seek(SeekFrom::Start(prefix))
        .and_then(|_| file.read_exact(&mut dict))
        .map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&dict);
    let header = parse_dict(&text, data_offset).map_err(|m| {
        bad(format!(
            "not a valid .npy file: {m} in header {}",
            text.trim()
        ))
    })?;
    let n = header.count();
    let need = match (n, header.item_size()) {
        (Some(n), Some(size)) => n.checked_mul(size),
        _ => None,
    };
    let have = len - data_offset;
    match need {
        None => Err(bad(format!(
            "the header announces shape {:?} of {}, more data than any file can hold ({len} bytes)",
            header.shape, header.descr
        ))),
        Some(need) if need > have => Err(bad(format!(
            "truncated: the header announces shape {:?} ({need} bytes of data), the file holds \
             {have} after its header ({len} bytes in all)",
            header.shape
        ))),
        Some(need) if need < have => Err(bad(format!(
            "{} unexpected bytes after the data the header announces (shape {:?})",
            have - need,
            header.shape
        ))),
        Some(_) => Ok(header),
    }
}

/// Fill `buf` as far as the file goes.
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The three keys of the header dict.
fn parse_dict(text: &str, data_offset: u64) -> std::result::Result<NpyHeader, String> {
    let value_after = |key: &str| -> std::result::Result<&str, String> {
        let quoted = format!("'{key}'");
        if text.matches(&quoted).count() > 1 {
            // readers that keep the first or the last would see two different arrays
            return Err(format!("'{key}' given more than once"));
        }
        let at = text.find(&quoted).ok_or_else(|| format!("no '{key}'"))?;
        let rest = &text[at + key.len() + 2..];
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("no value for '{key}'"))?;
        Ok(rest[colon + 1..].trim_start())
    };
    let descr = value_after("descr")?;
    let quote = descr.chars().next().filter(|c| *c == '\'' || *c == '"');
    let descr = match quote {
        Some(q) => descr[1..]
            .split(q)
            .next()
            .ok_or("unterminated 'descr'")?
            .to_string(),
        None => return Err("'descr' is not a simple dtype string".into()),
    };
    let fortran = value_after("fortran_order")?;
    let fortran_order = if fortran.starts_with("True") {
        true
    } else if fortran.starts_with("False") {
        false
    } else {
        return Err("'fortran_order' is neither True nor False".into());
    };
    let shape = value_after("shape")?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("'shape' is not a tuple")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| format!("'shape' ({inner}) holds something other than sizes"))?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
        data_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dicts_parse() {
        let h = parse_dict(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }   \n",
            128,
        )
        .unwrap();
        assert_eq!(h.shape, vec![2, 3, 4]);
        assert!(h.is_f64() && !h.fortran_order);
        assert_eq!(h.item_size(), Some(8));
        let h = parse_dict(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (5,), }",
            64,
        )
        .unwrap();
        assert_eq!(
            (h.shape.clone(), h.fortran_order, h.is_f64()),
            (vec![5], true, false)
        );
        let h = parse_dict(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
            64,
        )
        .unwrap();
        assert!(h.shape.is_empty());
        assert!(parse_dict("{'descr': '<f8', 'shape': (2,), }", 64).is_err());
    }
}
