//! The drill log (`runbooks/drills/drill-log.md`): markdown people read, with a fixed field
//! list per entry that the console reads back to compare a drill with the previous one.
//! Entries are appended atomically (temp file beside it, fsync, rename) and what is already
//! there is kept byte for byte.
//!
//! An entry is a `##` heading, a fenced block of `[MM:SS]` lines, and the list
//! `- drill: ...`, `- run: ...`, ... with exactly the keys of [`FIELDS`], in that order
//! (docs/drill-format.md shows one).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::score::Score;
use crate::incident::{Record, RecordKind};
use crate::sources::timing::Clock;
use crate::state::drill::{Pace, since};

/// The log's name inside the drills directory, unless the config names another file.
pub const FILE_NAME: &str = "drill-log.md";

/// The top of a new log.
const HEADER: &str = "# Drill log\n\nOne entry per drill run, appended by `warroom drill` (see docs/drill-format.md).\nThe console reads the `- key: value` lists back to compare each drill with the previous\none of the same name: keep them as they are.\n";

/// The fields of an entry, in the order they are written; every one is required.
pub const FIELDS: [&str; 15] = [
    "drill",
    "name",
    "run",
    "started",
    "file_sha256",
    "rto_target",
    "rpo_target",
    "rto",
    "rpo",
    "human_action_time",
    "machine_time",
    "previous_human_action_time",
    "result",
    "banners",
    "different",
];

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The drill file's stem.
    pub drill: String,
    pub name: String,
    /// The run's journal id.
    pub run: String,
    pub started: DateTime<Utc>,
    pub file_sha256: String,
    pub rto_target: Duration,
    pub rpo_target: Duration,
    pub rto: Duration,
    pub rpo: Option<Duration>,
    pub human: Duration,
    pub machine: Duration,
    pub previous_human: Option<Duration>,
    pub passed: bool,
    /// Abandoned by the facilitator: not scored, and never "the previous drill".
    pub abandoned: bool,
    /// Short tags: `THEATRICAL DRILL`, `TARGETS RELAXED (...)`, `DRILL FILE CHANGED`.
    pub banners: Vec<String>,
    /// "What was different this time?"
    pub different: String,
    /// The `[MM:SS]` lines.
    pub timeline: Vec<String>,
}

/// A problem in the log file, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// One line's worth: newlines and the like never reach the file raw.
fn one_line(text: &str) -> String {
    crate::sanitize::escape(text.trim()).into_owned()
}

