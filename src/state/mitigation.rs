//! The console's side of running runbook commands: which block a key means, the prompt
//! bound to a gated plan, the journal's intent record before anything runs, and the
//! output pane. The gate itself and the runners live in `crate::exec`; this file only
//! decides and asks, through effects, as `update` must.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::input::{InputOutcome, LineInput};
use super::{Effect, JournalStatus, Overlay, State};
use crate::exec::ActionSpec;
use crate::exec::gate::{self, Confirmation, GatedPlan};
use crate::exec::plan::{Plan, Target};
use crate::incident::{Record, RecordKind};
use crate::keymap::Key;

/// Output lines kept for the pane.
pub const MAX_OUTPUT: usize = 500;

/// A prompt older than this asks again: its pre-check results are too old to act on.
pub const PROMPT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(300);

/// A plan waiting at the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub gated: GatedPlan,
    pub dry_run: bool,
    /// The alert's labels when the plan was made: if they change, the plan is stale.
    pub labels: BTreeMap<String, String>,
    /// The typed confirmation, when the plan needs one.
    pub input: LineInput,
    /// When the pre-checks were run and the prompt shown.
    pub opened: DateTime<Utc>,
}

/// Something running now.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub id: String,
    pub name: String,
    pub dry_run: bool,
    pub mitigation: bool,
    pub started: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecState {
    /// Sanitized output, newest last.
    pub output: VecDeque<String>,
    /// Confirmed, its intent record on the way: runs when that record lands.
    pub awaiting_intent: Option<(String, GatedPlan, Confirmation)>,
    pub running: Option<Running>,
    pub next_id: u64,
    /// `auto=true` checks already started by this console.
    pub auto_done: super::auto_check::Done,
    /// A block is at the gate: its answer starts it or shows its prompt, so nothing else
    /// may start meanwhile.
    pub gating: bool,
    /// Emergency stops whose intent record is on its way: each runs when it lands.
    pub stops: Vec<super::stop::StopRun>,
}

impl ExecState {
    /// Something is at the gate, waiting for its intent record, or running.
    pub fn busy(&self) -> bool {
        self.gating || self.running.is_some() || self.awaiting_intent.is_some()
    }
}

impl ExecState {
    pub fn push(&mut self, line: String) {
        if self.output.len() >= MAX_OUTPUT {
            self.output.pop_front();
        }
        self.output.push_back(line);
    }
}

/// The answer to an [`Effect::Gate`].
#[derive(Debug, Clone, PartialEq)]
pub struct GateAnswer {
    pub dry_run: bool,
    pub labels: BTreeMap<String, String>,
    /// The gated plan, or why it was refused (escaped).
    pub result: Result<GatedPlan, String>,
}

/// How a run ended, from the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecDone {
    pub id: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub outcome: String,
    /// What ran (the check record names it).
    pub argv: Vec<String>,
}

/// The run or dry-run key: the current step's selected command (`c` chooses; by default
/// its first mitigation, else its first check) goes to the gate with the selected alert's labels (or, with none, the runbook view's).
pub fn request(state: &mut State, dry_run: bool) -> Vec<Effect> {
    if state.exec.busy() {
        state.notify("A command is already running (ctrl-k cancels it).");
        return Vec::new();
    }
    let Some(rb) = state.current_runbook() else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return Vec::new();
    };
    let Some(step) = state.runbook.current_step().and_then(|i| rb.steps.get(i)) else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return Vec::new();
    };
    let block = state
        .runbook
        .selected_command(step)
        .and_then(|i| step.commands.get(i));
    let Some(block) = block else {
        state.notify("This step has no command to run (PromQL checks are read on a dashboard).");
        return Vec::new();
    };
    let spec = ActionSpec::from_block(rb, block);
    let name = block.name.clone();
    // Without an alert (a drill), the labels the runbook view was opened with fill in.
    let (alert, labels) = match state.alerts.selected_alert() {
        Some(a) => (Some(a.fingerprint.clone()), a.labels.to_map()),
        None => (None, state.runbook.labels.clone()),
    };
    let read_only = state.read_only || matches!(state.journal, JournalStatus::ReadOnly(_));
    state.notify(format!("Checking {name} ..."));
    state.exec.gating = true;
    vec![Effect::Gate {
        spec,
        alert,
        labels,
        dry_run,
        read_only,
    }]
}

