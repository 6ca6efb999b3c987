//! The drill console's side of a drill run: the facilitator's one key that moves the drill
//! on (start, guards, next phase, service restored, RPO, "what was different"), the records
//! each step asks for, and what follows when they land. Like the rest of `update` it only
//! decides and asks; the journal, Prometheus, the drill file and the log are effects.
//!
//! Human action time is journaled as `human_prompted` / `human_answered` pairs: a wait opens
//! when the console puts something to a person (guards, a confirmation, a runbook step, a
//! command's prompt or output, the RPO question) and closes when that person answers (or
//! moves the drill on, which answers whatever was open). A command the person confirms ends
//! the wait: while it runs, the machines have the drill.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::drill::{DrillRun, Guards};
use super::input::{InputOutcome, LineInput};
use super::{Effect, JournalStatus, Mode, Overlay, Pane, Pending, Severity, State};
use crate::drill::score::ScoreRequest;
use crate::drill::{Answer, Drill, LogEntry, Score};
use crate::incident::{Record, RecordKind};
use crate::sources::timing::Clock;

/// What `warroom drill NAME` read before the screen was taken over.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillSetup {
    /// The drill file's stem.
    pub drill: String,
    pub file: PathBuf,
    pub sha256: String,
    pub spec: Drill,
    /// Where the score is logged.
    pub log: PathBuf,
    /// The last logged run of this drill.
    pub previous: Option<LogEntry>,
}

/// Work on its way outside the console, so a key does not ask twice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrillBusy {
    pub rpo_query: bool,
    /// The RPO query failed (why): the facilitator is asked instead.
    pub rpo_failed: Option<String>,
    pub scoring: bool,
    /// The drill log: where the entry went, or why it did not.
    pub logged: Option<Result<String, String>>,
    /// The person asked for a command, which is at the gate.
    pub run_requested: bool,
    /// The command the person started, running now: (exec id, name).
    pub command: Option<(String, String)>,
}

/// The guard checklist: the phase (0-based) and the guard being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardsForm {
    pub phase: usize,
    pub next: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Rpo,
    Different,
    /// Why the drill run is abandoned (required).
    AbandonDrill,
    /// Why the game-day is abandoned (required).
    AbandonGameday,
}

/// A typed answer the drill needs: the RPO, or what was different this time.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillAsk {
    pub ask: Ask,
    pub input: LineInput,
}

const RPO_WAIT: &str = "rpo";

/// Whether this console shows a drill run from a journal (its own or one it follows), as
/// opposed to the demo's scripted drill: such a console puts the drill first.
pub fn is_console(state: &State) -> bool {
    state.drill_setup.is_some() || state.drill.as_ref().is_some_and(|r| r.run.is_some())
}

/// Folds a drill record, from the journal or scripted by the demo.
pub fn fold(state: &mut State, kind: &RecordKind, at: DateTime<Utc>, from_journal: bool) {
    if let RecordKind::DrillStarted {
        drill,
        file,
        sha256,
        spec,
    } = kind
    {
        let run = from_journal
            .then(|| state.incident.as_ref().map(|i| i.id.clone()))
            .flatten();
        state.drill = Some(DrillRun::start(drill, run, file, sha256, spec, at));
        state.drill_busy = DrillBusy::default();
        if from_journal {
            state.focus = Pane::Drill;
        }
        return;
    }
    let Some(run) = state.drill.as_mut() else {
        return;
    };
    run.apply(kind, at);
    if from_journal
        && let RecordKind::PhaseStarted {
            runbook: Some(rb),
            step: Some(step),
            ..
        } = kind
    {
        let labels = run.spec.labels.clone();
        show_step(state, rb, step, labels, at);
    }
}

/// The Runbook pane shows the step a phase carries out.
fn show_step(
    state: &mut State,
    runbook: &str,
    step: &str,
    labels: std::collections::BTreeMap<String, String>,
    at: DateTime<Utc>,
) {
    let Some(i) = state.runbooks.iter().position(|r| r.id == runbook) else {
        return;
    };
    if state.mode == Mode::Live {
        super::mark_exercised(state, runbook, at);
    }
    state.runbook.open(i, None, labels);
    if let Some(s) = state.runbooks[i].step_index(step)
        && state.runbook.current_step() != Some(s)
    {
        state.runbook.go(s);
    }
}