fn duration(d: Duration) -> String {
    // Whole milliseconds: what the file says is what is read back.
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

impl LogEntry {
    /// The entry for a scored run.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        drill: &str,
        name: &str,
        run: &str,
        started: DateTime<Utc>,
        file_sha256: &str,
        score: &Score,
        different: &str,
        timeline: Vec<String>,
    ) -> LogEntry {
        LogEntry {
            drill: drill.to_string(),
            name: one_line(name),
            run: run.to_string(),
            started,
            file_sha256: file_sha256.to_string(),
            rto_target: Duration::from_secs(score.rto_target_s),
            rpo_target: Duration::from_secs(score.rpo_target_s),
            rto: score.rto(),
            rpo: score.rpo(),
            human: Duration::from_secs(score.human_s),
            machine: Duration::from_secs(score.machine_s),
            previous_human: score.previous_human_s.map(Duration::from_secs),
            passed: score.passed,
            abandoned: false,
            banners: score.banners().into_iter().map(|(tag, _)| tag).collect(),
            different: one_line(different),
            timeline: timeline
                .iter()
                .map(|l| crate::sanitize::escape(l).into_owned())
                .collect(),
        }
    }

    /// The entry for a run the facilitator abandoned: what it measured until then, and
    /// why it was abandoned in `different`.
    #[allow(clippy::too_many_arguments)]
    pub fn abandoned(
        drill: &str,
        name: &str,
        run: &str,
        started: DateTime<Utc>,
        file_sha256: &str,
        measured: &super::score::Measured,
        reason: &str,
        timeline: Vec<String>,
    ) -> LogEntry {
        LogEntry {
            drill: drill.to_string(),
            name: one_line(name),
            run: run.to_string(),
            started,
            file_sha256: file_sha256.to_string(),
            rto_target: measured.rto_target,
            rpo_target: measured.rpo_target,
            rto: Duration::from_secs(measured.rto.as_secs()),
            rpo: measured.rpo,
            human: Duration::from_secs(measured.human.as_secs()),
            machine: Duration::from_secs(measured.machine.as_secs()),
            previous_human: None,
            passed: false,
            abandoned: true,
            banners: Vec::new(),
            different: one_line(reason),
            timeline: timeline
                .iter()
                .map(|l| crate::sanitize::escape(l).into_owned())
                .collect(),
        }
    }

    /// `PASSED`, `FAILED` or `ABANDONED`.
    pub fn result(&self) -> &'static str {
        match (self.abandoned, self.passed) {
            (true, _) => "ABANDONED",
            (false, true) => "PASSED",
            (false, false) => "FAILED",
        }
    }

    fn field(&self, key: &str) -> String {
        let opt = |d: Option<Duration>| d.map_or_else(|| "none".to_string(), duration);
        match key {
            "drill" => self.drill.clone(),
            "name" => self.name.clone(),
            "run" => self.run.clone(),
            "started" => self
                .started
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "file_sha256" => self.file_sha256.clone(),
            "rto_target" => duration(self.rto_target),
            "rpo_target" => duration(self.rpo_target),
            "rto" => duration(self.rto),
            "rpo" => opt(self.rpo),
            "human_action_time" => duration(self.human),
            "machine_time" => duration(self.machine),
            "previous_human_action_time" => opt(self.previous_human),
            "result" => self.result().into(),
            "banners" if self.banners.is_empty() => "none".into(),
            "banners" => self.banners.join("; "),
            "different" => self.different.clone(),
            _ => String::new(),
        }
    }

    /// The entry as markdown, starting with its `##` heading and ending with a newline.
    pub fn render(&self) -> String {
        let mut out = format!(
            "## {} · {} · {}\n\n```text\n",
            self.started.format("%Y-%m-%d %H:%M UTC"),
            self.name,
            self.result()
        );
        for l in &self.timeline {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str("```\n\n");
        for key in FIELDS {
            out.push_str(&format!("- {key}: {}\n", self.field(key)));
        }
        out
    }
}

/// An entry being read: its heading's line, its fields (key, value, line), its timeline.
type Partial = (usize, Vec<(String, String, usize)>, Vec<String>);

/// Parses a whole log; `path` names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<Vec<LogEntry>, LogError> {
    let err = |line: usize, message: String| LogError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut entries = Vec::new();
    let mut current: Option<Partial> = None;
    let mut fence: Option<bool> = None; // Some(is the entry's timeline)
    let finish = |cur: Option<Partial>, entries: &mut Vec<LogEntry>| -> Result<(), LogError> {
        if let Some((line, fields, timeline)) = cur {
            entries.push(entry_from(path, line, &fields, timeline)?);
        }
        Ok(())
    };
    for (i, l) in text.lines().enumerate() {
        let no = i + 1;
        if l.starts_with("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(
                    current
                        .as_ref()
                        .is_some_and(|c| c.1.is_empty() && c.2.is_empty()),
                ),
            };
            continue;
        }
        match fence {
            Some(true) => {
                if let Some(c) = &mut current {
                    c.2.push(l.to_string());
                }
                continue;
            }
            Some(false) => continue,
            None => {}
        }
        if l.starts_with("## ") {
            finish(current.take(), &mut entries)?;
            current = Some((no, Vec::new(), Vec::new()));
            continue;
        }
        let Some((_, fields, _)) = &mut current else {
            continue;
        };
        if let Some(rest) = l.strip_prefix("- ")
            && let Some((key, value)) = rest.split_once(':')
            && !key.contains(' ')
        {
            if !FIELDS.contains(&key) {
                return Err(err(
                    no,
                    format!(
                        "unknown field `{key}` (an entry has exactly: {})",
                        FIELDS.join(", ")
                    ),
                ));
            }
            if fields.iter().any(|(k, _, _)| k == key) {
                return Err(err(no, format!("field `{key}` appears twice in one entry")));
            }
            fields.push((key.to_string(), value.trim().to_string(), no));
        }
    }
    if fence.is_some() {
        return Err(err(
            text.lines().count(),
            "a ``` block is not closed".into(),
        ));
    }
    finish(current, &mut entries)?;
    Ok(entries)
}

