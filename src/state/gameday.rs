//! The console's side of a chaos game-day: which experiment a key starts (through the one
//! gate and its prompt, like any mitigation), the abort readings and the decision to delete
//! every experiment at once when the condition trips, the kill switch, the observation
//! window and the verdict. The game-day itself is a fold over the journal
//! ([`crate::gameday::Run`]); only the view (selection, latest reading) lives here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::input::{InputOutcome, LineInput};
use super::{Effect, JournalStatus, Overlay, State};
use crate::exec::plan::{KubeAction, chaos_kind};
use crate::exec::{ActionKind, ActionSpec, Danger};
use crate::gameday::abort::BLIND_POLLS;
use crate::gameday::run::{self, Run, Status};
use crate::gameday::{ChaosRequest, GameDay, Reading};
use crate::incident::{Record, RecordKind};
use crate::keymap::Key;
use crate::sanitize::escape;

/// How long creating one experiment may take.
const CREATE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the prompt asks before an experiment starts, besides the boundary it shows.
pub const SAFETY_QUESTION: &str =
    "Does on-call know a game-day is running, and is someone watching the SLO dashboards?";

/// A read-only console (`--read-only`, `read_only: true`) deletes nothing: the gate would
/// refuse each deletion, so the abort and the kill switch say so instead.
const READ_ONLY_STOP: &str = "Read-only: this console deletes nothing (--read-only or read_only: true); use the kill switch of a console that may act, or kubectl";

/// The game-day on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GameDayView {
    /// The file, manifests and all: only a console started with `warroom gameday` has it.
    pub def: Option<GameDay>,
    /// The game-day as the journal tells it.
    pub run: Option<Run>,
    /// The abort query's latest reading (not journaled: the trips are).
    pub latest: Option<Reading>,
    /// Polls in a row without a value.
    pub blind: u32,
    /// The experiment the start key starts.
    pub selected: usize,
    /// Deletions asked for and not answered yet, by experiment.
    pub removing: BTreeSet<String>,
    /// The verdict prompt opened by itself once; after that only `v` opens it.
    pub verdict_asked: bool,
}

/// One experiment to delete.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveTarget {
    /// The game-day's `runbook` id: the emergency stop's intent record names it.
    pub runbook: String,
    pub experiment: String,
    pub action: KubeAction,
}

/// How a deletion ended, from the runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub experiment: String,
    pub object: String,
    pub reason: String,
    pub ok: bool,
    pub outcome: String,
}

/// The verdict prompt: held or not, then a note.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictForm {
    pub held: Option<bool>,
    pub input: LineInput,
}

impl GameDayView {
    /// The latest value, if it trips the abort condition.
    pub fn tripped_value(&self) -> Option<f64> {
        let run = self.run.as_ref()?;
        match self.latest.as_ref()?.value {
            Ok(Some(v)) if run.abort.trips(v) => Some(v),
            _ => None,
        }
    }
}

/// This console runs the game-day, so it acts on its experiments; a follower only watches.
/// The abort and the kill switch act even when the journal has failed: removal is the safe
/// direction, and the screen says what could not be recorded.
fn acting(state: &State) -> bool {
    !matches!(state.journal, JournalStatus::ReadOnly(_))
}

/// Records can be written.
fn journaling(state: &State) -> bool {
    state.journal == JournalStatus::Writable
}

/// The file was loaded (at start, before any record).
pub fn loaded(state: &mut State, def: GameDay) {
    state.gameday.def = Some(def);
    check_digest(state);
    state.dirty = true;
}

fn check_digest(state: &mut State) {
    let (Some(def), Some(run)) = (&state.gameday.def, &state.gameday.run) else {
        return;
    };
    if def.digest != run.digest {
        let text = format!(
            "{} changed since this game-day started: the journal's experiment list is what counts",
            escape(&def.path)
        );
        state.warnings.push(text);
    }
}

