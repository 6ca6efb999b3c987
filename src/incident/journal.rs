//! The journal file: one JSON record per line, each written and fsynced before the console
//! acts on it. Reading it back tolerates exactly one kind of damage, a torn last line from a
//! crash mid-write, which is set aside (never silently dropped); anything else is an error
//! that names the line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::record::{Record, RecordKind, SCHEMA_VERSION};

pub const FILE_NAME: &str = "journal.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}:{line}: malformed record: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: record version {found} is newer than this warroom understands ({SCHEMA_VERSION}); upgrade warroom to open this incident", path.display())]
    Version {
        path: PathBuf,
        line: usize,
        found: u32,
    },
    #[error("{}:{line}: record seq {found} where {expected} was expected: records are missing or out of order", path.display())]
    Gap {
        path: PathBuf,
        line: usize,
        expected: u64,
        found: u64,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A torn last line found at open, moved to a sidecar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub sidecar: PathBuf,
    pub bytes: usize,
}

/// What reading a journal gave back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    pub records: Vec<Record>,
    pub torn: Option<TornTail>,
}

/// Parses complete lines (each ending in `\n`), checking version and sequence.
/// `first_line` and `first_seq` let a follower continue where it left off.
pub fn parse_lines(
    path: &Path,
    text: &str,
    first_line: usize,
    first_seq: u64,
) -> Result<Vec<Record>, JournalError> {
    let mut out = Vec::new();
    let mut expected = first_seq;
    for (i, line) in text.split_terminator('\n').enumerate() {
        let line_no = first_line + i;
        if line.trim().is_empty() {
            continue;
        }
        // serde quotes the line (an unknown field): escaped, as it may reach the screen.
        let malformed = |message: String| JournalError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            message: crate::sanitize::escape_keeping_lines(&message),
        };
        let record: Record = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => {
                // Only now look closer: a record from a newer warroom says "upgrade", not
                // "malformed". (Parsing twice on every line would double replay time.)
                let v = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("v").and_then(serde_json::Value::as_u64))
                    .unwrap_or(0);
                if v > u64::from(SCHEMA_VERSION) {
                    return Err(JournalError::Version {
                        path: path.to_path_buf(),
                        line: line_no,
                        found: v as u32,
                    });
                }
                return Err(malformed(e.to_string()));
            }
        };
        if record.v > SCHEMA_VERSION {
            return Err(JournalError::Version {
                path: path.to_path_buf(),
                line: line_no,
                found: record.v,
            });
        }
        if record.seq != expected {
            return Err(JournalError::Gap {
                path: path.to_path_buf(),
                line: line_no,
                expected,
                found: record.seq,
            });
        }
        expected += 1;
        out.push(record);
    }
    Ok(out)
}

/// The single writer of one incident's journal (hold the incident lock first).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    next_seq: u64,
}

