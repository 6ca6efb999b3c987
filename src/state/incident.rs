//! The incident as the console knows it: a fold over journal records. Nothing here is set
//! any other way, so a replayed journal and a live session give the same incident.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Severity;
use super::drill::since;
use crate::incident::{ActionItem, Record, RecordKind};

/// Response targets from the severity matrix.
pub struct Targets {
    pub ack: Option<Duration>,
    pub mitigate: Option<Duration>,
    /// Postmortem due this long after the incident is resolved.
    pub postmortem: Option<Duration>,
}

pub fn targets(sev: Severity) -> Targets {
    const MIN: u64 = 60;
    match sev {
        Severity::P0 => Targets {
            ack: Some(Duration::from_secs(5 * MIN)),
            mitigate: Some(Duration::from_secs(30 * MIN)),
            postmortem: Some(Duration::from_secs(48 * 60 * MIN)),
        },
        Severity::P1 => Targets {
            ack: Some(Duration::from_secs(15 * MIN)),
            mitigate: Some(Duration::from_secs(4 * 60 * MIN)),
            postmortem: Some(Duration::from_secs(48 * 60 * MIN)),
        },
        // One business day to ack, mitigate "when convenient", no postmortem required.
        Severity::P2 => Targets {
            ack: Some(Duration::from_secs(24 * 60 * MIN)),
            mitigate: None,
            postmortem: None,
        },
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub text: String,
    pub action_item: Option<ActionItem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub commander: String,
    pub roles: BTreeMap<String, String>,
    pub opened_at: DateTime<Utc>,
    /// The earliest start of a paging (P0/P1) alert seen in the incident, or the opening:
    /// when the page went out.
    pub paged_at: DateTime<Utc>,
    pub first_ack_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub notes: Vec<Note>,
    /// Fingerprints with an `alert_seen` record.
    pub alerts_seen: std::collections::BTreeSet<String>,
    /// Every record, in order: the postmortem timeline and the follow view read it.
    pub records: Vec<Record>,
    /// The game-day this journal runs, if it is a game-day's rather than an incident's.
    pub gameday: Option<String>,
}

impl Incident {
    /// Starts an incident from its `incident_opened` record; `None` for any other record.
    pub fn from_opened(r: &Record) -> Option<Incident> {
        let RecordKind::IncidentOpened {
            id,
            title,
            severity,
            commander,
        } = &r.kind
        else {
            return None;
        };
        Some(Incident {
            id: id.clone(),
            title: title.clone(),
            severity: Severity::parse(severity).unwrap_or(Severity::P1),
            commander: commander.clone(),
            roles: BTreeMap::new(),
            opened_at: r.at,
            paged_at: r.at,
            first_ack_at: None,
            mitigated_at: None,
            resolved_at: None,
            notes: Vec::new(),
            alerts_seen: Default::default(),
            records: vec![r.clone()],
            gameday: None,
        })
    }

    /// Folds one record into the incident-level facts. Alerts and runbook position are
    /// folded by `State`, which owns them.
    pub fn apply(&mut self, r: &Record) {
        self.records.push(r.clone());
        match &r.kind {
            // A drill run's journal ends with its score, or with its abandonment.
            RecordKind::IncidentResolved { .. }
            | RecordKind::DrillFinished { .. }
            | RecordKind::DrillAbandoned { .. } => self.resolved_at = Some(r.at),
            RecordKind::SeverityChanged { to, .. } => {
                if let Some(s) = Severity::parse(to) {
                    self.severity = s;
                }
            }
            // Handing over command is a role change like any other.
            RecordKind::RoleAssigned { role, person } if role == "commander" => {
                self.commander = person.clone();
            }
            RecordKind::RoleAssigned { role, person } => {
                self.roles.insert(role.clone(), person.clone());
            }
            RecordKind::AlertSeen {
                starts_at,
                fingerprint,
                severity,
                ..
            } => {
                // Only P0 and P1 page; a P2 that was already firing does not start the clock.
                // A game-day's alerts are what it observes, not pages.
                if self.gameday.is_none()
                    && Severity::parse(severity).is_some_and(|s| s <= Severity::P1)
                {
                    self.paged_at = self.paged_at.min(*starts_at);
                }
                self.alerts_seen.insert(fingerprint.clone());
            }
            RecordKind::AlertAcked { .. } => {
                self.first_ack_at.get_or_insert(r.at);
            }
            RecordKind::MitigationOutcome {
                outcome, exit_code, ..
            } if mitigation_worked(outcome, *exit_code) => {
                self.mitigated_at.get_or_insert(r.at);
            }
            RecordKind::GamedayStarted { name, .. } => self.gameday = Some(name.clone()),
            RecordKind::Note { text, action_item } => self.notes.push(Note {
                at: r.at,
                by: r.by.clone(),
                text: text.clone(),
                action_item: action_item.clone(),
            }),
            _ => {}
        }
    }

    /// A drill run's journal: no page, no response targets, scored instead.
    pub fn is_drill(&self) -> bool {
        self.id.starts_with("drill-")
    }

    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }

    /// Time from the page to the first ack (running while unacked).
    pub fn time_to_ack(&self, now: DateTime<Utc>) -> Duration {
        since(self.paged_at, self.first_ack_at.unwrap_or(now))
    }

    pub fn time_to_mitigate(&self, now: DateTime<Utc>) -> Duration {
        since(
            self.paged_at,
            self.mitigated_at.or(self.resolved_at).unwrap_or(now),
        )
    }

    /// Time left until the postmortem is due, once resolved; negative as `Err(overdue)`.
    pub fn postmortem_due(&self, now: DateTime<Utc>) -> Option<Result<Duration, Duration>> {
        let window = targets(self.severity).postmortem?;
        let resolved = self.resolved_at?;
        let elapsed = since(resolved, now);
        Some(if elapsed <= window {
            Ok(window - elapsed)
        } else {
            Err(elapsed - window)
        })
    }
}