/// Effects that open a new game-day journal: its `incident_opened` and `gameday_started`.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(def) = state.gameday.def.clone() else {
        return Vec::new();
    };
    if state.incident_open() || matches!(state.journal, JournalStatus::ReadOnly(_)) {
        return Vec::new();
    }
    let prefix = match state.mode {
        super::Mode::Demo => "demo-gameday",
        super::Mode::Live => "gameday",
    };
    let id = format!("{prefix}-{}", state.now.format("%Y%m%d-%H%M%S"));
    let mut effects =
        state.open_journal(id, format!("Game-day: {}", def.name), super::Severity::P2);
    if !effects.is_empty() {
        effects.insert(
            1,
            Effect::Journal {
                kind: run::started_record(&def),
                by: Some(state.user.clone()),
            },
        );
    }
    effects
}

/// Folds a record into the game-day (called for every record, replayed or live).
pub fn apply(state: &mut State, record: &Record) {
    if let RecordKind::GamedayStarted { .. } = &record.kind {
        state.gameday.run = Run::from_started(record);
        state.gameday.selected = 0;
        state.gameday.verdict_asked = false;
        check_digest(state);
        return;
    }
    if let RecordKind::GamedayExperimentRemoved { experiment, .. } = &record.kind {
        state.gameday.removing.remove(experiment);
    }
    if let Some(run) = state.gameday.run.as_mut() {
        run.apply(record);
        // Once the selected experiment is under way, the start key means the next one.
        let sel = state.gameday.selected;
        let busy = run
            .experiments
            .get(sel)
            .is_some_and(|e| !matches!(e.status, Status::Pending | Status::Failed));
        if busy
            && let RecordKind::MitigationOutcome { .. } = &record.kind
            && let Some(next) = run
                .experiments
                .iter()
                .enumerate()
                .skip(sel)
                .chain(run.experiments.iter().enumerate().take(sel))
                .find(|(_, e)| e.status == Status::Pending)
                .map(|(i, _)| i)
        {
            state.gameday.selected = next;
        }
    }
}

/// After a record lands: an experiment whose create an abort or the kill switch caught in
/// flight is deleted as soon as the create answers (or is cut short: it may have landed);
/// one that came up while the abort condition was tripped is deleted at once.
pub fn after_record(state: &mut State, record: &Record) -> Vec<Effect> {
    let RecordKind::MitigationOutcome { id, .. } = &record.kind else {
        return Vec::new();
    };
    // A replay (no journal yet) only rebuilds the fold: it never acts.
    if !acting(state) || state.journal == JournalStatus::NoIncident {
        return Vec::new();
    }
    let Some(e) = state
        .gameday
        .run
        .as_ref()
        .and_then(|run| {
            run.experiments
                .iter()
                .find(|e| e.intent.as_ref() == Some(id))
        })
        .cloned()
    else {
        return Vec::new();
    };
    if !e.in_cluster() {
        return Vec::new();
    }
    if let Some(reason) = &e.kill_pending {
        let targets: Vec<RemoveTarget> = targets(state)
            .into_iter()
            .filter(|t| t.experiment == e.name)
            .collect();
        if targets.is_empty() {
            return Vec::new();
        }
        state.notify(format!(
            "{} answered after the {reason}: deleting it now",
            e.name
        ));
        return vec![remove(state, reason, targets)];
    }
    if let Some(v) = state.gameday.tripped_value() {
        let at = state.gameday.latest.as_ref().map_or(state.now, |r| r.at);
        return trip(state, Some(v), at, tripped_detail(state, v));
    }
    if e.status == Status::Unknown {
        state.notify(format!(
            "{}: its create was cut short ({}); it may be in the cluster: the kill switch (K) deletes it",
            e.name,
            escape(e.failure.as_deref().unwrap_or("-"))
        ));
    }
    Vec::new()
}