/// The gate answered: refuse, run a check straight away, or show the prompt.
pub fn on_gated(state: &mut State, answer: GateAnswer) -> Vec<Effect> {
    state.dirty = true;
    state.exec.gating = false;
    let gated = match answer.result {
        Ok(g) => g,
        Err(why) => {
            state.notify(why);
            return Vec::new();
        }
    };
    if !gated.plan.mutating() {
        // Read-only: no prompt; the result is recorded when it ends.
        return start(state, gated, None, answer.dry_run);
    }
    let journaled = state.journal == JournalStatus::Writable && state.incident_open();
    if !answer.dry_run && !journaled {
        state.notify("Mitigations are journaled: open an incident first (I), or ack a P0/P1.");
        return Vec::new();
    }
    state.overlay = Some(Overlay::Mitigation(Box::new(Prompt {
        gated,
        dry_run: answer.dry_run,
        labels: answer.labels,
        input: LineInput::default(),
        opened: state.now,
    })));
    Vec::new()
}

/// Keys at the prompt. Default No: only `y` (or the exact typed name and Enter) confirms;
/// Enter alone does nothing; anything else cancels.
pub fn on_prompt_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Mitigation(p)) = &mut state.overlay else {
        return Vec::new();
    };
    state.dirty = true;
    let answer = if p.gated.typed.is_some() {
        match p.input.handle(&ev) {
            InputOutcome::Submit if p.input.text.is_empty() => return Vec::new(),
            InputOutcome::Submit => Some(p.input.text.clone()),
            // Esc is a plain No: nothing typed so far is an answer.
            InputOutcome::Cancel => None,
            InputOutcome::Edited | InputOutcome::Ignored => return Vec::new(),
        }
    } else {
        let Some(key) = Key::from_event(&ev) else {
            return Vec::new();
        };
        let is = |spec: &str| Key::parse(spec).is_ok_and(|k| k == key);
        if is("enter") {
            return Vec::new();
        }
        is("y").then(|| "y".to_string())
    };
    let Some(Overlay::Mitigation(p)) = state.overlay.take() else {
        return Vec::new();
    };
    match answer.and_then(|a| p.gated.confirm(&a)) {
        Some(_) if super::drill::since(p.opened, state.now) > PROMPT_MAX_AGE => {
            state.notify(format!(
                "The prompt was open for more than {} minutes: its pre-checks are too old. Nothing was run; ask again.",
                PROMPT_MAX_AGE.as_secs() / 60
            ));
            Vec::new()
        }
        Some(c) => confirmed(state, *p, c),
        None => {
            state.notify("Not confirmed: nothing was run.");
            Vec::new()
        }
    }
}

fn confirmed(state: &mut State, p: Prompt, c: Confirmation) -> Vec<Effect> {
    if p.dry_run {
        // A preview changes nothing, so it needs no intent record.
        return start(state, p.gated, Some(c), true);
    }
    let id = intent_id(state);
    let kind = RecordKind::MitigationIntent {
        id: id.clone(),
        runbook: p.gated.plan.runbook.clone(),
        name: p.gated.plan.name.clone(),
        plan: p.gated.intent_text(),
    };
    let effects = state.record_or_apply(kind);
    if effects.is_empty() {
        // Refused (read-only, journal failed) or no incident: nothing runs unrecorded.
        state.notify("Refused: the intent could not be journaled, so nothing runs.");
        return Vec::new();
    }
    state.exec.awaiting_intent = Some((id, p.gated, c));
    state.notify("Recording the intent ...");
    effects
}