/// Records for the running drill, or a notice saying why they cannot be written.
fn record(state: &mut State, kinds: Vec<RecordKind>) -> Vec<Effect> {
    match &state.journal {
        JournalStatus::ReadOnly(why) => {
            let text = format!("Read-only: {why}");
            state.notify(text);
            Vec::new()
        }
        JournalStatus::Writable if state.incident_open() => kinds
            .into_iter()
            .map(|kind| Effect::Journal {
                kind,
                by: Some(state.user.clone()),
            })
            .collect(),
        JournalStatus::Failed(why) => {
            let text = format!("Refused: the journal cannot be written ({why})");
            state.notify(text);
            Vec::new()
        }
        _ => {
            state.notify("The drill's journal is not open.");
            Vec::new()
        }
    }
}

fn run(state: &State) -> Option<&DrillRun> {
    state.drill.as_ref().filter(|r| r.run.is_some())
}

/// The advance key: whatever the drill needs next, behind a confirmation where it changes
/// the clock.
pub fn advance(state: &mut State) -> Vec<Effect> {
    if let JournalStatus::ReadOnly(why) = &state.journal {
        let text = format!("Read-only: {why}");
        state.notify(text);
        return Vec::new();
    }
    let Some(r) = &state.drill else {
        match &state.drill_setup {
            Some(setup) => {
                let d = &setup.spec;
                state.overlay = Some(Overlay::Confirm {
                    title: "Start the drill?".into(),
                    detail: format!(
                        "{}: T+0 is the moment you answer yes, so inject the failure now. Targets (frozen): RTO {}, RPO {}. {} phases.",
                        d.name,
                        Clock(d.targets.rto.0),
                        Clock(d.targets.rpo.0),
                        d.phases.len()
                    ),
                    on_yes: Pending::StartDrill,
                });
            }
            None => state.notify("No drill here: `warroom drill NAME` runs one."),
        }
        return Vec::new();
    };
    if r.run.is_none() {
        state.notify("The demo's drill plays by itself: `warroom drill NAME` runs one for real.");
        return Vec::new();
    }
    if let Some((_, score)) = &r.finished {
        let text = format!(
            "This drill is finished ({}). `warroom drill {}` starts the next run.",
            score.result(),
            r.drill
        );
        state.notify(text);
        return Vec::new();
    }
    if r.abandoned.is_some() {
        let text = format!(
            "This drill run was abandoned. `warroom drill {}` starts the next run.",
            r.drill
        );
        state.notify(text);
        return Vec::new();
    }
    if state.drill_busy.scoring {
        state.notify("Scoring the drill…");
        return Vec::new();
    }
    if r.is_restored() {
        if r.rpo_pending() {
            return measure_rpo(state);
        }
        open_different(state);
        return Vec::new();
    }
    let asks_human = r.spec.measure_rpo.query.is_none() || state.drill_busy.rpo_failed.is_some();
    if r.rpo_pending() && asks_human {
        return measure_rpo(state);
    }
    match r.next_phase() {
        Some(i) => begin_phase(state, i, true),
        None => {
            let detail = format!(
                "The customer flow works again? The RTO clock stops at T+ {} (target {}).",
                Clock(r.clock.elapsed(state.now)),
                Clock(r.clock.rto_target)
            );
            let Some(effects) = open_wait(state, "confirm service restored".into()) else {
                return Vec::new();
            };
            state.overlay = Some(Overlay::Confirm {
                title: "Service restored?".into(),
                detail,
                on_yes: Pending::RestoreService,
            });
            effects
        }
    }
}

fn confirm_phase(r: &DrillRun, i: usize) -> Overlay {
    let p = &r.spec.phases[i];
    let step = match (&p.runbook, &p.step) {
        (Some(rb), Some(s)) => format!(" Runbook: {rb}#{s}."),
        _ => String::new(),
    };
    Overlay::Confirm {
        title: format!("Start phase {}?", i + 1),
        detail: format!("{}, target {}.{step}", p.name, Clock(p.target.0)),
        on_yes: Pending::StartPhase(i),
    }
}

/// Phase `i` is next: its guards first, then (if `confirm`) the confirmation.
fn begin_phase(state: &mut State, i: usize, confirm: bool) -> Vec<Effect> {
    let Some(r) = run(state) else {
        return Vec::new();
    };
    let Some(p) = r.spec.phases.get(i) else {
        return Vec::new();
    };
    if !p.guards.is_empty() {
        let what = format!("guards for phase {}", i + 1);
        let prompt = r.waiting_on.is_none();
        let effects = if prompt {
            record(state, vec![RecordKind::HumanPrompted { what }])
        } else {
            Vec::new()
        };
        if prompt && effects.is_empty() {
            return effects;
        }
        state.overlay = Some(Overlay::Guards(GuardsForm { phase: i, next: 0 }));
        return effects;
    }
    if confirm {
        let overlay = confirm_phase(r, i);
        let Some(effects) = open_wait(state, format!("confirm phase {}", i + 1)) else {
            return Vec::new();
        };
        state.overlay = Some(overlay);
        return effects;
    }
    start_phase(state, i)
}

