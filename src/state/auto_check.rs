//! Read-only checks marked `auto=true` run once, by themselves, when their runbook step is
//! first shown to the person at this console, so the answer is on screen before they ask.
//!
//! Only a step shown by this console's own action counts: a record landing in a writable
//! journal, or an action outside any incident. A replayed journal (resume), a follower and
//! a read-only console never start anything. The block goes through the one gate in
//! read-only mode, which refuses every block not on the read-only allow-list
//! (`crate::exec::tools`), so nothing that could change anything starts by itself.

use std::collections::BTreeSet;

use super::{Effect, JournalStatus, State};
use crate::exec::ActionSpec;
use crate::incident::{Record, RecordKind};
use crate::runbook::CommandKind;

/// Checks already started automatically, by (runbook, block name): each runs once.
pub type Done = BTreeSet<(String, String)>;

/// True for the records that move the runbook view to a step.
pub fn shows_a_step(kind: &RecordKind) -> bool {
    matches!(
        kind,
        RecordKind::RunbookOpened { .. }
            | RecordKind::StepViewed { .. }
            | RecordKind::BranchChosen { .. }
            | RecordKind::StepBack { .. }
    )
}

/// A record landed: when it is this console's own navigation in a writable journal, the
/// new step's automatic checks start.
pub fn on_record(state: &mut State, record: &Record) -> Vec<Effect> {
    if state.journal != JournalStatus::Writable || !shows_a_step(&record.kind) {
        return Vec::new();
    }
    step_shown(state)
}

/// The step on screen was just shown by this console: start its automatic checks that
/// have not run yet.
pub fn step_shown(state: &mut State) -> Vec<Effect> {
    if state.read_only || matches!(state.journal, JournalStatus::ReadOnly(_)) {
        return Vec::new();
    }
    let Some(rb) = state.current_runbook() else {
        return Vec::new();
    };
    let Some(step) = state.runbook.current_step().and_then(|i| rb.steps.get(i)) else {
        return Vec::new();
    };
    let due: Vec<ActionSpec> = step
        .commands
        .iter()
        .filter(|c| c.auto && c.kind == CommandKind::Check && c.kube.is_none())
        .filter(|c| {
            !state
                .exec
                .auto_done
                .contains(&(rb.id.clone(), c.name.clone()))
        })
        .map(|c| ActionSpec::from_block(rb, c))
        .collect();
    let Some(spec) = due.into_iter().next() else {
        return Vec::new();
    };
    if state.exec.busy() {
        // One command at a time; it runs when the step is shown again, or with `x`.
        state.notify(format!(
            "{} did not run by itself: a command is running.",
            crate::sanitize::escape(&spec.name)
        ));
        return Vec::new();
    }
    state
        .exec
        .auto_done
        .insert((spec.runbook.clone(), spec.name.clone()));
    let labels = state.runbook.labels.clone();
    state.exec.gating = true;
    state.notify(format!(
        "Checking {} ...",
        crate::sanitize::escape(&spec.name)
    ));
    vec![Effect::Gate {
        spec,
        alert: None,
        labels,
        dry_run: false,
        // The gate refuses anything that would change something.
        read_only: true,
    }]
}