/// A resumed console that can write: an experiment the abort or the kill switch asked to
/// delete, whose create answered before the deletion was recorded, is deleted now; one
/// that may be in the cluster is pointed out.
pub fn resumed(state: &mut State) -> Vec<Effect> {
    let Some(run) = &state.gameday.run else {
        return Vec::new();
    };
    let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unsure = Vec::new();
    for e in run.in_cluster() {
        match &e.kill_pending {
            Some(reason) => pending
                .entry(reason.clone())
                .or_default()
                .push(e.name.clone()),
            None if e.status == Status::Unknown => unsure.push(e.name.clone()),
            None => {}
        }
    }
    for name in unsure {
        state.warnings.push(format!(
            "Chaos experiment {name} was being created when the console ended: it may be in the cluster (the kill switch deletes it)."
        ));
    }
    let mut effects = Vec::new();
    for (reason, names) in pending {
        let targets: Vec<RemoveTarget> = targets(state)
            .into_iter()
            .filter(|t| names.contains(&t.experiment))
            .collect();
        if !targets.is_empty() {
            effects.push(remove(state, &reason, targets));
        }
    }
    effects
}

fn tripped_detail(state: &State, v: f64) -> String {
    let Some(run) = &state.gameday.run else {
        return String::new();
    };
    format!(
        "{v:.4} {} {}",
        run.abort.comparison.symbol(),
        run.abort.threshold
    )
}

/// A reading of the abort query. While experiments are in the cluster, a value that trips
/// the condition (or no value for [`BLIND_POLLS`] polls in a row) deletes them all at once.
pub fn on_reading(state: &mut State, reading: Reading) -> Vec<Effect> {
    state.dirty = true;
    let at = reading.at;
    let value = reading.value.clone();
    state.gameday.latest = Some(reading);
    let Some(run) = &state.gameday.run else {
        return Vec::new();
    };
    if !acting(state) {
        return Vec::new();
    }
    match value {
        Ok(Some(v)) => {
            state.gameday.blind = 0;
            if run.abort.trips(v) {
                let detail = tripped_detail(state, v);
                return trip(state, Some(v), at, detail);
            }
            Vec::new()
        }
        Ok(None) | Err(_) => {
            state.gameday.blind += 1;
            if state.gameday.blind < BLIND_POLLS {
                return Vec::new();
            }
            let why = match &value {
                Err(e) => e.clone(),
                _ => "the query returned no series".into(),
            };
            let detail = format!(
                "abort condition unreadable for {} polls ({why}): the experiment cannot be watched",
                state.gameday.blind
            );
            trip(state, None, at, detail)
        }
    }
}

/// The deletions for every experiment in the cluster not already being deleted.
fn targets(state: &State) -> Vec<RemoveTarget> {
    let Some(run) = &state.gameday.run else {
        return Vec::new();
    };
    run.in_cluster()
        .into_iter()
        .filter(|e| !state.gameday.removing.contains(&e.name))
        .filter_map(|e| {
            Some(RemoveTarget {
                runbook: run::runbook_id(&run.name),
                experiment: e.name.clone(),
                action: KubeAction::DeleteCustom {
                    kind: chaos_kind(&e.kind)?,
                    namespace: run.boundary.namespace.clone(),
                    name: e.object.clone(),
                },
            })
        })
        .collect()
}

/// Experiments whose create is under way and not yet marked for deletion: confirmed with
/// the intent on its way to the journal, or created with no answer yet. They cannot be
/// deleted before the API answers (a delete could pass the create), so the abort and the
/// kill switch name them and they are deleted when the create answers.
fn creating(state: &State) -> Vec<String> {
    let Some(run) = &state.gameday.run else {
        return Vec::new();
    };
    let own = run::runbook_id(&run.name);
    let mut names: Vec<String> = run
        .experiments
        .iter()
        .filter(|e| e.status == Status::Starting && e.kill_pending.is_none())
        .map(|e| e.name.clone())
        .collect();
    if let Some((_, gated, _)) = &state.exec.awaiting_intent
        && gated.plan.runbook == own
        && !names.contains(&gated.plan.name)
    {
        names.push(gated.plan.name.clone());
    }
    names
}