/// A human wait for `what`, unless one is open already (it goes on) or the clock has
/// stopped; `None` when the record cannot be written (the notice says why).
fn open_wait(state: &mut State, what: String) -> Option<Vec<Effect>> {
    let Some(r) = run(state) else {
        return Some(Vec::new());
    };
    if r.waiting_on.is_some() || !r.clock.is_running() {
        return Some(Vec::new());
    }
    let effects = record(state, vec![RecordKind::HumanPrompted { what }]);
    (!effects.is_empty()).then_some(effects)
}

/// The human answered whatever was waiting on them.
fn answer_wait(state: &mut State) -> Vec<Effect> {
    match run(state).and_then(|r| r.waiting_on.clone()) {
        Some(what) => record(state, vec![RecordKind::HumanAnswered { what }]),
        None => Vec::new(),
    }
}

/// This console writes a drill run whose clock is running.
fn live_run(state: &State) -> bool {
    state.journal == JournalStatus::Writable
        && state.drill_setup.is_some()
        && run(state).is_some_and(|r| r.clock.is_running())
}

/// `n` or `esc` on one of the drill's confirmations: the person answered. A wait the
/// confirmation opened ends; one that was open before (a step) goes on.
pub fn declined(state: &mut State, pending: &Pending) -> Vec<Effect> {
    let what = match pending {
        Pending::StartPhase(i) => format!("confirm phase {}", i + 1),
        Pending::RestoreService => "confirm service restored".to_string(),
        Pending::AbandonDrill(_) => {
            state.notify("Not abandoned: the drill goes on.");
            return Vec::new();
        }
        Pending::AbandonGameday(_) => {
            state.notify("Not abandoned: the game-day goes on.");
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    if !live_run(state) || run(state).and_then(|r| r.waiting_on.as_deref()) != Some(&what) {
        return Vec::new();
    }
    record(state, vec![RecordKind::HumanAnswered { what }])
}

/// The run (or dry-run) key on the Drill pane while the running phase lists commands: the
/// next one not run yet goes to the gate, as a runbook step's block would. `None` when the
/// key means the Runbook pane's step instead.
pub fn run_phase_command(state: &mut State, dry_run: bool) -> Option<Vec<Effect>> {
    if state.focus != Pane::Drill {
        return None;
    }
    let r = run(state)?;
    let commands = r.phase_commands();
    if commands.is_empty() {
        return None;
    }
    let i = r.clock.current_phase()?;
    let rb_id = r.spec.phases.get(i)?.runbook.clone()?;
    let labels = r.spec.labels.clone();
    let Some((name, _)) = commands.iter().find(|(_, ran)| !ran) else {
        state.notify(format!(
            "Every command of phase {} has run; the Runbook pane's x runs a step's command again.",
            i + 1
        ));
        return Some(Vec::new());
    };
    if state.exec.busy() {
        state.notify("A command is already running (ctrl-k cancels it).");
        return Some(Vec::new());
    }
    let block = state
        .runbooks
        .iter()
        .find(|rb| rb.id == rb_id)
        .and_then(|rb| {
            rb.steps
                .iter()
                .flat_map(|s| &s.commands)
                .find(|c| &c.name == name)
                .map(|c| crate::exec::ActionSpec::from_block(rb, c))
        });
    let Some(spec) = block else {
        state.notify(format!(
            "Runbook {rb_id} has no command {name} any more (warroom lint says why)."
        ));
        return Some(Vec::new());
    };
    let read_only = state.read_only || matches!(state.journal, JournalStatus::ReadOnly(_));
    state.notify(format!("Checking {name} ..."));
    state.exec.gating = true;
    Some(vec![Effect::Gate {
        spec,
        alert: None,
        labels,
        dry_run,
        read_only,
    }])
}

/// The run (or dry-run) key during a drill: the command the person asked for is at the gate.
pub fn run_requested(state: &mut State, effects: &[Effect]) {
    if live_run(state) && effects.iter().any(|e| matches!(e, Effect::Gate { .. })) {
        state.drill_busy.run_requested = true;
    }
}

/// The gate answered the command the person asked for: its prompt is put to them (a human
/// wait, unless one is open), or, a check that runs at once, it ends the wait.
pub fn gated(state: &mut State, effects: &[Effect]) -> Vec<Effect> {
    if !std::mem::take(&mut state.drill_busy.run_requested) || !live_run(state) {
        return Vec::new();
    }
    if let Some(Overlay::Mitigation(p)) = &state.overlay {
        let what = format!("confirm {}", p.gated.plan.name);
        return open_wait(state, what).unwrap_or_default();
    }
    started(state, effects)
}

/// The id and name of a command an effect batch starts.
fn executes(state: &State, effects: &[Effect]) -> Option<(String, String)> {
    let id = effects.iter().find_map(|e| match e {
        Effect::Execute { id, .. } => Some(id.clone()),
        _ => None,
    })?;
    let name = state
        .exec
        .running
        .as_ref()
        .filter(|r| r.id == id)
        .map_or_else(String::new, |r| r.name.clone());
    Some((id, name))
}

/// A command the person started runs: the wait ends, the machines have it.
fn started(state: &mut State, effects: &[Effect]) -> Vec<Effect> {
    let Some(command) = executes(state, effects) else {
        return Vec::new();
    };
    state.drill_busy.command = Some(command);
    answer_wait(state)
}

/// A key at a command's prompt during a drill. A dry run confirmed there starts at once,
/// with no intent record: a command the person started too (a real run ends the wait when
/// its intent lands). A prompt turned down answers the wait it opened.
pub fn after_prompt_key(state: &mut State, name: &str, effects: &[Effect]) -> Vec<Effect> {
    if matches!(state.overlay, Some(Overlay::Mitigation(_))) || !live_run(state) {
        return Vec::new();
    }
    if effects
        .iter()
        .any(|e| matches!(e, Effect::Execute { dry_run: true, .. }))
    {
        return started(state, effects);
    }
    let what = format!("confirm {name}");
    let confirmed = effects.iter().any(|e| {
        matches!(
            e,
            Effect::Journal {
                kind: RecordKind::MitigationIntent { .. },
                ..
            }
        )
    });
    if confirmed || run(state).and_then(|r| r.waiting_on.as_deref()) != Some(&what) {
        return Vec::new();
    }
    record(state, vec![RecordKind::HumanAnswered { what }])
}

/// A command ended: its output is put to the person who started it (a human wait, unless
/// one is open), until they act on it or move the drill on.
pub fn command_ended(state: &mut State, id: &str) -> Vec<Effect> {
    let Some((want, name)) = state.drill_busy.command.take() else {
        return Vec::new();
    };
    if want != id {
        state.drill_busy.command = Some((want, name));
        return Vec::new();
    }
    if !live_run(state) {
        return Vec::new();
    }
    open_wait(state, format!("output of {name}")).unwrap_or_default()
}

/// The records that start phase `i`: whatever a human was doing is answered by moving on,
/// and the phase's runbook step is put to them.
fn start_phase(state: &mut State, i: usize) -> Vec<Effect> {
    let Some(r) = run(state) else {
        return Vec::new();
    };
    let Some(p) = r.spec.phases.get(i) else {
        return Vec::new();
    };
    let mut kinds = Vec::new();
    if let Some(w) = &r.waiting_on {
        kinds.push(RecordKind::HumanAnswered { what: w.clone() });
    }
    kinds.push(RecordKind::PhaseStarted {
        phase: i + 1,
        name: p.name.clone(),
        runbook: p.runbook.clone(),
        step: p.step.clone(),
    });
    if let (Some(rb), Some(st)) = (&p.runbook, &p.step) {
        kinds.push(RecordKind::HumanPrompted {
            what: format!("step {rb}#{st}"),
        });
    }
    record(state, kinds)
}

/// What a `y` on the drill's confirmations does.
pub fn confirmed(state: &mut State, pending: Pending) -> Vec<Effect> {
    match pending {
        Pending::StartDrill => start_drill(state),
        Pending::StartPhase(i) => {
            let blocked = run(state).is_some_and(|r| {
                !matches!(r.guards(i), Guards::None | Guards::Clear) || r.next_phase() != Some(i)
            });
            if blocked {
                // Answered by someone else meanwhile, or a guard said stop: ask again.
                return begin_phase(state, i, true);
            }
            start_phase(state, i)
        }
        Pending::RestoreService => {
            let Some(r) = run(state) else {
                return Vec::new();
            };
            let mut kinds = Vec::new();
            if let Some(w) = &r.waiting_on {
                kinds.push(RecordKind::HumanAnswered { what: w.clone() });
            }
            kinds.push(RecordKind::ServiceRestored {});
            record(state, kinds)
        }
        Pending::AbandonDrill(reason) => {
            if run(state).is_none_or(DrillRun::is_over) {
                return Vec::new();
            }
            if state.exec.busy() {
                state.notify("A command is running: wait for it (or ctrl-k), then abandon.");
                return Vec::new();
            }
            record(state, vec![RecordKind::DrillAbandoned { reason }])
        }
        Pending::AbandonGameday(reason) => super::gameday::abandon(state, reason),
        _ => Vec::new(),
    }
}

/// The abandon key: the drill run (or game-day) this console runs ends now, with a
/// reason, behind a confirmation whose default is No. A drill run is logged as
/// ABANDONED; a game-day's experiments are deleted first.
pub fn abandon(state: &mut State) -> Vec<Effect> {
    if let Some(why) = state.journal_refusal() {
        state.notify(why);
        return Vec::new();
    }
    let ask = match run(state) {
        Some(r) if r.is_over() => {
            let text = format!(
                "This drill run is over already. `warroom drill {}` starts the next.",
                r.drill
            );
            state.notify(text);
            return Vec::new();
        }
        Some(_) if state.exec.busy() => {
            state.notify("A command is running: wait for it (or ctrl-k), then abandon.");
            return Vec::new();
        }
        Some(_) => Ask::AbandonDrill,
        None if state.gameday.run.is_some() => match super::gameday::can_abandon(state) {
            Ok(()) => Ask::AbandonGameday,
            Err(text) => {
                state.notify(text);
                return Vec::new();
            }
        },
        None if state.drill_setup.is_some() => {
            state.notify("The drill has not started: there is no run to abandon (q quits).");
            return Vec::new();
        }
        None => {
            state.notify("Nothing to abandon: this abandons a running drill or game-day.");
            return Vec::new();
        }
    };
    state.overlay = Some(Overlay::DrillInput(DrillAsk {
        ask,
        input: LineInput::default(),
    }));
    Vec::new()
}

/// The reason is typed: put the question, default No.
fn confirm_abandon(state: &mut State, ask: Ask, reason: String) {
    let overlay = match ask {
        Ask::AbandonGameday => {
            let n = super::gameday::running_work(state).unwrap_or_default();
            Overlay::Confirm {
                title: "Abandon the game-day?".into(),
                detail: format!(
                    "The kill switch deletes every experiment it created first. {n} Then the game-day ends without a verdict. Reason: {reason}"
                ),
                on_yes: Pending::AbandonGameday(reason),
            }
        }
        _ => {
            let (t, name) = run(state).map_or_else(Default::default, |r| {
                (
                    Clock(r.clock.elapsed(state.now)).to_string(),
                    r.drill.clone(),
                )
            });
            Overlay::Confirm {
                title: "Abandon the drill?".into(),
                detail: format!(
                    "The clock stops at T+ {t} and the run is logged as ABANDONED, never as a pass; `warroom drill {name}` then starts a new run. Reason: {reason}"
                ),
                on_yes: Pending::AbandonDrill(reason),
            }
        }
    };
    state.overlay = Some(overlay);
}

/// T+0: the run's journal is created with the drill as it is now, targets frozen.
fn start_drill(state: &mut State) -> Vec<Effect> {
    let Some(setup) = state.drill_setup.clone() else {
        return Vec::new();
    };
    if state.drill.is_some() {
        state.notify("This drill is already running.");
        return Vec::new();
    }
    let id = format!("drill-{}", state.now.format("%Y%m%d-%H%M%S"));
    let mut effects =
        state.open_incident_as(id, format!("Drill: {}", setup.spec.name), Severity::P2);
    // The journal and its `drill_started` in one step, so that a second console starting
    // the same drill finds this run and follows it instead of starting another.
    if let Some(Effect::OpenIncident { id, opened, by }) = effects.first().cloned() {
        effects[0] = Effect::OpenDrillRun {
            id,
            opened,
            started: Box::new(RecordKind::DrillStarted {
                drill: setup.drill.clone(),
                file: setup.file.display().to_string(),
                sha256: setup.sha256.clone(),
                spec: setup.spec.clone(),
            }),
            drill: setup.drill.clone(),
            by,
        };
    }
    effects
}

/// The guard checklist's keys: `y` or `n` answers the question shown, `esc` leaves the
/// phase unstarted. Nothing else does anything: there is no default answer.
pub fn on_guard_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Guards(form)) = state.overlay else {
        return Vec::new();
    };
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let answer = match ev.code {
        KeyCode::Char('y' | 'Y') => Answer::Yes,
        KeyCode::Char('n' | 'N') => Answer::No,
        KeyCode::Esc => {
            state.overlay = None;
            state.notify(format!(
                "Guards not answered: phase {} has not started (p asks again).",
                form.phase + 1
            ));
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    state.dirty = true;
    let Some(r) = run(state) else {
        state.overlay = None;
        return Vec::new();
    };
    let Some(guards) = r.spec.phases.get(form.phase).map(|p| p.guards.clone()) else {
        state.overlay = None;
        return Vec::new();
    };
    let Some(guard) = guards.get(form.next) else {
        state.overlay = None;
        return Vec::new();
    };
    let proceed = answer != guard.stop_if;
    let done = !proceed || form.next + 1 == guards.len();
    let what = format!("guards for phase {}", form.phase + 1);
    let mut kinds = vec![RecordKind::GuardAnswered {
        phase: form.phase + 1,
        guard: form.next + 1,
        question: guard.ask.clone(),
        answer,
        proceed,
    }];
    if done && r.waiting_on.as_deref() == Some(what.as_str()) {
        kinds.push(RecordKind::HumanAnswered { what });
        if proceed {
            // "Start phase N?" is put to the same person: still their time.
            kinds.push(RecordKind::HumanPrompted {
                what: format!("confirm phase {}", form.phase + 1),
            });
        }
    }
    let next = if !proceed {
        None
    } else if done {
        Some(confirm_phase(r, form.phase))
    } else {
        Some(Overlay::Guards(GuardsForm {
            next: form.next + 1,
            ..form
        }))
    };
    let effects = record(state, kinds);
    if effects.is_empty() {
        state.overlay = None;
        return effects;
    }
    state.overlay = next;
    if !proceed {
        state.notify(format!(
            "DO NOT PROCEED: \"{}\" answered {}. Phase {} is blocked (p asks the guards again).",
            guard.ask,
            answer.word(),
            form.phase + 1
        ));
    }
    effects
}

/// Keys for the RPO and "what was different" inputs.
pub fn on_ask_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    let Some(Overlay::DrillInput(ask)) = &mut state.overlay else {
        return Vec::new();
    };
    state.dirty = true;
    match ask.input.handle(ev) {
        InputOutcome::Submit => submit(state),
        InputOutcome::Cancel => {
            let which = ask.ask;
            state.overlay = None;
            state.notify(match which {
                Ask::Rpo => "The RPO is not recorded yet: p asks again.",
                Ask::Different => "Not scored yet: p asks again.",
                Ask::AbandonDrill => "Not abandoned: the drill goes on.",
                Ask::AbandonGameday => "Not abandoned: the game-day goes on.",
            });
            Vec::new()
        }
        InputOutcome::Edited | InputOutcome::Ignored => Vec::new(),
    }
}

/// `42s`, `1m 30s`, `0.4s`, or a bare number of seconds.
pub fn parse_rpo(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let d = match t.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Duration::from_secs_f64(s),
        Ok(_) => return Err("the RPO cannot be negative".into()),
        Err(_) => humantime::parse_duration(t)
            .map_err(|_| format!("`{t}` is not a duration like 42s, 1m 30s or 0.5s"))?,
    };
    if d > Duration::from_secs(365 * 86_400) {
        return Err("an RPO of more than a year is not a measurement".into());
    }
    Ok(d)
}