/// A new intent id, unique in the incident's journal: the audit and the interrupted-run
/// bookkeeping pair intents with outcomes by it, across restarts and consoles. It carries
/// the journal's next sequence number and a counter, and is checked against every intent
/// already recorded.
pub(super) fn intent_id(state: &mut State) -> String {
    let taken: std::collections::BTreeSet<&str> = state
        .incident
        .iter()
        .flat_map(|i| &i.records)
        .filter_map(|r| match &r.kind {
            RecordKind::MitigationIntent { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let seq = state
        .incident
        .as_ref()
        .and_then(|i| i.records.last())
        .map_or(0, |r| r.seq + 1);
    loop {
        state.exec.next_id += 1;
        let id = format!("m{seq}-{}", state.exec.next_id);
        if !taken.contains(id.as_str()) {
            return id;
        }
    }
}

/// Called for every record that lands: the intent this console is waiting for starts the
/// run. Replayed or followed intents never match, so they never run anything.
pub fn after_record(state: &mut State, record: &Record) -> Vec<Effect> {
    let RecordKind::MitigationIntent { id, .. } = &record.kind else {
        return super::auto_check::on_record(state, record);
    };
    match state.exec.awaiting_intent.take() {
        Some((want, gated, c)) if &want == id => {
            // The intent is on disk; before anything runs, the plan is made again from the
            // runbook and the alert as they are now, and must be the one confirmed.
            let now = current_plan(state, &gated);
            if !c.binds(&gated) || now.as_ref() != Ok(&gated.plan) {
                let why = match now {
                    Err(why) => why,
                    Ok(_) => "the runbook block or the alert's labels changed".into(),
                };
                state.notify(format!(
                    "The plan changed after it was confirmed ({why}): nothing was run; ask again."
                ));
                return vec![outcome(
                    id,
                    None,
                    0,
                    &format!("not run: the plan changed after it was confirmed ({why})"),
                )];
            }
            start_with_id(state, want, gated, Some(c), false)
        }
        other => {
            state.exec.awaiting_intent = other;
            Vec::new()
        }
    }
}

/// The plan the confirmed one's block and alert make now: the runbook block (or game-day
/// experiment) as loaded now, the alert's labels as the feed has them now, resolved with
/// the options the gate used. An `Err` says what is gone.
pub fn current_plan(state: &State, gated: &GatedPlan) -> Result<Plan, String> {
    let plan = &gated.plan;
    let (spec, labels) = match super::gameday::experiment_spec_for(state, &plan.runbook, &plan.name)
    {
        Some(spec) => (spec?, BTreeMap::new()),
        None => {
            let rb = state
                .runbooks
                .iter()
                .find(|r| r.id == plan.runbook)
                .ok_or("the runbook is no longer loaded")?;
            let block = rb
                .steps
                .iter()
                .flat_map(|s| &s.commands)
                .find(|c| c.name == plan.name)
                .ok_or("the runbook no longer has this block")?;
            let labels = match &plan.alert {
                Some(fp) => state
                    .alerts
                    .alerts
                    .iter()
                    .find(|a| &a.fingerprint == fp)
                    .map(|a| a.labels.to_map())
                    .ok_or("the alert is gone")?,
                None => state.runbook.labels.clone(),
            };
            (ActionSpec::from_block(rb, block), labels)
        }
    };
    gate::resolve(
        &gated.options,
        gate::Request {
            spec: &spec,
            alert: plan.alert.as_deref(),
            labels: &labels,
            context: &plan.context,
        },
    )
    .map_err(|r| r.to_string())
}

fn outcome(id: &str, exit_code: Option<i32>, duration_ms: u64, what: &str) -> Effect {
    Effect::Journal {
        kind: RecordKind::MitigationOutcome {
            id: id.to_string(),
            exit_code,
            duration_ms,
            outcome: what.to_string(),
        },
        by: None,
    }
}

fn start(
    state: &mut State,
    gated: GatedPlan,
    c: Option<Confirmation>,
    dry_run: bool,
) -> Vec<Effect> {
    state.exec.next_id += 1;
    let id = format!("r{}", state.exec.next_id);
    start_with_id(state, id, gated, c, dry_run)
}

fn start_with_id(
    state: &mut State,
    id: String,
    gated: GatedPlan,
    confirmation: Option<Confirmation>,
    dry_run: bool,
) -> Vec<Effect> {
    let mitigation = gated.plan.mutating();
    let name = gated.plan.name.clone();
    state.exec.push(format!(
        "── {}{} ({})",
        if dry_run { "dry run: " } else { "" },
        crate::sanitize::escape(&name),
        id
    ));
    state.exec.running = Some(Running {
        id: id.clone(),
        name,
        dry_run,
        mitigation,
        started: state.now,
    });
    state.dirty = true;
    vec![Effect::Execute {
        id,
        plan: Box::new(gated),
        confirmation,
        dry_run,
    }]
}

/// A run ended: show it, and journal the outcome (mitigations) or the check.
pub fn on_done(state: &mut State, done: ExecDone) -> Vec<Effect> {
    state.dirty = true;
    let Some(r) = state.exec.running.take() else {
        return Vec::new();
    };
    if r.id != done.id {
        state.exec.running = Some(r);
        return Vec::new();
    }
    state.exec.push(format!(
        "── {}: {}, exit {}, {} ms",
        crate::sanitize::escape(&r.name),
        done.outcome,
        done.exit_code
            .map_or_else(|| "-".to_string(), |c| c.to_string()),
        done.duration_ms
    ));
    state.notify(format!("{} {}", r.name, done.outcome));
    if r.dry_run {
        return Vec::new();
    }
    if r.mitigation {
        // Always written, whatever the journal's state was at the start: the intent is there.
        return vec![outcome(
            &done.id,
            done.exit_code,
            done.duration_ms,
            &done.outcome,
        )];
    }
    state.record_or_apply(RecordKind::CheckRun {
        runbook: state
            .current_runbook()
            .map(|rb| rb.id.clone())
            .unwrap_or_default(),
        name: r.name,
        argv: done.argv,
        exit_code: done.exit_code,
        duration_ms: done.duration_ms,
    })
}

/// The argv a plan runs (for the check record), or the kube call described.
pub fn plan_argv(g: &GatedPlan) -> Vec<String> {
    match &g.plan.target {
        Target::Process { argv } => argv.clone(),
        Target::Kube(k) => vec![k.describe()],
        Target::KubeRead(r) => r.argv(),
    }
}

/// When the alerts change under an open prompt, a plan made for labels that are gone or
/// different is stale: close it and ask again.
pub fn check_stale(state: &mut State) {
    let Some(Overlay::Mitigation(p)) = &state.overlay else {
        return;
    };
    let Some(fp) = p.gated.plan.alert.clone() else {
        return;
    };
    let same = state
        .alerts
        .alerts
        .iter()
        .find(|a| a.fingerprint == fp)
        .is_some_and(|a| a.labels == p.labels);
    if !same {
        state.overlay = None;
        state.notify("The alert changed while the prompt was open: nothing was run; ask again.");
    }
}

/// The runbooks were loaded again: a prompt made from the old ones asks again.
pub fn runbooks_reloaded(state: &mut State) {
    if matches!(state.overlay, Some(Overlay::Mitigation(_))) {
        state.overlay = None;
        state.notify(
            "The runbooks were reloaded while the prompt was open: nothing was run; ask again.",
        );
    }
}

/// What an intent found without an outcome at start is recorded as: the console was
/// killed (SIGKILL, power, OOM) while it ran, so whether it took effect is not known.
pub const UNKNOWN_OUTCOME: &str = "interrupted: the console was killed while it ran (found at the next start); its effect is unknown, check it";

/// At start, after the journal is replayed and writable: every mitigation intent without
/// an outcome is recorded as interrupted with an unknown effect, and a warning stays on
/// screen until the person checks the system. Followers never write, so only a writable
/// console settles them.
pub fn settle_unfinished(state: &mut State) -> Vec<Effect> {
    if state.journal != JournalStatus::Writable {
        return Vec::new();
    }
    let Some(inc) = &state.incident else {
        return Vec::new();
    };
    let mut open: Vec<(String, String)> = Vec::new();
    for r in &inc.records {
        match &r.kind {
            RecordKind::MitigationIntent { id, name, .. } => open.push((id.clone(), name.clone())),
            RecordKind::MitigationOutcome { id, .. } => open.retain(|(o, _)| o != id),
            _ => {}
        }
    }
    let mut effects = Vec::new();
    for (id, name) in open {
        state.warnings.push(format!(
            "Mitigation {} ({id}) was running when the console was killed: its effect is unknown. Check the system before acting again.",
            crate::sanitize::escape(&name)
        ));
        effects.push(outcome(&id, None, 0, UNKNOWN_OUTCOME));
    }
    if !effects.is_empty() {
        state.dirty = true;
    }
    effects
}

/// `c`: the next of the step's commands becomes the one `x` and `X` run.
pub fn next_command(state: &mut State) {
    let Some(step) = state
        .current_runbook()
        .and_then(|rb| state.runbook.current_step().and_then(|i| rb.steps.get(i)))
        .cloned()
    else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return;
    };
    match state.runbook.next_command(&step) {
        Some(i) => {
            let c = &step.commands[i];
            let n = super::runbook_view::runnable(&step).len();
            state.notify(format!(
                "{} selected ({} of the step's {n}): x runs it, X previews it.",
                crate::sanitize::escape(&c.name),
                match c.kind {
                    crate::runbook::CommandKind::Mitigation => "a mitigation",
                    _ => "a check",
                }
            ));
        }
        None => state.notify("This step has no command."),
    }
}