fn remove(state: &mut State, reason: &str, targets: Vec<RemoveTarget>) -> Effect {
    for t in &targets {
        state.gameday.removing.insert(t.experiment.clone());
    }
    Effect::RemoveExperiments {
        reason: reason.to_string(),
        targets,
    }
}

/// The abort: delete everything now (no prompt: removal is the safe direction) and record
/// why; an experiment still being created is deleted when its create answers. Nothing in
/// the cluster or on its way: nothing to do.
fn trip(
    state: &mut State,
    value: Option<f64>,
    observed_at: DateTime<Utc>,
    detail: String,
) -> Vec<Effect> {
    let targets = targets(state);
    let creating = creating(state);
    if targets.is_empty() && creating.is_empty() {
        return Vec::new();
    }
    if state.read_only {
        state.notify(format!("ABORT: {detail}; {READ_ONLY_STOP}"));
        return Vec::new();
    }
    let Some(run) = &state.gameday.run else {
        return Vec::new();
    };
    let mut names: Vec<String> = targets.iter().map(|t| t.experiment.clone()).collect();
    names.extend(creating.iter().cloned());
    let kind = RecordKind::GamedayAbortTripped {
        value: value.filter(|v| v.is_finite()),
        comparison: run.abort.comparison.symbol().into(),
        threshold: run.abort.threshold,
        query: run.abort.query.clone(),
        observed_at,
        detail: detail.clone(),
        experiments: names.clone(),
    };
    state.notify(format!(
        "ABORT: {detail}; {}",
        deleting(&targets, &creating)
    ));
    let mut effects = Vec::new();
    if !targets.is_empty() {
        effects.push(remove(state, "abort", targets));
    }
    if journaling(state) {
        effects.push(Effect::Journal { kind, by: None });
    } else if let Some(run) = state.gameday.run.as_mut() {
        run.apply(&Record::new(0, state.now, None, kind));
    }
    effects
}

/// What the abort or the kill switch is doing, for the notice.
fn deleting(targets: &[RemoveTarget], creating: &[String]) -> String {
    let now: Vec<&str> = targets.iter().map(|t| t.experiment.as_str()).collect();
    match (now.is_empty(), creating.is_empty()) {
        (false, true) => format!("deleting {}", now.join(", ")),
        (true, _) => format!(
            "{} deleted as soon as its create answers",
            creating.join(", ")
        ),
        (false, false) => format!(
            "deleting {}; {} as soon as its create answers",
            now.join(", "),
            creating.join(", ")
        ),
    }
}

/// The kill switch: every experiment this game-day created, deleted now, and any being
/// created, deleted as soon as its create answers.
pub fn kill_switch(state: &mut State) -> Vec<Effect> {
    if state.gameday.run.is_none() {
        state.notify("No game-day is running.");
        return Vec::new();
    }
    if let JournalStatus::ReadOnly(why) = &state.journal {
        let text =
            format!("Read-only: {why}; the console running the game-day has the kill switch");
        state.notify(text);
        return Vec::new();
    }
    if state.read_only {
        state.notify(READ_ONLY_STOP);
        return Vec::new();
    }
    let targets = targets(state);
    let creating = creating(state);
    if targets.is_empty() && creating.is_empty() {
        state.notify("Kill switch: no experiment of this game-day is in the cluster.");
        return Vec::new();
    }
    let mut names: Vec<String> = targets.iter().map(|t| t.experiment.clone()).collect();
    names.extend(creating.iter().cloned());
    state.notify(format!("KILL SWITCH: {}", deleting(&targets, &creating)));
    let mut effects = Vec::new();
    if !targets.is_empty() {
        effects.push(remove(state, "kill switch", targets));
    }
    let kind = RecordKind::GamedayKillSwitch { experiments: names };
    if journaling(state) {
        effects.push(Effect::Journal {
            kind,
            by: Some(state.user.clone()),
        });
    } else if let Some(run) = state.gameday.run.as_mut() {
        // The journal failed: the fold still remembers what to delete when creates answer.
        run.apply(&Record::new(0, state.now, None, kind));
    }
    effects
}