fn submit(state: &mut State) -> Vec<Effect> {
    let Some(Overlay::DrillInput(ask)) = &mut state.overlay else {
        return Vec::new();
    };
    let text = ask.input.text.trim().to_string();
    match ask.ask {
        which @ (Ask::AbandonDrill | Ask::AbandonGameday) => {
            if text.is_empty() {
                ask.input.error = Some(
                    "Required: why it is abandoned (the log and the postmortem keep it)".into(),
                );
                return Vec::new();
            }
            confirm_abandon(state, which, text);
            Vec::new()
        }
        Ask::Rpo => {
            let value = match parse_rpo(&text) {
                Ok(v) => v,
                Err(e) => {
                    ask.input.error = Some(e);
                    return Vec::new();
                }
            };
            let Some(r) = run(state) else {
                return Vec::new();
            };
            let mut kinds = vec![RecordKind::RpoMeasured {
                seconds: value.as_secs_f64(),
                source: "facilitator".into(),
                measured_at: r.rpo_due().unwrap_or(state.now),
                query: None,
                note: state
                    .drill_busy
                    .rpo_failed
                    .as_ref()
                    .map(|e| format!("the query failed: {e}")),
            }];
            if r.waiting_on.as_deref() == Some(RPO_WAIT) {
                kinds.push(RecordKind::HumanAnswered {
                    what: RPO_WAIT.into(),
                });
            }
            let effects = record(state, kinds);
            if !effects.is_empty() {
                state.overlay = None;
            }
            effects
        }
        Ask::Different => {
            if text.is_empty() {
                ask.input.error = Some(
                    "Required: what was different this time (fewer responders, business hours, a tool unavailable…), or `nothing`".into(),
                );
                return Vec::new();
            }
            let (Some(setup), Some(r)) = (&state.drill_setup, run(state)) else {
                return Vec::new();
            };
            let request = ScoreRequest {
                drill: r.drill.clone(),
                run: r.run.clone().unwrap_or_default(),
                file: setup.file.clone(),
                log: setup.log.clone(),
                measured: r.measured(state.now),
                different: text,
            };
            state.overlay = None;
            state.drill_busy.scoring = true;
            state.notify("Scoring the drill…");
            vec![Effect::ScoreDrill(Box::new(request))]
        }
    }
}

