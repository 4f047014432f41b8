//! The append-only results store: one JSON line per finished run, each written whole with one
//! `write`, flushed and fsync'd before the next run starts. A crash can only tear the last line
//! (no trailing newline); reading ignores such a line, and opening for append cuts it off first,
//! so earlier lines are never touched.
//!
//! A complete line that does not parse (a disk error, a hand edit, two writers before locks
//! existed) costs only itself: readers skip it with a warning, and the next writer moves it to
//! `<results>.quarantine` (with its line number, the reason and the time) so that the sweep
//! retrains just that index. Only one writer appends to a file at a time ([`WriterLock`]).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::SweepError;
use super::lock::{WriterLock, utc_now};

/// A complete line that could not be read as a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorruptLine {
    /// 1-based line number in the file it was read from.
    pub line: usize,
    /// Why it could not be read.
    pub why: String,
    /// The line itself (lossily decoded when it was not UTF-8).
    pub text: String,
}

/// What reading a JSONL file found.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub records: Vec<T>,
    /// Bytes of a torn last line that were ignored (0 when the file ended cleanly).
    pub torn_bytes: usize,
    /// Byte length of the complete lines.
    pub good_len: u64,
    /// Complete lines that were not valid records, skipped.
    pub corrupt: Vec<CorruptLine>,
}

impl<T> Loaded<T> {
    /// One warning line for the corrupt lines of `path`, if there are any.
    pub fn warning(&self, path: &Path) -> Option<String> {
        if self.corrupt.is_empty() {
            return None;
        }
        let lines: Vec<String> = self.corrupt.iter().map(|c| c.line.to_string()).collect();
        Some(format!(
            "warning: {}: skipped {} corrupt line(s) (line {}: {}); the next sweep run moves them to {} and retrains those runs",
            path.display(),
            self.corrupt.len(),
            lines.join(", "),
            self.corrupt[0].why,
            quarantine_path(path).display()
        ))
    }
}

/// `results.jsonl` → `results.jsonl.quarantine`: where a writer moves corrupt lines.
pub fn quarantine_path(results: &Path) -> PathBuf {
    let mut name = results.file_name().unwrap_or_default().to_os_string();
    name.push(".quarantine");
    results.with_file_name(name)
}

/// Read every complete line of `path` as a `T`. A missing file is an empty store. A complete
/// (newline-terminated) line that is not valid is skipped and reported in
/// [`Loaded::corrupt`]; an unterminated last line is a torn write and is ignored.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Loaded<T>, SweepError> {
    let mut loaded = Loaded {
        records: Vec::new(),
        torn_bytes: 0,
        good_len: 0,
        corrupt: Vec::new(),
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(loaded),
        Err(e) => return Err(SweepError::io(path, "open", e)),
    };
    // Read what the file held when opened (and nothing from a device that never ends).
    let len = file
        .metadata()
        .map_err(|e| SweepError::io(path, "stat", e))?
        .len();
    let mut reader = BufReader::new(file.take(len));
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
            loaded.torn_bytes = n;
            break;
        }
        loaded.good_len += n as u64;
        let bytes = &line[..n - 1];
        let parsed = match std::str::from_utf8(bytes) {
            Err(_) => Err("not UTF-8".to_string()),
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => serde_json::from_str(text).map_err(|e| e.to_string()),
        };
        match parsed {
            Ok(rec) => loaded.records.push(rec),
            Err(why) => loaded.corrupt.push(CorruptLine {
                line: number,
                why,
                text: String::from_utf8_lossy(bytes).into_owned(),
            }),
        }
    }
    Ok(loaded)
}

/// An open results file to append to, held under its [`WriterLock`].
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    file: File,
    _lock: WriterLock,
}

impl Appender {
    /// Take the writer's lock on `path` (refused at once if another writer holds it), move
    /// corrupt lines to the quarantine file, cut off a torn last line, and open `path`
    /// (creating it) for appending. Returns the records already there.
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(Self, Vec<T>), SweepError> {
        let lock = WriterLock::acquire(path)?;
        let loaded = read_jsonl::<T>(path)?;
        if !loaded.corrupt.is_empty() {
            quarantine(path, &loaded.corrupt)?;
            eprintln!(
                "warning: {}: moved {} corrupt line(s) (line {}) to {}; their runs will be trained again",
                path.display(),
                loaded.corrupt.len(),
                loaded
                    .corrupt
                    .iter()
                    .map(|c| c.line.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                quarantine_path(path).display()
            );
        }
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
        Ok((
            Appender {
                path: path.to_path_buf(),
                file,
                _lock: lock,
            },
            loaded.records,
        ))
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

/// Move `corrupt` lines of `path` to its quarantine file (appended, fsync'd first), then
/// rewrite `path` without them (atomically). A crash in between leaves a line in both places;
/// the next writer quarantines it again, which loses nothing. The caller holds the lock.
fn quarantine(path: &Path, corrupt: &[CorruptLine]) -> Result<(), SweepError> {
    let qpath = quarantine_path(path);
    let at = utc_now();
    let mut q = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&qpath)
        .map_err(|e| SweepError::io(&qpath, "open", e))?;
    let mut body = String::new();
    for c in corrupt {
        let entry = serde_json::json!({"line": c.line, "at": at, "why": c.why, "text": c.text});
        body.push_str(&entry.to_string());
        body.push('\n');
    }
    q.write_all(body.as_bytes())
        .and_then(|()| q.sync_data())
        .map_err(|e| SweepError::io(&qpath, "append to", e))?;
    let bytes = std::fs::read(path).map_err(|e| SweepError::io(path, "read", e))?;
    let bad: std::collections::HashSet<usize> = corrupt.iter().map(|c| c.line).collect();
    let mut kept = Vec::with_capacity(bytes.len());
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        if !bad.contains(&(i + 1)) {
            kept.extend_from_slice(line);
        }
    }
    crate::atomic::write_atomic(path, &kept).map_err(|e| SweepError::io(path, "rewrite", e))
}