/// Parses a note as typed. `action: TEXT @owner due:YYYY-MM-DD [ticket:ID]` is an action
/// item; anything else is a plain note. Errors say what is missing.
pub fn parse_note(input: &str) -> Result<(String, Option<ActionItem>), String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("the note is empty".into());
    }
    let Some(rest) = text
        .strip_prefix("action:")
        .or_else(|| text.strip_prefix("Action:"))
    else {
        return Ok((text.to_string(), None));
    };
    let mut owner = None;
    let mut due = None;
    let mut ticket = None;
    let mut words = Vec::new();
    for w in rest.split_whitespace() {
        if let Some(o) = w.strip_prefix('@').filter(|o| !o.is_empty()) {
            owner = Some(o.to_string());
        } else if let Some(d) = w.strip_prefix("due:") {
            due = Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("due date `{d}` is not YYYY-MM-DD"))?,
            );
        } else if let Some(t) = w.strip_prefix("ticket:").filter(|t| !t.is_empty()) {
            ticket = Some(t.to_string());
        } else {
            words.push(w);
        }
    }
    let owner = owner.ok_or("an action item needs an owner: @name")?;
    let due = due.ok_or("an action item needs a due date: due:YYYY-MM-DD")?;
    if words.is_empty() {
        return Err("an action item needs a description".into());
    }
    Ok((words.join(" "), Some(ActionItem { owner, due, ticket })))
}

/// A mitigation worked when a kube action succeeded or a command exited 0; anything
/// else (a failure, a timeout, an interruption) leaves the incident unmitigated.
fn mitigation_worked(outcome: &str, exit_code: Option<i32>) -> bool {
    outcome == "succeeded" || (outcome == "exited" && exit_code == Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_and_action_items_parse() {
        assert_eq!(
            parse_note("  db lag 40s  "),
            Ok(("db lag 40s".into(), None))
        );
        let (text, item) =
            parse_note("action: alert on pool saturation @bob due:2026-12-01 ticket:OPS-42")
                .unwrap();
        assert_eq!(text, "alert on pool saturation");
        let item = item.unwrap();
        assert_eq!(
            (item.owner.as_str(), item.ticket.as_deref()),
            ("bob", Some("OPS-42"))
        );
        assert!(
            parse_note("action: fix it due:2026-12-01")
                .unwrap_err()
                .contains("owner")
        );
        assert!(
            parse_note("action: fix it @bob")
                .unwrap_err()
                .contains("due date")
        );
        assert!(
            parse_note("action: fix it @bob due:tomorrow")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(parse_note("   ").is_err());
    }

    #[test]
    fn only_a_mitigation_that_worked_marks_the_incident_mitigated() {
        use chrono::TimeZone;
        let t = |s: i64| Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap();
        let opened = Record::new(
            1,
            t(0),
            None,
            RecordKind::IncidentOpened {
                id: "i".into(),
                title: "t".into(),
                severity: "P1".into(),
                commander: "alice".into(),
            },
        );
        let outcome = |seq, at, code: Option<i32>, outcome: &str| {
            Record::new(
                seq,
                t(at),
                None,
                RecordKind::MitigationOutcome {
                    id: "m".into(),
                    exit_code: code,
                    duration_ms: 10,
                    outcome: outcome.into(),
                },
            )
        };
        let mut inc = Incident::from_opened(&opened).unwrap();
        inc.apply(&outcome(2, 60, Some(1), "exited"));
        inc.apply(&outcome(3, 70, None, "timed out"));
        inc.apply(&outcome(
            4,
            80,
            None,
            "interrupted: SIGHUP; its process group was killed",
        ));
        assert_eq!(inc.mitigated_at, None);
        inc.apply(&outcome(5, 90, Some(0), "exited"));
        assert_eq!(inc.mitigated_at, Some(t(90)));
        inc.apply(&outcome(6, 120, None, "succeeded"));
        assert_eq!(inc.mitigated_at, Some(t(90)), "the first success counts");

        let mut kube = Incident::from_opened(&opened).unwrap();
        kube.apply(&outcome(2, 30, None, "succeeded"));
        assert_eq!(kube.mitigated_at, Some(t(30)));
    }
}