/// The RPO's moment has come: ask Prometheus, or the facilitator.
fn measure_rpo(state: &mut State) -> Vec<Effect> {
    let Some(r) = run(state) else {
        return Vec::new();
    };
    if !r.rpo_pending() || state.drill_busy.rpo_query {
        return Vec::new();
    }
    let Some(due) = r.rpo_due() else {
        return Vec::new();
    };
    if let (Some(q), None) = (&r.spec.measure_rpo.query, &state.drill_busy.rpo_failed) {
        let query = q.clone();
        state.drill_busy.rpo_query = true;
        state.notify("Measuring the RPO with Prometheus…");
        return vec![Effect::MeasureRpo { query, at: due }];
    }
    if state.overlay.is_some() {
        // Another question is open; the pane says the RPO waits and `p` asks for it.
        return Vec::new();
    }
    let prompt = r.waiting_on.is_none();
    let effects = if prompt {
        record(
            state,
            vec![RecordKind::HumanPrompted {
                what: RPO_WAIT.into(),
            }],
        )
    } else {
        Vec::new()
    };
    if prompt && effects.is_empty() {
        return effects;
    }
    state.overlay = Some(Overlay::DrillInput(DrillAsk {
        ask: Ask::Rpo,
        input: LineInput::default(),
    }));
    effects
}

