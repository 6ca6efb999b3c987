//! A game-day as its journal tells it: started, experiments created through the gate
//! (their `mitigation_intent` and `mitigation_outcome`), aborts, the kill switch,
//! deletions, the verdict. A pure fold over records, so the console, a resumed console, a
//! follower and the postmortem all see the same game-day.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::abort::{AbortCondition, Comparison};
use super::boundary::Boundary;
use super::model::GameDay;
use crate::incident::{GamedayExperiment, Record, RecordKind};
use crate::state::drill::since;

/// The `runbook` an experiment's intent record names, so the fold can tell it apart from
/// a runbook's mitigation in the same journal.
pub fn runbook_id(name: &str) -> String {
    format!("gameday/{name}")
}

/// Where an experiment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    /// Confirmed; its intent is journaled and the create is under way.
    Starting,
    /// Created in the cluster and not deleted yet.
    Running,
    /// The create was cut short (the console killed or quit, a timeout, a cancel) before
    /// the API answered: the experiment may be in the cluster, so it counts as there (and
    /// injecting, its start time unknown) until a deletion says otherwise.
    Unknown,
    /// The create failed: nothing is in the cluster.
    Failed,
    Removed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Removal {
    pub at: DateTime<Utc>,
    pub reason: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRun {
    pub name: String,
    pub kind: String,
    pub object: String,
    pub duration: Duration,
    pub pods: u32,
    pub status: Status,
    /// The intent record's id while starting or running.
    pub intent: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// Why the last create failed.
    pub failure: Option<String>,
    pub removed: Option<Removal>,
    /// The last deletion attempt failed with this: the experiment may still be there.
    pub removal_error: Option<String>,
    /// An abort or the kill switch named it while its create was under way (why): it is
    /// deleted as soon as the create answers, whatever the abort condition says by then.
    pub kill_pending: Option<String>,
}

impl ExperimentRun {
    /// In the cluster as far as the console knows: created (or maybe created), not deleted.
    pub fn in_cluster(&self) -> bool {
        matches!(self.status, Status::Running | Status::Unknown)
    }

    /// Chaos is being injected now (or may be): being created, maybe created, or created
    /// and within its `spec.duration`.
    pub fn injecting(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, Status::Starting | Status::Unknown)
            || (self.status == Status::Running
                && self
                    .started_at
                    .is_none_or(|s| since(s, now) < self.duration))
    }
}

/// One trip of the abort condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub detail: String,
    pub experiments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub at: DateTime<Utc>,
    pub held: bool,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub name: String,
    pub hypothesis: String,
    pub boundary: Boundary,
    pub abort: AbortCondition,
    pub observation_window: Duration,
    pub experiments: Vec<ExperimentRun>,
    pub digest: String,
    pub started_at: DateTime<Utc>,
    /// The observation window starts with the first experiment created.
    pub observation_started: Option<DateTime<Utc>>,
    pub trips: Vec<Trip>,
    pub kill_switches: Vec<DateTime<Utc>>,
    pub verdict: Option<Verdict>,
    /// Abandoned before a verdict: when, and why.
    pub abandoned: Option<(DateTime<Utc>, String)>,
}

/// The `gameday_started` record for a game-day.
pub fn started_record(g: &GameDay) -> RecordKind {
    let ms = |d: Duration| d.as_millis().min(u64::MAX as u128) as u64;
    RecordKind::GamedayStarted {
        name: g.name.clone(),
        hypothesis: g.hypothesis.clone(),
        context: g.boundary.context.clone(),
        namespace: g.boundary.namespace.clone(),
        max_pods: g.boundary.max_pods,
        max_duration_ms: ms(g.boundary.max_duration),
        abort_query: g.abort.query.clone(),
        abort_comparison: g.abort.comparison.symbol().into(),
        abort_threshold: g.abort.threshold,
        poll_interval_ms: ms(g.abort.poll_interval),
        observation_window_ms: ms(g.observation_window),
        experiments: g
            .experiments
            .iter()
            .map(|e| GamedayExperiment {
                name: e.name.clone(),
                kind: e.fit.kind.kind.clone(),
                object: e.fit.name.clone(),
                duration_ms: ms(e.fit.duration),
                pods: e.fit.pods,
            })
            .collect(),
        digest: g.digest.clone(),
    }
}

/// Where a create's outcome leaves its experiment. Only an answer from the API, or a
/// create that never started, says for sure; a create cut short (the console killed or
/// quit, the timeout, a cancel) may have landed.
fn after_create(outcome: &str) -> Status {
    if outcome == "succeeded" {
        Status::Running
    } else if outcome.starts_with("failed:")
        || outcome.starts_with("not run")
        || outcome.starts_with("interrupted before it started")
    {
        Status::Failed
    } else {
        Status::Unknown
    }
}

