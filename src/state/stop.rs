//! Emergency stops: deleting a game-day's experiments (the abort, the kill switch, the end
//! of the game-day). Each deletion passes the one gate like every action (read-only mode
//! refuses it first) and is journaled before (`mitigation_intent`) and after
//! (`mitigation_outcome`), but asks no one: the gate only lets a chaos experiment's
//! deletion skip the prompt. When the journal cannot be written the deletion still goes
//! ahead, because removal is the safe direction, and the screen says it is unrecorded.

use super::gameday::{RemoveTarget, Removed};
use super::{Effect, JournalStatus, State};
use crate::exec::gate::{Confirmation, GatedPlan};
use crate::incident::{Record, RecordKind};

/// The gate passed a deletion ([`super::Event::StopGated`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StopGated {
    pub reason: String,
    pub target: RemoveTarget,
    pub gated: GatedPlan,
}

/// A deletion for the runtime to carry out ([`super::Effect::ExecuteStop`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StopRun {
    /// The intent record's id; `None` when the journal could not take one.
    pub id: Option<String>,
    pub reason: String,
    pub target: RemoveTarget,
    pub gated: GatedPlan,
    pub confirmation: Confirmation,
}

/// How a deletion ended ([`super::Event::ExperimentRemoved`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped {
    /// The intent it answers, if one was recorded.
    pub intent: Option<String>,
    pub duration_ms: u64,
    pub removed: Removed,
}

/// The gate passed a deletion: record the intent and wait for it to be on disk, or, when
/// the journal cannot be written, delete at once and say so.
pub fn on_gated(state: &mut State, g: StopGated) -> Vec<Effect> {
    state.dirty = true;
    let Some(confirmation) = g.gated.confirm_emergency() else {
        return super::gameday::removed(state, refused(&g.target, &g.reason, "not a stop"));
    };
    let run = StopRun {
        id: None,
        reason: g.reason,
        target: g.target,
        gated: g.gated,
        confirmation,
    };
    if state.journal != JournalStatus::Writable || !state.incident_open() {
        state.notify(format!(
            "{}: deleting {} without a journal record (the journal cannot be written)",
            run.reason, run.target.experiment
        ));
        return vec![Effect::ExecuteStop(Box::new(run))];
    }
    let id = super::mitigation::intent_id(state);
    let kind = RecordKind::MitigationIntent {
        id: id.clone(),
        runbook: run.gated.plan.runbook.clone(),
        name: run.gated.plan.name.clone(),
        plan: run.gated.intent_text(),
    };
    // The abort acts by itself; the kill switch and the verdict are a person's.
    let by = (run.reason != "abort").then(|| state.user.clone());
    state.exec.stops.push(StopRun {
        id: Some(id),
        ..run
    });
    vec![Effect::Journal { kind, by }]
}

/// A deletion's intent is on disk: it runs now. Replayed or followed intents never match.
pub fn after_record(state: &mut State, record: &Record) -> Vec<Effect> {
    let RecordKind::MitigationIntent { id, .. } = &record.kind else {
        return Vec::new();
    };
    let Some(i) = state
        .exec
        .stops
        .iter()
        .position(|s| s.id.as_ref() == Some(id))
    else {
        return Vec::new();
    };
    vec![Effect::ExecuteStop(Box::new(state.exec.stops.remove(i)))]
}

/// The journal failed with deletions waiting for their intent: they go ahead unrecorded,
/// because leaving chaos in the cluster is worse than an action missing from the journal.
pub fn journal_failed(state: &mut State) -> Vec<Effect> {
    let waiting = std::mem::take(&mut state.exec.stops);
    if waiting.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = waiting
        .iter()
        .map(|s| s.target.experiment.clone())
        .collect();
    state.warnings.push(format!(
        "The journal failed: deleting {} without a record of it.",
        names.join(", ")
    ));
    waiting
        .into_iter()
        .map(|s| Effect::ExecuteStop(Box::new(StopRun { id: None, ..s })))
        .collect()
}

/// A deletion ended: the game-day's record of it, then the outcome of its intent.
pub fn done(state: &mut State, s: Stopped) -> Vec<Effect> {
    let ok = s.removed.ok;
    let outcome = if ok {
        format!("succeeded: {}", s.removed.outcome)
    } else {
        format!("failed: {}", s.removed.outcome)
    };
    let mut effects = super::gameday::removed(state, s.removed);
    if let Some(id) = s.intent
        && state.journal == JournalStatus::Writable
    {
        effects.push(Effect::Journal {
            kind: RecordKind::MitigationOutcome {
                id,
                exit_code: ok.then_some(0),
                duration_ms: s.duration_ms,
                outcome,
            },
            by: None,
        });
    }
    effects
}

/// A deletion that did not get past the gate (read-only mode, most likely).
pub fn refused(t: &RemoveTarget, reason: &str, why: &str) -> Removed {
    Removed {
        experiment: t.experiment.clone(),
        object: t.action.target_name(),
        reason: reason.to_string(),
        ok: false,
        outcome: format!("refused: {why}"),
    }
}
