//! One writer per results file: an exclusive advisory lock held for as long as a sweep appends.
//!
//! Two processes appending to one JSONL file interleave their lines and cut each other's
//! "torn" tails, and both train every model. So every writer first takes an exclusive lock on
//! `<results>.lock` beside the file it appends to, and a second writer is refused at once with
//! who holds it (process, host, since when). Why refuse rather than share the work: a second
//! writer on the *same* file gains nothing a shard does not give (`--shard K/N` writes its own
//! file, and shards of one directory run in parallel, each under its own lock), while sharing
//! would need a claim protocol whose failure modes (a claimant killed mid-run) are exactly what
//! the store exists to avoid.
//!
//! The lock is the operating system's (`flock` through `std::fs::File::try_lock`): the kernel
//! releases it when the process dies, even by SIGKILL, so a stale lock cannot exist; the holder
//! note written into the lock file is only for the error message. On network file systems the
//! lock is only as good as the mount: see the README ("Sweeps that survive anything").

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::SweepError;

/// Set to `off` to write without the lock, on a file system that has no locks (a Lustre mount
/// with `noflock`); then only one writer per results file may run, and nothing checks it.
pub const LOCK_ENV: &str = "REGNET_LAB_SWEEP_LOCK";

/// The exclusive right to append to one results file; released when dropped (or when the
/// process dies).
#[derive(Debug)]
pub struct WriterLock {
    path: PathBuf,
    _file: Option<File>,
}

impl WriterLock {
    /// Take the lock of `results` (a results file), or fail at once with
    /// [`SweepError::Locked`] naming the holder.
    pub fn acquire(results: &Path) -> Result<Self, SweepError> {
        let path = lock_path(results);
        if std::env::var(LOCK_ENV).is_ok_and(|v| v == "off") {
            return Ok(WriterLock { path, _file: None });
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| SweepError::io(&path, "open the lock file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(SweepError::Locked {
                    results: results.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another process (it has not written its name yet)".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(SweepError::io(
                    &path,
                    &format!(
                        "lock (this file system may not support locks; {LOCK_ENV}=off writes without one)"
                    ),
                    e,
                ));
            }
        }
        let note = format!(
            "process {} on host {} since {}",
            std::process::id(),
            host_name(),
            utc_now()
        );
        file.set_len(0)
            .and_then(|()| file.write_all(note.as_bytes()))
            .and_then(|()| file.sync_data())
            .map_err(|e| SweepError::io(&path, "write", e))?;
        Ok(WriterLock {
            path,
            _file: Some(file),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `results.jsonl` → `results.jsonl.lock`.
pub fn lock_path(results: &Path) -> PathBuf {
    let mut name = results.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    results.with_file_name(name)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "(unknown)".into())
}

/// Now as `YYYY-MM-DDThh:mm:ssZ`.
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// Seconds since 1970 as an ISO 8601 UTC time (the civil-from-days algorithm of the
/// proleptic Gregorian calendar).
///
/// ```
/// assert_eq!(regnet_lab::sweep::utc(0), "1970-01-01T00:00:00Z");
/// assert_eq!(regnet_lab::sweep::utc(1_796_113_800), "2026-12-01T08:30:00Z");
/// ```
pub fn utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