impl Run {
    /// A run from its `gameday_started` record; `None` for any other record.
    pub fn from_started(r: &Record) -> Option<Run> {
        let RecordKind::GamedayStarted {
            name,
            hypothesis,
            context,
            namespace,
            max_pods,
            max_duration_ms,
            abort_query,
            abort_comparison,
            abort_threshold,
            poll_interval_ms,
            observation_window_ms,
            experiments,
            digest,
        } = &r.kind
        else {
            return None;
        };
        Some(Run {
            name: name.clone(),
            hypothesis: hypothesis.clone(),
            boundary: Boundary {
                context: context.clone(),
                namespace: namespace.clone(),
                max_pods: *max_pods,
                max_duration: Duration::from_millis(*max_duration_ms),
            },
            abort: AbortCondition {
                query: abort_query.clone(),
                comparison: Comparison::parse(abort_comparison).unwrap_or(Comparison::Above),
                threshold: *abort_threshold,
                poll_interval: Duration::from_millis(*poll_interval_ms),
            },
            observation_window: Duration::from_millis(*observation_window_ms),
            experiments: experiments
                .iter()
                .map(|e| ExperimentRun {
                    name: e.name.clone(),
                    kind: e.kind.clone(),
                    object: e.object.clone(),
                    duration: Duration::from_millis(e.duration_ms),
                    pods: e.pods,
                    status: Status::Pending,
                    intent: None,
                    started_at: None,
                    failure: None,
                    removed: None,
                    removal_error: None,
                    kill_pending: None,
                })
                .collect(),
            digest: digest.clone(),
            started_at: r.at,
            observation_started: None,
            trips: Vec::new(),
            kill_switches: Vec::new(),
            verdict: None,
            abandoned: None,
        })
    }

    /// Folds every record of a journal; `None` when it is not a game-day's.
    pub fn from_records(records: &[Record]) -> Option<Run> {
        let i = records
            .iter()
            .position(|r| matches!(r.kind, RecordKind::GamedayStarted { .. }))?;
        let mut run = Run::from_started(&records[i])?;
        for r in &records[i + 1..] {
            run.apply(r);
        }
        Some(run)
    }

    pub fn experiment(&self, name: &str) -> Option<&ExperimentRun> {
        self.experiments.iter().find(|e| e.name == name)
    }

    fn experiment_mut(&mut self, name: &str) -> Option<&mut ExperimentRun> {
        self.experiments.iter_mut().find(|e| e.name == name)
    }

    pub fn apply(&mut self, r: &Record) {
        let own = runbook_id(&self.name);
        match &r.kind {
            RecordKind::MitigationIntent {
                id, runbook, name, ..
            } if *runbook == own => {
                if let Some(e) = self.experiment_mut(name) {
                    e.status = Status::Starting;
                    e.intent = Some(id.clone());
                    e.failure = None;
                    e.removed = None;
                    e.kill_pending = None;
                }
            }
            RecordKind::MitigationOutcome { id, outcome, .. } => {
                let at = r.at;
                let Some(e) = self
                    .experiments
                    .iter_mut()
                    .find(|e| e.intent.as_deref() == Some(id.as_str()))
                else {
                    return;
                };
                if e.status != Status::Starting {
                    return;
                }
                e.status = after_create(outcome);
                match e.status {
                    Status::Running => {
                        e.started_at = Some(at);
                        self.observation_started.get_or_insert(at);
                    }
                    Status::Failed => {
                        e.failure = Some(outcome.clone());
                        e.kill_pending = None;
                    }
                    _ => e.failure = Some(outcome.clone()),
                }
            }
            RecordKind::GamedayAbortTripped {
                value,
                detail,
                experiments,
                ..
            } => {
                self.mark_kill_pending(experiments, "abort");
                self.trips.push(Trip {
                    at: r.at,
                    value: *value,
                    detail: detail.clone(),
                    experiments: experiments.clone(),
                })
            }
            RecordKind::GamedayKillSwitch { experiments } => {
                self.mark_kill_pending(experiments, "kill switch");
                self.kill_switches.push(r.at)
            }
            RecordKind::GamedayExperimentRemoved {
                experiment,
                reason,
                ok,
                outcome,
                ..
            } => {
                if let Some(e) = self.experiment_mut(experiment) {
                    if *ok {
                        e.status = Status::Removed;
                        e.removal_error = None;
                        e.kill_pending = None;
                        e.removed = Some(Removal {
                            at: r.at,
                            reason: reason.clone(),
                            outcome: outcome.clone(),
                        });
                    } else {
                        e.removal_error = Some(outcome.clone());
                    }
                }
            }
            RecordKind::GamedayVerdict { held, note } => {
                self.verdict = Some(Verdict {
                    at: r.at,
                    held: *held,
                    note: note.clone(),
                })
            }
            RecordKind::GamedayAbandoned { reason } if self.verdict.is_none() => {
                self.abandoned = Some((r.at, reason.clone()));
            }
            _ => {}
        }
    }

    /// Ended: by its verdict, or abandoned.
    pub fn is_over(&self) -> bool {
        self.verdict.is_some() || self.abandoned.is_some()
    }

    /// Experiments named by an abort or the kill switch while being created.
    fn mark_kill_pending(&mut self, names: &[String], reason: &str) {
        for e in &mut self.experiments {
            if e.status == Status::Starting && names.contains(&e.name) {
                e.kill_pending.get_or_insert_with(|| reason.to_string());
            }
        }
    }

