//! One writer per incident: an advisory lock on `incidents/<id>/lock`, with the holder's
//! name written inside so a second console can say who has it and open read-only.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub since: DateTime<Utc>,
}

impl LockHolder {
    pub fn me(user: &str, now: DateTime<Utc>) -> LockHolder {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown host".into());
        LockHolder {
            user: user.to_string(),
            host,
            pid: std::process::id(),
            since: now,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} on {} (pid {}) since {}",
            self.user,
            self.host,
            self.pid,
            self.since.format("%H:%M:%S UTC")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the incident is open for writing by {}", .0.as_ref().map_or("another warroom (holder unknown)".to_string(), LockHolder::describe))]
    Held(Option<LockHolder>),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Held for as long as this value lives; the OS releases it if the process dies.
#[derive(Debug)]
pub struct IncidentLock {
    _file: File,
}

impl IncidentLock {
    /// [`IncidentLock::acquire`], waiting up to `wait` for a holder that keeps the lock
    /// only a moment (starting a drill run holds its drill's lock for two fsyncs).
    pub fn acquire_waiting(
        dir: &Path,
        me: &LockHolder,
        wait: std::time::Duration,
    ) -> Result<IncidentLock, LockError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match IncidentLock::acquire(dir, me) {
                Err(LockError::Held(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    pub fn acquire(dir: &Path, me: &LockHolder) -> Result<IncidentLock, LockError> {
        let path = dir.join("lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| LockError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {
                let text = serde_json::to_string(me).unwrap_or_default();
                file.set_len(0)
                    .and_then(|()| file.seek(SeekFrom::Start(0)))
                    .and_then(|_| file.write_all(text.as_bytes()))
                    .and_then(|()| file.sync_data())
                    .map_err(|source| LockError::Io {
                        path: path.clone(),
                        source,
                    })?;
                Ok(IncidentLock { _file: file })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Err(LockError::Held(serde_json::from_str(&text).ok()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::Io { path, source: e }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_learns_who_holds_the_incident() {
        let dir = tempfile::tempdir().unwrap();
        let alice = LockHolder::me("alice", Utc::now());
        let held = IncidentLock::acquire(dir.path(), &alice).unwrap();
        // flock is per open file description, so a second open in this process conflicts too.
        let err =
            IncidentLock::acquire(dir.path(), &LockHolder::me("bob", Utc::now())).unwrap_err();
        match &err {
            LockError::Held(Some(h)) => assert_eq!(h, &alice),
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("by alice on "), "{err}");
        drop(held);
        assert!(IncidentLock::acquire(dir.path(), &LockHolder::me("bob", Utc::now())).is_ok());
    }
}