/// A deletion ended: record it (or, if the journal cannot, at least show it).
pub fn removed(state: &mut State, r: Removed) -> Vec<Effect> {
    state.dirty = true;
    if !r.ok {
        let (ns, kind) = state
            .gameday
            .run
            .as_ref()
            .map_or_else(Default::default, |run| {
                (
                    run.boundary.namespace.clone(),
                    run.experiment(&r.experiment)
                        .map(|e| e.kind.to_lowercase())
                        .unwrap_or_default(),
                )
            });
        state.notify(format!(
            "{} NOT deleted ({}): run `kubectl -n {ns} delete {kind} {}` now",
            r.experiment, r.outcome, r.object
        ));
    }
    let kind = RecordKind::GamedayExperimentRemoved {
        experiment: r.experiment,
        object: r.object,
        reason: r.reason,
        ok: r.ok,
        outcome: r.outcome,
    };
    if journaling(state) {
        return vec![Effect::Journal { kind, by: None }];
    }
    // The journal failed: the screen still tells the truth about the cluster.
    let record = Record::new(0, state.now, None, kind);
    apply(state, &record);
    Vec::new()
}

/// The start key: the selected experiment goes to the gate, which checks the boundary,
/// then to the prompt (typed confirmation: danger high), the intent record, the create.
pub fn start(state: &mut State) -> Vec<Effect> {
    let Some(run) = &state.gameday.run else {
        state.notify("No game-day is running (warroom gameday NAME starts one).");
        return Vec::new();
    };
    if state.gameday.def.is_none() {
        state.notify("This console follows the game-day; the one running it starts experiments.");
        return Vec::new();
    }
    if run.verdict.is_some() {
        state.notify("The game-day is over: its verdict is recorded.");
        return Vec::new();
    }
    if run.abandoned.is_some() {
        state.notify("The game-day was abandoned: `warroom gameday` starts a new one.");
        return Vec::new();
    }
    if run.observation_over(state.now) {
        state.notify("The observation window is over: record the verdict (v).");
        return Vec::new();
    }
    if state.exec.running.is_some() || state.exec.awaiting_intent.is_some() {
        state.notify("Something is already running; wait for it to end.");
        return Vec::new();
    }
    let Some(e) = run.experiments.get(state.gameday.selected) else {
        return Vec::new();
    };
    if matches!(e.status, Status::Starting | Status::Running) {
        let text = format!("{} is already in the cluster.", e.name);
        state.notify(text);
        return Vec::new();
    }
    if e.status == Status::Unknown {
        let text = format!(
            "{} may already be in the cluster (its create was cut short): delete it with the kill switch (K) first.",
            e.name
        );
        state.notify(text);
        return Vec::new();
    }
    if let Err(why) = watchable(&state.gameday, run, state.now) {
        state.notify(format!("{why}: not starting anything."));
        return Vec::new();
    }
    if let Some(v) = state.gameday.tripped_value() {
        let text = format!(
            "The abort condition is tripped now ({v:.4} {} {}): not starting anything.",
            run.abort.comparison.symbol(),
            run.abort.threshold
        );
        state.notify(text);
        return Vec::new();
    }
    let spec = match experiment_spec(state, &e.name.clone()) {
        Ok(spec) => spec,
        Err(text) => {
            state.notify(text);
            return Vec::new();
        }
    };
    let read_only = state.read_only || matches!(state.journal, JournalStatus::ReadOnly(_));
    let text = format!("Checking {} against the boundary ...", spec.name);
    state.notify(text);
    vec![Effect::Gate {
        spec,
        alert: None,
        labels: BTreeMap::new(),
        dry_run: false,
        read_only,
    }]
}

/// For a plan of this console's game-day (`runbook` is the game-day's): its experiment's
/// spec as the file and the journal give it now. `None` for any other plan.
pub fn experiment_spec_for(
    state: &State,
    runbook: &str,
    name: &str,
) -> Option<Result<ActionSpec, String>> {
    let run = state.gameday.run.as_ref()?;
    (runbook == run::runbook_id(&run.name)).then(|| experiment_spec(state, name))
}

