//! One journal line: what happened, when, in order. The format is versioned so a newer
//! console can read an older incident, and an older one refuses a newer incident clearly.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::drill::{Answer, Drill, Score};

/// Bumped when a record changes meaning; readers refuse versions they do not know.
pub const SCHEMA_VERSION: u32 = 1;

/// (`deny_unknown_fields` sits on [`RecordKind`]: serde cannot combine it with `flatten`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Schema version of this record.
    pub v: u32,
    /// Position in the journal, from 1, without gaps: a gap means a lost line.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Who did it (the console user), when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(flatten)]
    pub kind: RecordKind,
}

/// A follow-up from a note: tracked until done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    pub owner: String,
    pub due: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// Everything the journal records. Tagged by `type` so lines read well with `jq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordKind {
    IncidentOpened {
        id: String,
        title: String,
        severity: String,
        commander: String,
    },
    IncidentResolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    SeverityChanged {
        from: String,
        to: String,
    },
    RoleAssigned {
        role: String,
        person: String,
    },
    AlertSeen {
        fingerprint: String,
        name: String,
        severity: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
        starts_at: DateTime<Utc>,
    },
    AlertAcked {
        fingerprint: String,
    },
    AlertSilenced {
        fingerprint: String,
        silence_id: String,
        until: DateTime<Utc>,
        comment: String,
    },
    AlertResolved {
        fingerprint: String,
    },
    RunbookOpened {
        runbook: String,
        /// Fingerprint of the alert it was opened for: its labels fill the placeholders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<String>,
    },
    StepViewed {
        runbook: String,
        step: String,
    },
    BranchChosen {
        runbook: String,
        from: String,
        to: String,
        choice: u8,
    },
    /// Backspace: one step back along the path taken.
    StepBack {
        runbook: String,
    },
    CheckRun {
        runbook: String,
        name: String,
        argv: Vec<String>,
        exit_code: Option<i32>,
        duration_ms: u64,
    },
    /// Written, and fsynced, after the human confirmed and before anything runs.
    MitigationIntent {
        id: String,
        runbook: String,
        name: String,
        plan: String,
    },
    /// Written when the mitigation ended, whatever the outcome.
    MitigationOutcome {
        id: String,
        exit_code: Option<i32>,
        duration_ms: u64,
        outcome: String,
    },
    Note {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action_item: Option<ActionItem>,
    },
    /// A chaos game-day began: everything its pane shows, so resume and follow need no file.
    GamedayStarted {
        name: String,
        hypothesis: String,
        context: String,
        namespace: String,
        max_pods: u32,
        max_duration_ms: u64,
        abort_query: String,
        abort_comparison: String,
        abort_threshold: f64,
        poll_interval_ms: u64,
        observation_window_ms: u64,
        experiments: Vec<GamedayExperiment>,
        /// Of the game-day file, to notice it changed before a resume.
        digest: String,
    },
    /// The abort condition tripped (or could not be read) while experiments were in the
    /// cluster: they are deleted at once, each deletion recorded on its own.
    GamedayAbortTripped {
        /// The query's value; none when the query could not be answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
        comparison: String,
        threshold: f64,
        query: String,
        /// When Prometheus was read.
        observed_at: DateTime<Utc>,
        detail: String,
        experiments: Vec<String>,
    },
    /// The kill switch: every experiment this game-day created is deleted.
    GamedayKillSwitch {
        experiments: Vec<String>,
    },
    /// An experiment deleted (abort, kill switch, end of the game-day), or the attempt.
    GamedayExperimentRemoved {
        experiment: String,
        object: String,
        reason: String,
        ok: bool,
        outcome: String,
    },
    /// At the end of the observation window: did the hypothesis hold?
    GamedayVerdict {
        held: bool,
        note: String,
    },
    /// The game-day was abandoned before its verdict (the kill switch first): the reason.
    GamedayAbandoned {
        reason: String,
    },
    /// A drill run's T+0: the failure is injected. Carries the drill as read at the start
    /// (targets frozen), so resume and follow never depend on the file staying the same.
    DrillStarted {
        /// The drill file's stem, e.g. `dr-cross-region`.
        drill: String,
        /// Where the file was read from.
        file: String,
        /// The file's SHA-256 at the start; compared again at scoring.
        sha256: String,
        spec: Drill,
    },
    /// One do-not-proceed guard answered (phases and guards count from 1).
    GuardAnswered {
        phase: usize,
        guard: usize,
        question: String,
        answer: Answer,
        proceed: bool,
    },
    PhaseStarted {
        phase: usize,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
    /// The console put something to a human (guards, a runbook step, the RPO question).
    HumanPrompted {
        what: String,
    },
    /// The human answered: the span since `human_prompted` is human action time.
    HumanAnswered {
        what: String,
    },
    RpoMeasured {
        seconds: f64,
        /// `query` (Prometheus) or `facilitator` (typed in).
        source: String,
        /// The moment the value is for.
        measured_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The customer flow works again: the RTO clock stops.
    ServiceRestored {},
    /// Scored, and "what was different this time" answered.
    DrillFinished {
        different: String,
        score: Score,
    },
    /// The facilitator abandoned the run: the clock stops there, and the run is logged as
    /// ABANDONED, never scored as a pass.
    DrillAbandoned {
        reason: String,
    },
}

/// One experiment as `gameday_started` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GamedayExperiment {
    pub name: String,
    /// Chaos Mesh kind, e.g. `PodChaos`.
    pub kind: String,
    /// `metadata.name` of the object it creates.
    pub object: String,
    pub duration_ms: u64,
    /// The most pods it can touch.
    pub pods: u32,
}

impl Record {
    pub fn new(seq: u64, at: DateTime<Utc>, by: Option<String>, kind: RecordKind) -> Record {
        Record {
            v: SCHEMA_VERSION,
            seq,
            at,
            by,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_record_is_one_readable_json_line() {
        let r = Record::new(
            3,
            Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 0).unwrap(),
            Some("alice".into()),
            RecordKind::AlertAcked {
                fingerprint: "abc".into(),
            },
        );
        let line = serde_json::to_string(&r).unwrap();
        assert_eq!(
            line,
            r#"{"v":1,"seq":3,"at":"2026-03-14T09:26:00Z","by":"alice","type":"alert_acked","fingerprint":"abc"}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), r);
    }

    #[test]
    fn unknown_types_and_fields_are_refused() {
        let bad =
            r#"{"v":1,"seq":1,"at":"2026-03-14T09:26:00Z","type":"alert_eaten","fingerprint":"x"}"#;
        assert!(serde_json::from_str::<Record>(bad).is_err());
        let extra = r#"{"v":1,"seq":1,"at":"2026-03-14T09:26:00Z","type":"alert_acked","fingerprint":"x","mood":"bad"}"#;
        assert!(serde_json::from_str::<Record>(extra).is_err());
    }
}
