//! The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
//! dimensions), one big-endian `u32` per dimension, then the data in row-major order. Only the
//! unsigned-byte type (`0x08`) is used by these datasets, so only it is read and written:
//! images are `0x00000803` (count × rows × columns) and labels `0x00000801` (count).
//!
//! Readers work on the *decompressed* bytes so that a checksum can be taken over them: Debian
//! re-compresses the upstream archives, which changes the `.gz` bytes but not their contents.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

use super::DataError;

/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Images read from an IDX file: `count` greyscale images of `rows × cols`, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// `count × rows × cols` pixel values.
    pub pixels: Vec<u8>,
}

/// The contents of a file, decompressed if it was gzip, with the path it came from.
#[derive(Debug, Clone)]
pub struct RawFile {
    /// Where the bytes came from (a real path, or a label such as `embedded:…`).
    pub path: PathBuf,
    /// Decompressed contents.
    pub bytes: Vec<u8>,
}

impl RawFile {
    /// Reads `path`, decompressing it when it starts with the gzip magic bytes.
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let data = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(path.to_path_buf(), &data)
    }

    /// Decompresses `data` (when gzip) and labels it with `path` for error messages.
    pub fn from_bytes(path: PathBuf, data: &[u8]) -> Result<Self, DataError> {
        let bytes = if data.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::with_capacity(data.len() * 4);
            if let Err(source) = MultiGzDecoder::new(data).read_to_end(&mut out) {
                return Err(DataError::Decompress { path, source });
            }
            out
        } else {
            data.to_vec()
        };
        Ok(Self { path, bytes })
    }

    /// Lowercase hex SHA-256 of the decompressed contents.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }

    /// Fails with [`DataError::Checksum`] unless the decompressed contents hash to `expected`.
    pub fn verify_sha256(&self, expected: &str) -> Result<(), DataError> {
        let found = self.sha256();
        if found.eq_ignore_ascii_case(expected) {
            Ok(())
        } else {
            Err(DataError::Checksum {
                path: self.path.clone(),
                expected: expected.to_string(),
                found,
            })
        }
    }

    /// Parses the contents as IDX images (`0x00000803`).
    pub fn parse_images(&self) -> Result<IdxImages, DataError> {
        let (dims, data) = parse(&self.path, &self.bytes, IMAGES_MAGIC, "images")?;
        let (count, rows, cols) = (dims[0], dims[1], dims[2]);
        if rows == 0 || cols == 0 {
            return Err(DataError::Malformed {
                path: self.path.clone(),
                problem: format!("image size {rows}×{cols} has a zero dimension"),
            });
        }
        Ok(IdxImages {
            count,
            rows,
            cols,
            pixels: data.to_vec(),
        })
    }

    /// Parses the contents as IDX labels (`0x00000801`), each below `classes`.
    pub fn parse_labels(&self, classes: usize) -> Result<Vec<u8>, DataError> {
        let (_, data) = parse(&self.path, &self.bytes, LABELS_MAGIC, "labels")?;
        if let Some((index, &label)) = data
            .iter()
            .enumerate()
            .find(|&(_, &l)| usize::from(l) >= classes)
        {
            return Err(DataError::LabelOutOfRange {
                path: self.path.clone(),
                index,
                label,
                classes,
            });
        }
        Ok(data.to_vec())
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the magic number and header, and that the data length matches the dimensions.
fn parse<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: u32,
    kind: &'static str,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let ndims = (magic & 0xff) as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: header as u64,
            found: bytes.len() as u64,
        });
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic {
        return Err(DataError::WrongMagic {
            path: path.to_path_buf(),
            kind,
            expected: magic,
            found,
        });
    }
    if bytes.len() < header {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: header as u64,
            found: bytes.len() as u64,
        });
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let len = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .unwrap_or(u64::MAX);
    let expected = (header as u64).saturating_add(len);
    let actual = bytes.len() as u64;
    if actual < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected,
            found: actual,
        });
    }
    if actual > expected {
        return Err(DataError::Malformed {
            path: path.to_path_buf(),
            problem: format!(
                "{} bytes after the {expected} that the header {dims:?} describes",
                actual - expected
            ),
        });
    }
    Ok((dims, &bytes[header..]))
}

/// Encodes greyscale images (`count × rows × cols`, row-major) as IDX bytes.
pub fn encode_images(
    count: usize,
    rows: usize,
    cols: usize,
    pixels: &[u8],
) -> Result<Vec<u8>, DataError> {
    if pixels.len() != count * rows * cols {
        return Err(DataError::Invalid(format!(
            "{} pixels given for {count} images of {rows}×{cols}",
            pixels.len()
        )));
    }
    let mut out = Vec::with_capacity(16 + pixels.len());
    out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for d in [count, rows, cols] {
        out.extend_from_slice(&dim(d)?.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    Ok(out)
}

/// Encodes labels as IDX bytes.
pub fn encode_labels(labels: &[u8]) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&dim(labels.len())?.to_be_bytes());
    out.extend_from_slice(labels);
    Ok(out)
}

fn dim(d: usize) -> Result<u32, DataError> {
    u32::try_from(d)
        .map_err(|_| DataError::Invalid(format!("dimension {d} does not fit an IDX header")))
}

/// Gzip-compresses `bytes` with a fixed header (no name, zero timestamp), so the same input
/// always gives the same file.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(bytes.len() / 2), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Writes `bytes` to `path`, gzip-compressed when `compress` is true.
pub fn write_file(path: &Path, bytes: &[u8], compress: bool) -> Result<(), DataError> {
    let data = if compress {
        gzip(bytes)
    } else {
        bytes.to_vec()
    };
    std::fs::write(path, data).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}