/// What the gate gets for an experiment: the file's manifest, the journal's boundary.
fn experiment_spec(state: &State, name: &str) -> Result<ActionSpec, String> {
    let (Some(run), Some(def)) = (&state.gameday.run, &state.gameday.def) else {
        return Err("no game-day is running here".into());
    };
    let Some(x) = def.experiments.iter().find(|x| x.name == name) else {
        return Err(format!(
            "{name} is not in {} any more: restore the file to start it.",
            def.path
        ));
    };
    Ok(ActionSpec {
        runbook: run::runbook_id(&run.name),
        name: x.name.clone(),
        kind: ActionKind::Mitigation,
        danger: Danger::High,
        code: format!("create {}/{}", x.fit.kind.kind, x.fit.name),
        dry_run: None,
        timeout: Some(CREATE_TIMEOUT),
        shell: false,
        safety_question: Some(SAFETY_QUESTION.into()),
        declared_labels: Vec::new(),
        prechecks: Vec::new(),
        manifest: None,
        experiment: Some(ChaosRequest {
            // The journal's boundary: what the game-day started with.
            boundary: run.boundary.clone(),
            manifest: x.manifest.clone(),
            // Other experiments': once its intent is recorded this one counts as starting.
            pods_in_use: run
                .experiments
                .iter()
                .filter(|e| e.name != name && e.injecting(state.now))
                .map(|e| e.pods)
                .sum(),
        }),
        emergency: None,
    })
}

/// Chaos starts only while the abort condition can be seen: a recent reading with a value.
fn watchable(view: &GameDayView, run: &Run, now: DateTime<Utc>) -> Result<(), String> {
    let Some(r) = &view.latest else {
        return Err("No reading of the abort condition yet".into());
    };
    let stale_after = (run.abort.poll_interval * BLIND_POLLS).max(Duration::from_secs(5));
    let age = super::drill::since(r.at, now);
    if age > stale_after {
        return Err(format!(
            "The last reading of the abort condition is {}s old",
            age.as_secs()
        ));
    }
    match &r.value {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("The abort query returns no series".into()),
        Err(e) => Err(format!("The abort condition cannot be read ({e})")),
    }
}

pub fn move_selection(state: &mut State, delta: isize) {
    let n = state
        .gameday
        .run
        .as_ref()
        .map_or(0, |r| r.experiments.len());
    if n == 0 {
        return;
    }
    let cur = state.gameday.selected as isize;
    state.gameday.selected = (cur.saturating_add(delta)).clamp(0, n as isize - 1) as usize;
}

/// Each tick: when the observation window has run out, ask for the verdict (once; `v`
/// asks again).
pub fn on_tick(state: &mut State) {
    let Some(run) = &state.gameday.run else {
        return;
    };
    if !run.is_over()
        && run.observation_over(state.now)
        && !state.gameday.verdict_asked
        && journaling(state)
        && state.overlay.is_none()
    {
        state.gameday.verdict_asked = true;
        state.overlay = Some(Overlay::Verdict(VerdictForm::default()));
    }
}

/// The verdict key.
pub fn open_verdict(state: &mut State) {
    let Some(run) = &state.gameday.run else {
        state.notify("No game-day is running.");
        return;
    };
    if run.verdict.is_some() {
        state.notify("The verdict is already recorded.");
        return;
    }
    if run.abandoned.is_some() {
        state.notify("The game-day was abandoned: it has no verdict.");
        return;
    }
    if run.observation_started.is_none() {
        state.notify("No experiment has run yet: start one first (e).");
        return;
    }
    if let JournalStatus::ReadOnly(why) = &state.journal {
        let text = format!("Read-only: {why}");
        state.notify(text);
        return;
    }
    state.overlay = Some(Overlay::Verdict(VerdictForm::default()));
}