fn entry_from(
    path: &Path,
    heading: usize,
    fields: &[(String, String, usize)],
    timeline: Vec<String>,
) -> Result<LogEntry, LogError> {
    let get = |key: &str| -> Result<(&str, usize), LogError> {
        fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, l)| (v.as_str(), *l))
            .ok_or_else(|| LogError {
                path: path.to_path_buf(),
                line: heading,
                message: format!("the entry lacks `- {key}: ...`"),
            })
    };
    // Name the first missing field in the order they are written.
    for key in FIELDS {
        get(key)?;
    }
    let bad = |line: usize, key: &str, value: &str, what: &str| LogError {
        path: path.to_path_buf(),
        line,
        message: format!("`{key}: {value}` is not {what}"),
    };
    let dur = |key: &str| -> Result<Duration, LogError> {
        let (v, l) = get(key)?;
        humantime::parse_duration(v).map_err(|_| bad(l, key, v, "a duration like 12m 42s"))
    };
    let opt_dur = |key: &str| -> Result<Option<Duration>, LogError> {
        let (v, l) = get(key)?;
        if v == "none" {
            return Ok(None);
        }
        humantime::parse_duration(v)
            .map(Some)
            .map_err(|_| bad(l, key, v, "a duration or `none`"))
    };
    let text = |key: &str| get(key).map(|(v, _)| v.to_string());
    let (started, l) = get("started")?;
    let started = DateTime::parse_from_rfc3339(started)
        .map_err(|_| bad(l, "started", started, "an RFC 3339 time"))?
        .with_timezone(&Utc);
    let (result, l) = get("result")?;
    let (passed, abandoned) = match result {
        "PASSED" => (true, false),
        "FAILED" => (false, false),
        "ABANDONED" => (false, true),
        other => return Err(bad(l, "result", other, "PASSED, FAILED or ABANDONED")),
    };
    let banners = match get("banners")?.0 {
        "none" | "" => Vec::new(),
        b => b.split("; ").map(String::from).collect(),
    };
    Ok(LogEntry {
        drill: text("drill")?,
        name: text("name")?,
        run: text("run")?,
        started,
        file_sha256: text("file_sha256")?,
        rto_target: dur("rto_target")?,
        rpo_target: dur("rpo_target")?,
        rto: dur("rto")?,
        rpo: opt_dur("rpo")?,
        human: dur("human_action_time")?,
        machine: dur("machine_time")?,
        previous_human: opt_dur("previous_human_action_time")?,
        passed,
        abandoned,
        banners,
        different: text("different")?,
        timeline,
    })
}

/// Every entry of the log at `path`; a missing file is an empty log.
pub fn read(path: &Path) -> Result<Vec<LogEntry>, LogError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(LogError {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot read: {e}"),
        }),
    }
}

/// The last entry of drill `drill` other than run `run`: "the previous drill". An
/// abandoned run was not scored, so it is never the one compared with.
pub fn previous<'a>(entries: &'a [LogEntry], drill: &str, run: &str) -> Option<&'a LogEntry> {
    entries
        .iter()
        .rev()
        .find(|e| e.drill == drill && e.run != run && !e.abandoned)
}

/// Appends `entry` to the log at `path`, atomically, keeping every byte already there.
/// Returns false when the run is already in the log (appending twice would count it twice).
pub fn append(path: &Path, entry: &LogEntry) -> Result<bool, String> {
    let io = |what: &str, p: &Path, e: std::io::Error| format!("{what} {}: {e}", p.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
    // Two consoles finishing at once must not each rewrite the file from the same old copy.
    let dir_handle = std::fs::File::open(&dir).map_err(|e| io("cannot open", &dir, e))?;
    dir_handle.lock().map_err(|e| io("cannot lock", &dir, e))?;
    let old = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io("cannot read", path, e)),
    };
    let old_text = String::from_utf8(old.clone())
        .map_err(|_| format!("{}: not UTF-8 text; not appending", path.display()))?;
    let existing = parse(path, &old_text).map_err(|e| {
        format!("{e}; fix the log, then run the drill command again to log this run")
    })?;
    if existing.iter().any(|e| e.run == entry.run) {
        return Ok(false);
    }
    let mut new = old;
    let sep: &[u8] = if new.is_empty() {
        HEADER.as_bytes()
    } else if new.ends_with(b"\n\n") {
        b""
    } else if new.ends_with(b"\n") {
        b"\n"
    } else {
        b"\n\n"
    };
    new.extend_from_slice(sep);
    if new.ends_with(HEADER.as_bytes()) {
        new.push(b'\n');
    }
    new.extend_from_slice(entry.render().as_bytes());
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(FILE_NAME);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(&new)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        dir_handle.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("cannot write", path, e)
    })?;
    Ok(true)
}