fn open_different(state: &mut State) {
    if state.overlay.is_none() && run(state).is_some_and(|r| r.finished.is_none()) {
        state.overlay = Some(Overlay::DrillInput(DrillAsk {
            ask: Ask::Different,
            input: LineInput::default(),
        }));
    }
}

/// Enter on the Drill pane: the human is done with what was put to them; from here the
/// machines have it.
pub fn step_done(state: &mut State) -> Vec<Effect> {
    let Some(r) = run(state) else {
        return Vec::new();
    };
    match r.waiting_on.clone() {
        Some(what) => {
            state.notify(format!("Done: {what}. Machine time from here."));
            record(state, vec![RecordKind::HumanAnswered { what }])
        }
        None => {
            state.notify("Nothing is waiting on a human.");
            Vec::new()
        }
    }
}

/// What follows a drill record landing, in the console that writes the run.
pub fn after_record(state: &mut State, record: &Record) -> Vec<Effect> {
    if state.journal != JournalStatus::Writable || state.drill_setup.is_none() {
        return Vec::new();
    }
    let Some(r) = run(state) else {
        return Vec::new();
    };
    match &record.kind {
        // The person confirmed a command: from here the machines have it.
        RecordKind::MitigationIntent { id, name, .. } if r.clock.is_running() => {
            state.drill_busy.command = Some((id.clone(), name.clone()));
            answer_wait(state)
        }
        RecordKind::DrillStarted { .. } => begin_phase(state, 0, false),
        RecordKind::PhaseStarted { .. } => measure_rpo(state),
        RecordKind::ServiceRestored {} => {
            if r.rpo_pending() {
                measure_rpo(state)
            } else {
                open_different(state);
                Vec::new()
            }
        }
        RecordKind::RpoMeasured { .. } if r.is_restored() => {
            open_different(state);
            Vec::new()
        }
        RecordKind::DrillFinished { .. } => log_entry(state),
        RecordKind::DrillAbandoned { .. } => {
            state.overlay = None;
            state.notify("Drill abandoned: the clock stopped; it is logged as ABANDONED.");
            log_entry(state)
        }
        _ => Vec::new(),
    }
}