/// Keys at the verdict prompt: `y` or `n`, then a note and Enter; Esc leaves it for later.
pub fn on_verdict_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Verdict(form)) = &mut state.overlay else {
        return Vec::new();
    };
    state.dirty = true;
    let Some(held) = form.held else {
        let Some(key) = Key::from_event(&ev) else {
            return Vec::new();
        };
        let is = |spec: &str| Key::parse(spec).is_ok_and(|k| k == key);
        if is("y") || is("Y") {
            form.held = Some(true);
        } else if is("n") || is("N") {
            form.held = Some(false);
        } else if is("esc") {
            state.overlay = None;
            state.notify("Verdict left for later: press v.");
        }
        return Vec::new();
    };
    match form.input.handle(&ev) {
        InputOutcome::Submit => {
            let note = form.input.text.trim().to_string();
            if note.is_empty() {
                form.input.error = Some("say why in a note: what was seen, what to change".into());
                return Vec::new();
            }
            state.overlay = None;
            finish(state, held, note)
        }
        InputOutcome::Cancel => {
            state.overlay = None;
            state.notify("Verdict left for later: press v.");
            Vec::new()
        }
        InputOutcome::Edited | InputOutcome::Ignored => Vec::new(),
    }
}

/// Records the verdict, ends the game-day's journal, and deletes what is left in the
/// cluster.
fn finish(state: &mut State, held: bool, note: String) -> Vec<Effect> {
    let mut effects = state.record_or_apply(RecordKind::GamedayVerdict { held, note });
    if effects.is_empty() {
        return effects;
    }
    effects.push(Effect::Journal {
        kind: RecordKind::IncidentResolved {
            summary: Some(format!(
                "game-day finished: the hypothesis {}",
                if held { "held" } else { "did not hold" }
            )),
        },
        by: Some(state.user.clone()),
    });
    let left = targets(state);
    if !left.is_empty() {
        effects.insert(0, remove(state, "game-day ended", left));
    }
    state.notify(if held {
        "Verdict recorded: the hypothesis held. Write the postmortem: warroom postmortem."
    } else {
        "Verdict recorded: the hypothesis did not hold. Write the postmortem: warroom postmortem."
    });
    effects
}

/// Whether this console may abandon its game-day now; if not, why.
pub fn can_abandon(state: &State) -> Result<(), String> {
    let Some(run) = &state.gameday.run else {
        return Err("No game-day is running.".into());
    };
    if run.is_over() {
        return Err("The game-day is over already.".into());
    }
    if let JournalStatus::ReadOnly(why) = &state.journal {
        return Err(format!(
            "Read-only: {why}; the console running the game-day can abandon it"
        ));
    }
    Ok(())
}

/// Abandons the game-day: the kill switch first (every experiment it created deleted now,
/// any being created as soon as its create answers), then the game-day ends, without a
/// verdict, for `reason`.
pub fn abandon(state: &mut State, reason: String) -> Vec<Effect> {
    if let Err(text) = can_abandon(state) {
        state.notify(text);
        return Vec::new();
    }
    let mut effects = if targets(state).is_empty() && creating(state).is_empty() {
        Vec::new()
    } else {
        kill_switch(state)
    };
    if !journaling(state) {
        state.notify(
            "The game-day cannot be ended: its journal cannot be written (the kill switch ran).",
        );
        return effects;
    }
    let by = Some(state.user.clone());
    effects.push(Effect::Journal {
        kind: RecordKind::GamedayAbandoned {
            reason: reason.clone(),
        },
        by: by.clone(),
    });
    effects.push(Effect::Journal {
        kind: RecordKind::IncidentResolved {
            summary: Some(format!("game-day abandoned: {reason}")),
        },
        by,
    });
    state.notify("Game-day abandoned: write the postmortem (warroom postmortem).");
    effects
}

/// What quitting would leave behind.
pub fn running_work(state: &State) -> Option<String> {
    let run = state.gameday.run.as_ref()?;
    let n = run.in_cluster().len();
    (n > 0).then(|| {
        format!(
            "{n} chaos experiment(s) of the game-day are in the cluster (the kill switch deletes them)."
        )
    })
}