/// The `[MM:SS]` lines of a drill run, from its journal: T+0 is `drill_started`.
pub fn timeline(records: &[Record]) -> Vec<String> {
    let Some((start, spec)) = records.iter().find_map(|r| match &r.kind {
        RecordKind::DrillStarted { spec, .. } => Some((r.at, spec)),
        _ => None,
    }) else {
        return Vec::new();
    };
    let t = |at: DateTime<Utc>| format!("[{}]", Clock(since(start, at)));
    let mut out = Vec::new();
    let mut current: Option<(usize, DateTime<Utc>)> = None;
    let mut restored = None;
    let close = |cur: &mut Option<(usize, DateTime<Utc>)>, at, out: &mut Vec<String>| {
        if let Some((n, from)) = cur.take() {
            let took = since(from, at);
            let target = spec
                .phases
                .get(n - 1)
                .map_or(Duration::ZERO, |p| p.target.0);
            out.push(format!(
                "{} PHASE {n} done in {} / {} {}",
                t(at),
                Clock(took),
                Clock(target),
                Pace::of(took, target).label()
            ));
        }
    };
    for r in records {
        match &r.kind {
            RecordKind::DrillStarted { drill, spec, .. } => out.push(format!(
                "{} DRILL STARTED {} ({drill}): RTO target {}, RPO target {}",
                t(r.at),
                spec.name,
                Clock(spec.targets.rto.0),
                Clock(spec.targets.rpo.0)
            )),
            RecordKind::GuardAnswered {
                phase,
                question,
                answer,
                proceed,
                ..
            } => out.push(format!(
                "{} GUARD phase {phase}: {question} {}: {}",
                t(r.at),
                answer.word(),
                if *proceed {
                    "proceed"
                } else {
                    "DO NOT PROCEED"
                }
            )),
            RecordKind::PhaseStarted { phase, name, .. } => {
                close(&mut current, r.at, &mut out);
                out.push(format!("{} PHASE {phase} {name}", t(r.at)));
                current = Some((*phase, r.at));
            }
            RecordKind::RpoMeasured {
                seconds, source, ..
            } => out.push(format!(
                "{} RPO {} ({source})",
                t(r.at),
                Clock(Duration::from_secs_f64(seconds.max(0.0)))
            )),
            RecordKind::ServiceRestored {} => {
                close(&mut current, r.at, &mut out);
                out.push(format!("{} SERVICE RESTORED", t(r.at)));
                restored = Some(r.at);
            }
            RecordKind::MitigationIntent { name, .. } => {
                out.push(format!("{} RAN {name}", t(r.at)));
            }
            RecordKind::CheckRun {
                name, exit_code, ..
            } => out.push(format!(
                "{} CHECK {name}: exit {}",
                t(r.at),
                exit_code.map_or("none".to_string(), |c| c.to_string())
            )),
            RecordKind::Note { text, .. } => out.push(format!("{} NOTE {text}", t(r.at))),
            RecordKind::DrillFinished { score, .. } => {
                let at = restored.unwrap_or(r.at);
                out.push(format!("{} DRILL {}", t(at), score.result()));
                out.extend(summary_lines(score));
            }
            RecordKind::DrillAbandoned { reason } => {
                close(&mut current, r.at, &mut out);
                out.push(format!("{} DRILL ABANDONED: {reason}", t(r.at)));
                out.push("        not scored: an abandoned drill is never a pass".into());
            }
            _ => {}
        }
    }
    out
}