impl Journal {
    /// Opens (creating if needed) `dir/journal.jsonl`, replays it, sets a torn tail aside in
    /// a sidecar and truncates it away so new records start on a clean line.
    pub fn open(dir: &Path) -> Result<(Journal, Replay), JournalError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(FILE_NAME);
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path))?;
        if !existed {
            // The new file's directory entry must survive a crash too.
            file.sync_all().map_err(io_err(&path))?;
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err(dir))?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(&path))?;
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut torn = None;
        if complete < bytes.len() {
            let tail = &bytes[complete..];
            let sidecar = dir.join(format!(
                "journal.torn-{}.jsonl",
                Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
            ));
            let mut side = File::create(&sidecar).map_err(io_err(&sidecar))?;
            side.write_all(tail)
                .and_then(|()| side.sync_all())
                .map_err(io_err(&sidecar))?;
            file.set_len(complete as u64)
                .and_then(|()| file.sync_all())
                .map_err(io_err(&path))?;
            tracing::warn!(sidecar = %sidecar.display(), bytes = tail.len(), "torn journal tail set aside");
            torn = Some(TornTail {
                sidecar,
                bytes: tail.len(),
            });
        }
        let text =
            std::str::from_utf8(&bytes[..complete]).map_err(|e| JournalError::Malformed {
                path: path.clone(),
                line: 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count(),
                message: "not UTF-8".into(),
            })?;
        let records = parse_lines(&path, text, 1, 1)?;
        let next_seq = records.last().map_or(1, |r| r.seq + 1);
        Ok((
            Journal {
                path,
                file,
                next_seq,
            },
            Replay { records, torn },
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and fsyncs it. Only when this returns Ok may the console act.
    pub fn append(
        &mut self,
        at: DateTime<Utc>,
        by: Option<String>,
        kind: RecordKind,
    ) -> Result<Record, JournalError> {
        let record = Record::new(self.next_seq, at, by, kind);
        let mut line = serde_json::to_vec(&record).map_err(|e| JournalError::Malformed {
            path: self.path.clone(),
            line: self.next_seq as usize,
            message: e.to_string(),
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(io_err(&self.path))?;
        self.next_seq += 1;
        Ok(record)
    }
}

/// A reader that follows a journal as it grows (read-only viewers). It never writes, and a
/// partial last line is simply waited for: the writer may be in the middle of it.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
    lines_read: usize,
    next_seq: u64,
}

impl Follower {
    pub fn new(dir: &Path) -> Follower {
        Follower {
            path: dir.join(FILE_NAME),
            offset: 0,
            pending: Vec::new(),
            lines_read: 0,
            next_seq: 1,
        }
    }

    /// Records appended since the last call.
    pub fn poll(&mut self) -> Result<Vec<Record>, JournalError> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(JournalError::Io {
                    path: self.path.clone(),
                    source: e,
                });
            }
        };
        let len = file.metadata().map_err(io_err(&self.path))?.len();
        if len < self.offset {
            // The writer truncated a torn tail we had partly read: drop it and re-read.
            self.offset = len;
            self.pending.clear();
        }
        file.seek(SeekFrom::Start(self.offset))
            .map_err(io_err(&self.path))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(io_err(&self.path))?;
        self.offset += buf.len() as u64;
        self.pending.extend_from_slice(&buf);
        let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') else {
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.pending.drain(..=end).collect();
        let text = String::from_utf8(complete).map_err(|_| JournalError::Malformed {
            path: self.path.clone(),
            line: self.lines_read + 1,
            message: "not UTF-8".into(),
        })?;
        let records = parse_lines(&self.path, &text, self.lines_read + 1, self.next_seq)?;
        self.lines_read += text.split_terminator('\n').count();
        if let Some(last) = records.last() {
            self.next_seq = last.seq + 1;
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn note(t: &str) -> RecordKind {
        RecordKind::Note {
            text: t.into(),
            action_item: None,
        }
    }

    #[test]
    fn append_then_replay_gives_the_same_records() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, replay) = Journal::open(dir.path()).unwrap();
        assert!(replay.records.is_empty());
        let a = j.append(at(0), Some("alice".into()), note("one")).unwrap();
        let b = j.append(at(1), None, note("two")).unwrap();
        drop(j);
        let (mut j, replay) = Journal::open(dir.path()).unwrap();
        assert_eq!(replay.records, vec![a, b]);
        assert_eq!(j.append(at(2), None, note("three")).unwrap().seq, 3);
    }

    #[test]
    fn a_torn_tail_is_set_aside_and_appends_continue_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap();
        j.append(at(0), None, note("kept")).unwrap();
        drop(j);
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        let torn_bytes = br#"{"v":1,"seq":2,"at":"2027-01-15T08:00:00Z","type":"no"#;
        f.write_all(torn_bytes).unwrap();
        drop(f);
        let (mut j, replay) = Journal::open(dir.path()).unwrap();
        assert_eq!(replay.records.len(), 1);
        let torn = replay.torn.expect("torn tail reported");
        assert_eq!(torn.bytes, torn_bytes.len());
        assert!(
            fs::read_to_string(&torn.sidecar)
                .unwrap()
                .ends_with(r#""type":"no"#)
        );
        j.append(at(5), None, note("after")).unwrap();
        drop(j);
        let (_, replay) = Journal::open(dir.path()).unwrap();
        assert_eq!(replay.records.len(), 2);
        assert!(replay.torn.is_none());
    }

    #[test]
    fn a_malformed_complete_line_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap();
        j.append(at(0), None, note("ok")).unwrap();
        drop(j);
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{not json}\n").unwrap();
        let err = Journal::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("journal.jsonl:2: malformed record"), "{err}");
    }

    #[test]
    fn newer_versions_and_gaps_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(
            &path,
            "{\"v\":9,\"seq\":1,\"at\":\"2027-01-15T08:00:00Z\",\"type\":\"future\"}\n",
        )
        .unwrap();
        let err = Journal::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains(":1: record version 9 is newer"), "{err}");
        let line = |seq| {
            format!(
                "{{\"v\":1,\"seq\":{seq},\"at\":\"2027-01-15T08:00:00Z\",\"type\":\"alert_acked\",\"fingerprint\":\"x\"}}\n"
            )
        };
        fs::write(&path, line(1) + &line(3)).unwrap();
        let err = Journal::open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(":2: record seq 3 where 2 was expected"),
            "{err}"
        );
    }

    #[test]
    fn a_follower_sees_appends_and_waits_for_partial_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut follower = Follower::new(dir.path());
        assert!(
            follower.poll().unwrap().is_empty(),
            "no journal yet is not an error"
        );
        let (mut j, _) = Journal::open(dir.path()).unwrap();
        j.append(at(0), None, note("a")).unwrap();
        j.append(at(1), None, note("b")).unwrap();
        assert_eq!(follower.poll().unwrap().len(), 2);
        let path = dir.path().join(FILE_NAME);
        let mut raw = OpenOptions::new().append(true).open(&path).unwrap();
        let line = serde_json::to_string(&Record::new(3, at(2), None, note("c"))).unwrap();
        raw.write_all(&line.as_bytes()[..10]).unwrap();
        assert!(follower.poll().unwrap().is_empty());
        raw.write_all(&line.as_bytes()[10..]).unwrap();
        raw.write_all(b"\n").unwrap();
        let got = follower.poll().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].seq, 3);
    }
}