    /// Experiments created (or maybe created) and not deleted: what the kill switch and
    /// the abort delete.
    pub fn in_cluster(&self) -> Vec<&ExperimentRun> {
        self.experiments.iter().filter(|e| e.in_cluster()).collect()
    }

    /// Pods under chaos now (or about to be): what counts against `max_pods`.
    pub fn pods_in_use(&self, now: DateTime<Utc>) -> u32 {
        self.experiments
            .iter()
            .filter(|e| e.injecting(now))
            .map(|e| e.pods)
            .sum()
    }

    pub fn observation_end(&self) -> Option<DateTime<Utc>> {
        let d = chrono::Duration::from_std(self.observation_window).ok()?;
        Some(self.observation_started? + d)
    }

    /// The observation window has run out (and so the verdict is due).
    pub fn observation_over(&self, now: DateTime<Utc>) -> bool {
        self.observation_end().is_some_and(|end| now >= end)
    }

    /// Time observed so far, frozen at the window's end.
    pub fn observed(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.observation_started?;
        Some(since(start, now).min(self.observation_window))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn rec(seq: u64, at: i64, kind: RecordKind) -> Record {
        Record::new(seq, t(at), None, kind)
    }

    fn game_day() -> GameDay {
        super::super::model::analyse("g.yaml", None, super::super::model::tests::GOOD)
            .gameday
            .unwrap()
    }

    #[test]
    fn the_fold_follows_intents_outcomes_aborts_and_the_verdict() {
        let started = rec(1, 0, started_record(&game_day()));
        let mut run = Run::from_started(&started).unwrap();
        assert_eq!(run.experiments[0].status, Status::Pending);
        assert_eq!(run.boundary.max_duration, Duration::from_secs(60));
        run.apply(&rec(
            2,
            10,
            RecordKind::MitigationIntent {
                id: "m1".into(),
                runbook: runbook_id("shop-kill"),
                name: "kill-cart".into(),
                plan: String::new(),
            },
        ));
        assert_eq!(run.experiments[0].status, Status::Starting);
        assert_eq!(run.pods_in_use(t(10)), 1);
        // A runbook's own mitigation with the same name is not the experiment.
        run.apply(&rec(
            3,
            11,
            RecordKind::MitigationOutcome {
                id: "other".into(),
                exit_code: Some(0),
                duration_ms: 1,
                outcome: "succeeded".into(),
            },
        ));
        assert_eq!(run.experiments[0].status, Status::Starting);
        run.apply(&rec(
            4,
            12,
            RecordKind::MitigationOutcome {
                id: "m1".into(),
                exit_code: Some(0),
                duration_ms: 1,
                outcome: "succeeded".into(),
            },
        ));
        assert_eq!(run.experiments[0].status, Status::Running);
        assert_eq!(run.observation_started, Some(t(12)));
        assert_eq!(run.in_cluster().len(), 1);
        // Injecting for its 30 s duration, in the cluster until deleted.
        assert_eq!(run.pods_in_use(t(41)), 1);
        assert_eq!(run.pods_in_use(t(42)), 0);
        assert!(!run.observation_over(t(611)));
        assert!(run.observation_over(t(612)));
        assert_eq!(run.observed(t(9999)), Some(Duration::from_secs(600)));
        run.apply(&rec(
            5,
            20,
            RecordKind::GamedayExperimentRemoved {
                experiment: "kill-cart".into(),
                object: "gd-kill-cart".into(),
                reason: "abort".into(),
                ok: false,
                outcome: "500 InternalError: x".into(),
            },
        ));
        assert_eq!(run.in_cluster().len(), 1, "a failed delete leaves it there");
        run.apply(&rec(
            6,
            21,
            RecordKind::GamedayExperimentRemoved {
                experiment: "kill-cart".into(),
                object: "gd-kill-cart".into(),
                reason: "abort".into(),
                ok: true,
                outcome: "deleted".into(),
            },
        ));
        assert!(run.in_cluster().is_empty());
        run.apply(&rec(
            7,
            700,
            RecordKind::GamedayVerdict {
                held: false,
                note: "5xx hit 9 %".into(),
            },
        ));
        assert_eq!(run.verdict.as_ref().map(|v| v.held), Some(false));
    }

    #[test]
    fn only_an_answer_from_the_api_says_a_create_did_not_land() {
        for outcome in [
            "failed: 422 Invalid: x",
            "not run: plan changed",
            "interrupted before it started: quit; nothing ran",
        ] {
            assert_eq!(after_create(outcome), Status::Failed, "{outcome}");
        }
        for outcome in [
            crate::state::mitigation::UNKNOWN_OUTCOME,
            "interrupted: quit; its process group was killed",
            "timed out",
            "cancelled",
        ] {
            assert_eq!(after_create(outcome), Status::Unknown, "{outcome}");
        }
        assert_eq!(after_create("succeeded"), Status::Running);
    }
}