/// The lines under `DRILL PASSED`: the three numbers, and what went wrong with the drill.
pub fn summary_lines(score: &Score) -> Vec<String> {
    let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let pad = "       ";
    let rpo = score
        .rpo()
        .map_or("not measured".to_string(), |r| Clock(r).to_string());
    let mut out = vec![
        format!(
            "{pad} RTO {} / {} {} · RPO {rpo} / {} {}",
            Clock(score.rto()),
            Clock(Duration::from_secs(score.rto_target_s)),
            pass(score.rto_ok()),
            Clock(Duration::from_secs(score.rpo_target_s)),
            pass(score.rpo_ok()),
        ),
        format!(
            "{pad} human action {} (previous drill {}) · machine {}",
            Clock(Duration::from_secs(score.human_s)),
            score
                .previous_human_s
                .map_or("none".to_string(), |p| Clock(Duration::from_secs(p))
                    .to_string()),
            Clock(Duration::from_secs(score.machine_s)),
        ),
    ];
    for (tag, _) in score.banners() {
        out.push(format!("{pad} {tag}"));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn entry(drill: &str, different: &str) -> LogEntry {
        LogEntry {
            drill: drill.into(),
            name: "Cross-region DR failover".into(),
            run: format!("drill-{different}"),
            started: Utc.with_ymd_and_hms(2026, 10, 14, 9, 0, 0).unwrap(),
            file_sha256: "ab".repeat(32),
            rto_target: Duration::from_secs(1800),
            rpo_target: Duration::from_secs(300),
            rto: Duration::from_secs(1000),
            rpo: Some(Duration::from_millis(42_500)),
            human: Duration::from_secs(320),
            machine: Duration::from_secs(680),
            previous_human: None,
            passed: true,
            abandoned: false,
            banners: vec![
                "THEATRICAL DRILL".into(),
                "TARGETS RELAXED (RTO 20:00 → 30:00)".into(),
            ],
            different: different.into(),
            timeline: vec![
                "[00:00] DRILL STARTED x".into(),
                "[16:40] DRILL PASSED".into(),
            ],
        }
    }

    #[test]
    fn entries_round_trip() {
        let a = entry("dr", "one responder: not three");
        let mut b = entry("other", "nothing");
        b.rpo = None;
        b.previous_human = Some(Duration::from_secs(400));
        b.passed = false;
        b.banners.clear();
        let text = format!("{HEADER}\n{}\n{}", a.render(), b.render());
        let back = parse(Path::new("log.md"), &text).unwrap();
        assert_eq!(back, vec![a.clone(), b]);
        assert_eq!(previous(&back, "dr", "drill-x"), Some(&a));
        assert_eq!(
            previous(&back, "dr", &a.run),
            None,
            "a run is not its own previous"
        );
    }

    #[test]
    fn damaged_entries_are_refused_with_their_line() {
        let text = entry("dr", "x")
            .render()
            .replace("- rto: 16m 40s\n", "- rto: soon\n");
        let e = parse(Path::new("log.md"), &text).unwrap_err();
        assert_eq!(e.line, 15);
        assert!(
            e.to_string()
                .contains("log.md:15: `rto: soon` is not a duration"),
            "{e}"
        );
        let text = entry("dr", "x")
            .render()
            .replace("- machine_time: 11m 20s\n", "");
        let e = parse(Path::new("log.md"), &text).unwrap_err();
        assert_eq!(e.line, 1, "the entry's heading");
        assert!(e.message.contains("lacks `- machine_time"), "{e}");
        let text = entry("dr", "x").render() + "- mood: fine\n";
        assert!(
            parse(Path::new("log.md"), &text)
                .unwrap_err()
                .message
                .contains("unknown field")
        );
    }

    #[test]
    fn free_text_around_entries_is_allowed() {
        let text = format!(
            "# Our drills\n\nAnything here.\n\n{}\nA remark under the entry.\n",
            entry("dr", "x").render()
        );
        assert_eq!(parse(Path::new("l.md"), &text).unwrap().len(), 1);
    }

    #[test]
    fn append_keeps_existing_bytes_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drills").join(FILE_NAME);
        let a = entry("dr", "first");
        assert!(append(&path, &a).unwrap());
        let after_first = std::fs::read(&path).unwrap();
        assert!(after_first.starts_with(HEADER.as_bytes()));
        // A hand-edited preamble without a final newline stays byte for byte.
        let mut edited = after_first.clone();
        edited.extend_from_slice(b"Note added by hand, no newline");
        std::fs::write(&path, &edited).unwrap();
        let b = entry("dr", "second");
        assert!(append(&path, &b).unwrap());
        let after = std::fs::read(&path).unwrap();
        assert!(after.starts_with(&edited), "existing bytes kept");
        assert!(
            !append(&path, &b).unwrap(),
            "the same run is not logged twice"
        );
        assert_eq!(std::fs::read(&path).unwrap(), after);
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1], b);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "no temp file left");
    }

    #[test]
    fn a_damaged_log_is_not_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "## broken\n- rto: soon\n").unwrap();
        let err = append(&path, &entry("dr", "x")).unwrap_err();
        assert!(err.contains("fix the log"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "## broken\n- rto: soon\n"
        );
    }
}
