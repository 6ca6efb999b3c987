//! Where incidents live (`$XDG_DATA_HOME/warroom/incidents/<id>/`) and finding them again:
//! the one to resume, the one to follow, the one to write a postmortem for.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::journal::{FILE_NAME, Follower};
use super::record::{Record, RecordKind};

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub opened_at: DateTime<Utc>,
    pub resolved: bool,
    pub dir: PathBuf,
    /// The game-day's name, when the journal is a game-day's (`gameday_started`).
    pub gameday: Option<String>,
    /// The drill file's stem, when this journal is a drill run.
    pub drill: Option<String>,
}

impl IncidentSummary {
    pub fn is_demo(&self) -> bool {
        self.id.starts_with("demo-")
    }

    /// A game-day's journal, not an incident's: the plain console never resumes one.
    pub fn is_gameday(&self) -> bool {
        self.gameday.is_some()
            || self.id.starts_with("gameday-")
            || self.id.starts_with("demo-gameday-")
    }
}

/// Ids are used as directory names: letters, digits, `-` and `_` only.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads every record of one incident (read-only; a torn tail is ignored, not moved).
pub fn read_records(dir: &Path) -> Result<Vec<Record>, super::JournalError> {
    Follower::new(dir).poll()
}

/// Every incident under `root`, oldest first. Unreadable ones are skipped with a log line:
/// one damaged journal must not hide the others.
pub fn list(root: &Path) -> Vec<IncidentSummary> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.join(FILE_NAME).is_file() {
            continue;
        }
        match read_records(&dir) {
            Ok(records) => {
                if let Some(s) = summarize(&dir, &records) {
                    out.push(s);
                }
            }
            Err(e) => tracing::warn!("skipping incident {}: {e}", dir.display()),
        }
    }
    out.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
    out
}

fn summarize(dir: &Path, records: &[Record]) -> Option<IncidentSummary> {
    let first = records.first()?;
    let RecordKind::IncidentOpened {
        id,
        title,
        severity,
        ..
    } = &first.kind
    else {
        return None;
    };
    // The directory name is checked (`valid_id`); the record's own id and title are not,
    // and they are printed by `postmortem`, `audit` and `incident list`.
    let mut s = IncidentSummary {
        id: crate::sanitize::escape(id).into_owned(),
        title: crate::sanitize::escape(title).into_owned(),
        severity: severity.clone(),
        opened_at: first.at,
        resolved: false,
        dir: dir.to_path_buf(),
        gameday: None,
        drill: None,
    };
    for r in records {
        match &r.kind {
            RecordKind::IncidentResolved { .. }
            | RecordKind::DrillFinished { .. }
            | RecordKind::DrillAbandoned { .. } => s.resolved = true,
            RecordKind::GamedayStarted { name, .. } => s.gameday = Some(name.clone()),
            RecordKind::DrillStarted { drill, .. } => s.drill = Some(drill.clone()),
            RecordKind::SeverityChanged { to, .. } => s.severity = to.clone(),
            _ => {}
        }
    }
    Some(s)
}

/// When each runbook was last used in a real incident or a drill: the STALE banner counts
/// from the later of this and the runbook's `last_reviewed`. Demo incidents do not count.
pub fn last_exercised(root: &Path) -> std::collections::BTreeMap<String, chrono::NaiveDate> {
    let mut out = std::collections::BTreeMap::new();
    for inc in list(root).into_iter().filter(|s| !s.is_demo()) {
        for r in read_records(&inc.dir).unwrap_or_default() {
            if let RecordKind::RunbookOpened { runbook, .. }
            | RecordKind::PhaseStarted {
                runbook: Some(runbook),
                ..
            } = r.kind
            {
                let day = r.at.date_naive();
                let e = out.entry(runbook).or_insert(day);
                *e = (*e).max(day);
            }
        }
    }
    out
}

/// The most recent unresolved incident, demo or live. Game-days and drill runs are
/// resumed by `warroom gameday NAME` and `warroom drill NAME`, not by the plain console.
pub fn latest_open(root: &Path, demo: bool) -> Option<IncidentSummary> {
    list(root)
        .into_iter()
        .rev()
        .find(|s| !s.resolved && s.is_demo() == demo && !s.is_gameday() && s.drill.is_none())
}