fn log_entry(state: &State) -> Vec<Effect> {
    let (Some(setup), Some(r), Some(inc)) = (&state.drill_setup, run(state), &state.incident)
    else {
        return Vec::new();
    };
    match r.log_entry(&inc.records) {
        Some(entry) => vec![Effect::AppendDrillLog {
            path: setup.log.clone(),
            entry: Box::new(entry),
        }],
        None => Vec::new(),
    }
}

/// The journal is open for writing: a resumed run picks up where it stood.
pub fn resumed(state: &mut State) -> Vec<Effect> {
    if state.drill_setup.is_none() {
        return Vec::new();
    }
    let Some(r) = run(state) else {
        return Vec::new();
    };
    if r.is_over() {
        return Vec::new();
    }
    let text = format!(
        "Resumed the drill at T+ {}.",
        Clock(r.clock.elapsed(state.now))
    );
    let first = r.next_phase() == Some(0);
    let restored = r.is_restored();
    let pending = r.rpo_pending();
    let reopen = open_question(r);
    state.notify(text);
    if first {
        begin_phase(state, 0, false)
    } else if pending {
        measure_rpo(state)
    } else {
        if restored {
            open_different(state);
        } else if reopen.is_some() {
            state.overlay = reopen;
        }
        Vec::new()
    }
}

