//! The append-only results store: one JSON line per finished run, each written whole with one
//! `write`, flushed and fsync'd before the next run starts. A crash can only tear the last line
//! (no trailing newline); reading ignores such a line, and opening for append cuts it off first,
//! so earlier lines are never touched.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SweepError;

/// What reading a JSONL file found.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub records: Vec<T>,
    /// Bytes of a torn last line that were ignored (0 when the file ended cleanly).
    pub torn_bytes: usize,
    /// Byte length of the complete lines.
    pub good_len: u64,
}

/// Read every complete line of `path` as a `T`. A missing file is an empty store. A line that
/// is complete (newline-terminated) but not valid is corruption and an error naming the line;
/// an unterminated last line is a torn write and is ignored.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Loaded<T>, SweepError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                records: Vec::new(),
                torn_bytes: 0,
                good_len: 0,
            });
        }
        Err(e) => return Err(SweepError::io(path, "open", e)),
    };
    let mut reader = BufReader::new(file);
    let mut records = Vec::new();
    let mut good_len = 0u64;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| SweepError::io(path, "read", e))?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            return Ok(Loaded {
                records,
                torn_bytes: n,
                good_len,
            });
        }
        let text = std::str::from_utf8(&line[..n - 1]).map_err(|_| SweepError::Corrupt {
            path: path.to_path_buf(),
            line: number,
            why: "not UTF-8".into(),
        })?;
        if !text.trim().is_empty() {
            let rec = serde_json::from_str(text).map_err(|e| SweepError::Corrupt {
                path: path.to_path_buf(),
                line: number,
                why: e.to_string(),
            })?;
            records.push(rec);
        }
        good_len += n as u64;
    }
    Ok(Loaded {
        records,
        torn_bytes: 0,
        good_len,
    })
}

/// An open results file to append to.
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    file: File,
}

impl Appender {
    /// Open (creating) `path` for appending, first cutting off a torn last line if there is one.
    pub fn open(path: &Path) -> Result<Self, SweepError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| SweepError::io(path, "open for append", e))?;
        let len = file
            .metadata()
            .map_err(|e| SweepError::io(path, "stat", e))?
            .len();
        let good =
            complete_prefix_len(&mut file, len).map_err(|e| SweepError::io(path, "read", e))?;
        if good < len {
            file.set_len(good)
                .map_err(|e| SweepError::io(path, "cut a torn line from", e))?;
            file.sync_all()
                .map_err(|e| SweepError::io(path, "sync", e))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| SweepError::io(path, "seek", e))?;
        Ok(Appender {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Append one record as a line and make it durable before returning.
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<(), SweepError> {
        let mut line = serde_json::to_string(record).map_err(|e| SweepError::Corrupt {
            path: self.path.clone(),
            line: 0,
            why: format!("cannot serialise a record: {e}"),
        })?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| SweepError::io(&self.path, "append to", e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Length of the file up to and including its last newline.
fn complete_prefix_len(file: &mut File, len: u64) -> std::io::Result<u64> {
    let mut end = len;
    let mut buf = [0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(pos) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + pos as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}