/// The most recent unfinished run of the game-day `name`, demo or live.
pub fn latest_open_gameday(root: &Path, demo: bool, name: &str) -> Option<IncidentSummary> {
    list(root)
        .into_iter()
        .rev()
        .find(|s| !s.resolved && s.is_demo() == demo && s.gameday.as_deref() == Some(name))
}

/// Every run of drill `name`, oldest first.
pub fn drill_runs(root: &Path, name: &str) -> Vec<IncidentSummary> {
    list(root)
        .into_iter()
        .filter(|s| s.drill.as_deref() == Some(name))
        .collect()
}

/// The run of drill `name` that has not finished, if any: `warroom drill NAME` resumes it.
pub fn unfinished_drill(root: &Path, name: &str) -> Option<IncidentSummary> {
    drill_runs(root, name)
        .into_iter()
        .rev()
        .find(|s| !s.resolved)
}

/// `id` if given (it must exist), else the most recent open incident, else the most recent.
pub fn pick(root: &Path, id: Option<&str>) -> Result<IncidentSummary, String> {
    let all = list(root);
    match id {
        Some(id) => all.into_iter().find(|s| s.id == id).ok_or_else(|| {
            format!(
                "no incident `{id}` in {} (see `warroom incident list`)",
                root.display()
            )
        }),
        None => {
            let open = all.iter().rev().find(|s| !s.resolved).cloned();
            open.or_else(|| all.last().cloned())
                .ok_or_else(|| format!("no incidents yet in {}", root.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Journal;

    fn open(root: &Path, id: &str, at: i64) -> Journal {
        let (mut j, _) = Journal::open(&root.join(id)).unwrap();
        let kind = RecordKind::IncidentOpened {
            id: id.into(),
            title: format!("t-{id}"),
            severity: "P1".into(),
            commander: "alice".into(),
        };
        j.append(
            DateTime::from_timestamp(1_800_000_000 + at, 0).unwrap(),
            None,
            kind,
        )
        .unwrap();
        j
    }

    #[test]
    fn finds_the_latest_open_incident_of_each_kind() {
        let root = tempfile::tempdir().unwrap();
        open(root.path(), "inc-a", 0);
        let mut b = open(root.path(), "inc-b", 10);
        open(root.path(), "demo-c", 20);
        assert_eq!(latest_open(root.path(), false).unwrap().id, "inc-b");
        assert_eq!(latest_open(root.path(), true).unwrap().id, "demo-c");
        b.append(
            Utc::now(),
            None,
            RecordKind::IncidentResolved { summary: None },
        )
        .unwrap();
        assert_eq!(latest_open(root.path(), false).unwrap().id, "inc-a");
        assert_eq!(pick(root.path(), Some("inc-b")).unwrap().id, "inc-b");
        assert!(
            pick(root.path(), Some("nope"))
                .unwrap_err()
                .contains("no incident `nope`")
        );
        assert!(valid_id("inc-20261121-101500") && !valid_id("../x") && !valid_id(""));
    }

    #[test]
    fn game_days_are_resumed_by_name_and_never_as_incidents() {
        let root = tempfile::tempdir().unwrap();
        open(root.path(), "inc-a", 0);
        let mut g = open(root.path(), "gameday-b", 10);
        let g2 = crate::gameday::model::analyse("g.yaml", None, crate::gameday::model::tests::GOOD)
            .gameday
            .unwrap();
        g.append(Utc::now(), None, crate::gameday::run::started_record(&g2))
            .unwrap();
        // An interrupted game-day whose second record never landed is not an incident either.
        open(root.path(), "gameday-c", 20);
        assert_eq!(latest_open(root.path(), false).unwrap().id, "inc-a");
        let found = latest_open_gameday(root.path(), false, "shop-kill").unwrap();
        assert_eq!(found.id, "gameday-b");
        assert_eq!(found.gameday.as_deref(), Some("shop-kill"));
        assert!(latest_open_gameday(root.path(), false, "other").is_none());
        assert!(latest_open_gameday(root.path(), true, "shop-kill").is_none());
    }
}