/// The question a human wait of the run is open for, put again as it stood: the guard
/// checklist at its first unanswered guard, "Start phase N?", or "Service restored?".
fn open_question(r: &DrillRun) -> Option<Overlay> {
    let what = r.waiting_on.as_deref()?;
    let next = r.next_phase();
    let phase = |prefix: &str| {
        what.strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .filter(|i| Some(*i) == next)
    };
    if let Some(i) = phase("guards for phase ") {
        let at = match r.guards(i) {
            Guards::Open { answered, .. } => answered,
            Guards::Clear => return Some(confirm_phase(r, i)),
            Guards::None | Guards::Blocked(_) => 0,
        };
        return Some(Overlay::Guards(GuardsForm { phase: i, next: at }));
    }
    if let Some(i) = phase("confirm phase ") {
        return matches!(r.guards(i), Guards::None | Guards::Clear).then(|| confirm_phase(r, i));
    }
    (what == "confirm service restored" && next.is_none()).then(|| Overlay::Confirm {
        title: "Service restored?".into(),
        detail: format!(
            "The customer flow works again? The RTO clock stops when you answer yes (target {}).",
            Clock(r.clock.rto_target)
        ),
        on_yes: Pending::RestoreService,
    })
}

/// Prometheus answered the RPO query.
pub fn on_rpo_queried(state: &mut State, result: Result<f64, String>) -> Vec<Effect> {
    state.drill_busy.rpo_query = false;
    let Some(r) = run(state) else {
        return Vec::new();
    };
    match result {
        Ok(seconds) if r.rpo_pending() => {
            let kind = RecordKind::RpoMeasured {
                seconds: seconds.max(0.0),
                source: "query".into(),
                measured_at: r.rpo_due().unwrap_or(state.now),
                query: r.spec.measure_rpo.query.clone(),
                note: None,
            };
            record(state, vec![kind])
        }
        Ok(_) => Vec::new(),
        Err(e) => {
            state.notify(format!("RPO query failed: {e}. Enter the value by hand."));
            state.drill_busy.rpo_failed = Some(e);
            measure_rpo(state)
        }
    }
}

/// The score is computed (or could not be): journal it.
pub fn on_scored(
    state: &mut State,
    different: String,
    result: Result<Score, String>,
) -> Vec<Effect> {
    state.drill_busy.scoring = false;
    match result {
        Ok(score) => record(state, vec![RecordKind::DrillFinished { different, score }]),
        Err(e) => {
            state.notify(format!("Cannot score the drill: {e} (p tries again)"));
            Vec::new()
        }
    }
}

/// The log append's outcome.
pub fn on_logged(state: &mut State, result: Result<String, String>) {
    match &result {
        Ok(text) => state.notify(text.clone()),
        Err(e) => {
            state.notify(format!("Drill log not written: {e}"));
            state.warnings.push(format!("drill log not written: {e}"));
        }
    }
    state.drill_busy.logged = Some(result);
}
