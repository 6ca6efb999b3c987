//! The model: [`State`] is plain data, [`update`] is the only place it changes. `update` does
//! no I/O: what must happen outside is returned as [`Effect`]s for the runtime to perform.
//!
//! Everything a human does during an incident is a journal record first: `update` asks for
//! the record ([`Effect::Journal`]), the runtime writes and fsyncs it, and only the record
//! coming back ([`Event::Journaled`]) changes the state, through [`apply_record`]. A replayed
//! journal and a follower take exactly that path too.

pub mod alerts;
pub mod auto_check;
pub mod drill;
pub mod drill_flow;
pub mod gameday;
pub mod incident;
pub mod input;
mod keys;
pub mod labels;
pub mod mitigation;
pub mod picker;
pub mod runbook_view;
pub mod stop;

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::incident::{Record, RecordKind};
use crate::keymap::Keymap;
use crate::runbook::Runbook;
use crate::slo::SloStatus;
use crate::sources::alertmanager::SilenceRequest;
pub use alerts::{Ack, Alert, AlertFeed, AlertState, Severity};
pub use drill::{DrillClock, DrillRun, Pace, PhaseClock};
pub use drill_flow::{DrillBusy, DrillSetup};
pub use incident::Incident;
pub use input::LineInput;
pub use labels::Labels;
pub use picker::Picker;
pub use runbook_view::RunbookView;

/// Where the data on screen comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Demo,
}

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Runbook,
    Slo,
    Drill,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Alerts, Pane::Runbook, Pane::Slo, Pane::Drill];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Runbook => "Runbook",
            Pane::Slo => "SLO",
            Pane::Drill => "Drill clock",
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    fn offset(self, by: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        Pane::ALL[((self.index() as isize + by).rem_euclid(n)) as usize]
    }
}

/// What a confirmation prompt will do on `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Quit,
    OpenIncident {
        title: String,
        severity: Severity,
    },
    ResolveIncident,
    ExpireSilence {
        id: String,
        alert: String,
    },
    /// The drill's T+0: create its journal.
    StartDrill,
    /// Start this phase of the drill (0-based).
    StartPhase(usize),
    /// The customer flow works again: stop the RTO clock.
    RestoreService,
    /// Abandon the drill run, for this reason.
    AbandonDrill(String),
    /// Abandon the game-day (kill switch first), for this reason.
    AbandonGameday(String),
}

/// What sits on top of the panes and takes the keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The key help, scrolled down this many lines.
    Help { scroll: usize },
    /// A yes/no question; the default answer is No and Enter alone does nothing.
    Confirm {
        title: String,
        detail: String,
        on_yes: Pending,
    },
    /// The runbook picker: typed characters go to its query until enter or esc.
    Picker(Picker),
    /// The scribe's note input.
    Note(LineInput),
    /// Typing the alert filter; the list follows each key.
    Filter,
    /// Every label and annotation of one alert.
    AlertDetail { fingerprint: String, scroll: u16 },
    /// The numbers behind the selected SLO's sparkline.
    SloDetail { scroll: u16 },
    /// Silencing an alert: duration and comment, then a y/N confirmation.
    Silence(SilenceForm),
    /// A gated plan waiting for its confirmation.
    Mitigation(Box<mitigation::Prompt>),
    /// The end of a game-day: did the hypothesis hold, and a note.
    Verdict(gameday::VerdictForm),
    /// A drill phase's do-not-proceed guards, one question at a time.
    Guards(drill_flow::GuardsForm),
    /// The drill's RPO, or what was different this time.
    DrillInput(drill_flow::DrillAsk),
}

/// Which field of the silence form takes the typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceField {
    Duration,
    Comment,
}

/// The silence prompt's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceForm {
    pub fingerprint: String,
    pub alert: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub duration: String,
    pub comment: String,
    pub field: SilenceField,
    /// Both fields are valid and the question "create it? y/N" is showing.
    pub confirming: bool,
    pub error: Option<String>,
}

/// Whether human actions can be recorded, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalStatus {
    /// No incident is open: actions change only this console's view.
    NoIncident,
    Writable,
    /// Writing failed: every action that needs a record is refused.
    Failed(String),
    /// Another console holds the incident, or this one is `follow`: look, don't touch.
    ReadOnly(String),
}

/// A producer of data, and how fresh its data is.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    pub name: String,
    pub last_ok: Option<DateTime<Utc>>,
    /// The latest failure, kept until the next success.
    pub error: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    /// The source's own update interval; data older than three of these is stale.
    pub interval: Duration,
    /// For a source with several endpoints (an HA pair): how many answered, of how many.
    pub endpoints: Option<(usize, usize)>,
    /// What the endpoints that did not answer said.
    pub endpoint_errors: Vec<String>,
}

impl SourceHealth {
    pub fn new(name: &str, interval: Duration) -> SourceHealth {
        SourceHealth {
            name: name.to_string(),
            last_ok: None,
            error: None,
            failing_since: None,
            interval,
            endpoints: None,
            endpoint_errors: Vec::new(),
        }
    }

    /// "stale since HH:MM:SS: reason" while the source fails or its data is old; `None`
    /// while it is fresh or has never answered.
    pub fn stale_banner(&self, now: DateTime<Utc>) -> Option<String> {
        let last = self.last_ok?;
        if self.error.is_none() && !self.is_stale(now) {
            return None;
        }
        let reason = self
            .error
            .clone()
            .unwrap_or_else(|| "no update for a while".into());
        Some(format!("stale since {}: {reason}", last.format("%H:%M:%S")))
    }

    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        match self.last_ok {
            None => true,
            Some(t) => drill::since(t, now) > self.interval * 3,
        }
    }
}

/// A short message in the status bar, e.g. "no runbook for this alert".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub at: DateTime<Utc>,
}

const NOTICE_LIFETIME: Duration = Duration::from_secs(8);

/// Everything the screen shows, as plain data.
#[derive(Debug, Clone)]
pub struct State {
    pub mode: Mode,
    pub read_only: bool,
    pub now: DateTime<Utc>,
    pub keymap: Keymap,
    /// Who is at this console: the author of its records.
    pub user: String,
    pub focus: Pane,
    pub zoomed: bool,
    pub overlay: Option<Overlay>,
    pub alerts: AlertFeed,
    pub runbooks: Vec<Runbook>,
    pub runbook: RunbookView,
    pub slos: Vec<SloStatus>,
    pub slo_selected: usize,
    pub drill: Option<DrillRun>,
    /// `warroom drill NAME`: the drill to run, read before the screen was taken over.
    pub drill_setup: Option<Box<DrillSetup>>,
    pub drill_busy: DrillBusy,
    pub incident: Option<Incident>,
    pub journal: JournalStatus,
    /// Alerts whose `alert_seen` record is on its way, so a quick second poll does not ask twice.
    pub seen_pending: BTreeSet<String>,
    /// Problems that stay on screen until dealt with (e.g. a torn journal line set aside).
    pub warnings: Vec<String>,
    /// Runbook id → the last day it was used in a real incident (from every journal).
    pub exercised: std::collections::BTreeMap<String, chrono::NaiveDate>,
    /// Journal writes asked for and not yet answered.
    pub in_flight: usize,
    /// Keys typed while records were in flight, to act on once they land, in order.
    pub key_queue: VecDeque<KeyEvent>,
    pub sources: Vec<SourceHealth>,
    pub notice: Option<Notice>,
    /// Runbook commands: what runs, what waits for its intent record, the output.
    pub exec: mitigation::ExecState,
    /// The chaos game-day, when the console runs or follows one.
    pub gameday: gameday::GameDayView,
    /// Something visible changed since the last draw.
    pub dirty: bool,
}

/// Everything that can happen to the console. Producers send these; they own their data.
#[derive(Debug, Clone)]
pub enum Event {
    /// The 1 Hz wall-clock tick, aligned to the second.
    Tick(DateTime<Utc>),
    Key(KeyEvent),
    Resize(u16, u16),
    /// The terminal came back after a suspend, or asked for a full repaint.
    Redraw,
    /// A full snapshot of the alerts one source sees. Alerts unchanged since the source's
    /// last snapshot are the same shared values, not copies.
    Alerts {
        source: String,
        at: DateTime<Utc>,
        alerts: Vec<std::sync::Arc<Alert>>,
    },
    /// A silence was created in Alertmanager for this alert.
    Silenced {
        fingerprint: String,
        silence_id: String,
        until: DateTime<Utc>,
        comment: String,
    },
    /// Someone else acked (the demo's scripted responders).
    Acked {
        fingerprint: String,
        ack: Ack,
    },
    /// How many endpoints of a multi-endpoint source answered the last poll.
    Endpoints {
        source: String,
        up: usize,
        total: usize,
        errors: Vec<String>,
    },
    /// The outcome of an effect performed outside (a silence created or expired).
    Outcome {
        ok: bool,
        text: String,
    },
    Slos {
        source: String,
        at: DateTime<Utc>,
        slos: Vec<SloStatus>,
    },
    SourceFailed {
        source: String,
        at: DateTime<Utc>,
        error: String,
    },
    RunbooksLoaded(Vec<Runbook>),
    /// Something the operator should know, shown in the status bar for a few seconds.
    Notice(String),
    /// A drill record scripted by the demo (journaled ones arrive as `Journaled`).
    Drill {
        at: DateTime<Utc>,
        kind: RecordKind,
    },
    /// The demo scenario starts over: clear the alerts and the drill it showed.
    DemoRestart,
    /// A record is safely on disk (or was read back from it): fold it in.
    Journaled(Record),
    /// The journal could not be written; nothing that needs a record may happen now.
    JournalFailed(String),
    /// The journal is open, or read-only and why.
    JournalReady(JournalStatus),
    /// Starting a drill run found one of the same drill unfinished (another console
    /// started it first): this console follows that run instead.
    DrillTaken {
        dir: std::path::PathBuf,
        why: String,
    },
    /// Something to keep on screen, e.g. a torn journal tail set aside.
    Warning(String),
    /// SIGHUP (terminal gone), SIGTERM or SIGINT.
    Signal(Signal),
    /// Terminal input failed for good (e.g. the tty is gone).
    InputClosed(String),
    /// The gate's answer to [`Effect::Gate`].
    Gated(Box<mitigation::GateAnswer>),
    /// A line of a running command's output, already escaped.
    ExecLine(String),
    /// A command or kube action ended.
    ExecDone(mitigation::ExecDone),
    /// The game-day file this console runs (before any record is replayed).
    GameDayLoaded(Box<crate::gameday::GameDay>),
    /// A poll of the game-day's abort condition.
    AbortReading(crate::gameday::Reading),
    /// The gate passed a game-day experiment's deletion (an emergency stop).
    StopGated(Box<stop::StopGated>),
    /// A game-day experiment deletion ended (or the gate refused it).
    ExperimentRemoved(stop::Stopped),
    /// Prometheus's answer to [`Effect::MeasureRpo`]: seconds of data lost, or why not.
    RpoQueried(Result<f64, String>),
    /// The answer to [`Effect::ScoreDrill`].
    DrillScored {
        different: String,
        result: Result<crate::drill::Score, String>,
    },
    /// The answer to [`Effect::AppendDrillLog`]: what happened, or why it failed.
    DrillLogged(Result<String, String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Hangup,
    Terminate,
    Interrupt,
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Restore the terminal and exit with this code.
    Exit(u8),
    /// Leave the terminal, stop the process (Ctrl-Z), and repaint everything on `fg`.
    Suspend,
    /// Repaint every cell, not just what changed.
    FullRedraw,
    /// Create the incident's journal (and take its lock) with this first record.
    OpenIncident {
        id: String,
        opened: RecordKind,
        by: Option<String>,
    },
    /// Start a drill run's journal: `opened`, then `started` (its `drill_started`), unless
    /// a run of `drill` is unfinished; answered by two [`Event::Journaled`], or by
    /// [`Event::DrillTaken`].
    OpenDrillRun {
        id: String,
        opened: RecordKind,
        started: Box<RecordKind>,
        drill: String,
        by: Option<String>,
    },
    /// Follow the journal in this directory, read-only, from its first record.
    Follow { dir: std::path::PathBuf },
    /// Append and fsync a record, then send it back as [`Event::Journaled`].
    Journal {
        kind: RecordKind,
        by: Option<String>,
    },
    /// Create this silence in Alertmanager.
    CreateSilence {
        fingerprint: String,
        request: SilenceRequest,
    },
    /// Expire a silence in Alertmanager.
    ExpireSilence { id: String },
    /// Pass a runbook block through the safety gate; answer with [`Event::Gated`].
    Gate {
        spec: crate::exec::ActionSpec,
        alert: Option<String>,
        labels: std::collections::BTreeMap<String, String>,
        dry_run: bool,
        /// This console may change nothing (flag, config, or a follower).
        read_only: bool,
    },
    /// Run a gated plan (its intent already journaled unless a check or dry-run); output
    /// comes back as [`Event::ExecLine`], the end as [`Event::ExecDone`].
    Execute {
        id: String,
        plan: Box<crate::exec::gate::GatedPlan>,
        confirmation: Option<crate::exec::gate::Confirmation>,
        dry_run: bool,
    },
    /// Kill what is running (its whole process group).
    CancelExec,
    /// Delete these game-day experiments now: each passes the gate as an emergency stop
    /// (no prompt: removal is the safe direction) and answers with [`Event::StopGated`],
    /// or with [`Event::ExperimentRemoved`] when the gate refuses it.
    RemoveExperiments {
        reason: String,
        targets: Vec<gameday::RemoveTarget>,
    },
    /// Delete one experiment the gate passed, its intent journaled (unless the journal
    /// failed); answers with [`Event::ExperimentRemoved`].
    ExecuteStop(Box<stop::StopRun>),
    /// Evaluate the drill's RPO query at `at`; answer with [`Event::RpoQueried`].
    MeasureRpo { query: String, at: DateTime<Utc> },
    /// Hash the drill file, read the log, score; answer with [`Event::DrillScored`].
    ScoreDrill(Box<crate::drill::score::ScoreRequest>),
    /// Append the entry to the drill log atomically; answer with [`Event::DrillLogged`].
    AppendDrillLog {
        path: std::path::PathBuf,
        entry: Box<crate::drill::LogEntry>,
    },
}

impl State {
    pub fn new(mode: Mode, keymap: Keymap, read_only: bool, now: DateTime<Utc>) -> State {
        State {
            mode,
            read_only,
            now,
            keymap,
            user: "operator".into(),
            focus: Pane::Alerts,
            zoomed: false,
            overlay: None,
            alerts: AlertFeed::default(),
            runbooks: Vec::new(),
            runbook: RunbookView::default(),
            slos: Vec::new(),
            slo_selected: 0,
            drill: None,
            drill_setup: None,
            drill_busy: DrillBusy::default(),
            incident: None,
            journal: JournalStatus::NoIncident,
            seen_pending: BTreeSet::new(),
            warnings: Vec::new(),
            exercised: Default::default(),
            in_flight: 0,
            key_queue: VecDeque::new(),
            sources: Vec::new(),
            notice: None,
            exec: mitigation::ExecState::default(),
            gameday: gameday::GameDayView::default(),
            dirty: true,
        }
    }

    /// What would be interrupted by quitting, if anything.
    pub fn running_work(&self) -> Option<String> {
        if let Some(r) = &self.exec.running {
            return Some(format!("\"{}\" is running.", r.name));
        }
        if let Some(w) = gameday::running_work(self) {
            return Some(w);
        }
        // A journaled run is unfinished until it is scored, even with its clock stopped.
        self.drill
            .as_ref()
            .filter(|d| d.clock.is_running() || (d.run.is_some() && !d.is_over()))
            .map(|d| match &d.run {
                Some(_) => format!(
                    "The drill \"{}\" is running; `warroom drill {}` resumes it.",
                    d.spec.name, d.drill
                ),
                None => format!("The drill \"{}\" is running.", d.spec.name),
            })
    }

    fn source_mut(&mut self, name: &str) -> &mut SourceHealth {
        if let Some(i) = self.sources.iter().position(|s| s.name == name) {
            &mut self.sources[i]
        } else {
            self.sources
                .push(SourceHealth::new(name, Duration::from_secs(5)));
            let last = self.sources.len() - 1;
            &mut self.sources[last]
        }
    }

    fn source_ok(&mut self, name: &str, at: DateTime<Utc>) {
        let s = self.source_mut(name);
        s.last_ok = Some(at);
        s.error = None;
        s.failing_since = None;
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            at: self.now,
        });
        self.dirty = true;
    }

    /// The runbook that answers `alert`: the file its `runbook_url` names, else the one
    /// whose front matter lists the alert's name. The error says which file would answer.
    pub fn runbook_for(&self, alert: &Alert) -> Result<usize, String> {
        if let Some(id) = &alert.runbook
            && let Some(i) = self.runbooks.iter().position(|r| *r.id == **id)
        {
            return Ok(i);
        }
        if let Some(i) = self
            .runbooks
            .iter()
            .position(|r| r.meta.alerts.iter().any(|a| **a == *alert.name))
        {
            return Ok(i);
        }
        Err(match &alert.runbook {
            Some(id) => format!(
                "No runbook answers {}: its runbook_url names {id}.md, which is not loaded.",
                alert.name
            ),
            None => format!(
                "No runbook answers {}: runbooks/{}.md with `alerts: [{}]` in its front matter would.",
                alert.name,
                kebab(&alert.name),
                alert.name
            ),
        })
    }

    pub fn current_runbook(&self) -> Option<&Runbook> {
        self.runbook.runbook.and_then(|i| self.runbooks.get(i))
    }

    /// The anchor of the step on screen, if a runbook is open.
    pub fn current_step_anchor(&self) -> Option<(String, String)> {
        let rb = self.current_runbook()?;
        let step = rb.steps.get(self.runbook.current_step()?)?;
        Some((rb.id.clone(), step.anchor.clone()))
    }

    pub fn incident_open(&self) -> bool {
        self.incident.as_ref().is_some_and(Incident::is_open)
    }

    /// Why a human action cannot be recorded now (a read-only console, or a journal that
    /// failed during an incident); `None` when it can. Asked before opening a form, so no
    /// one types a note only to have it refused.
    pub fn journal_refusal(&self) -> Option<String> {
        match &self.journal {
            JournalStatus::ReadOnly(why) => Some(format!("Read-only: {why}")),
            JournalStatus::Failed(why) if self.incident_open() => {
                Some(format!("Refused: the journal cannot be written ({why})"))
            }
            _ => None,
        }
    }

    /// The single gate for every human action that changes something: it becomes a
    /// journal record when an incident is open, is refused when the journal cannot take
    /// it, and applies directly when there is no incident to record it in.
    pub fn record_or_apply(&mut self, kind: RecordKind) -> Vec<Effect> {
        if let Some(text) = self.journal_refusal() {
            self.notify(text);
            return Vec::new();
        }
        match &self.journal {
            JournalStatus::Writable if self.incident_open() => {
                vec![Effect::Journal {
                    kind,
                    by: Some(self.user.clone()),
                }]
            }
            _ => {
                let (now, user) = (self.now, self.user.clone());
                apply_kind(self, &kind, now, Some(&user));
                if auto_check::shows_a_step(&kind) {
                    return auto_check::step_shown(self);
                }
                Vec::new()
            }
        }
    }

    /// A new incident id from the clock: sortable, readable, unique per second.
    pub fn new_incident_id(&self) -> String {
        let prefix = match self.mode {
            Mode::Demo => "demo",
            Mode::Live => "inc",
        };
        format!("{prefix}-{}", self.now.format("%Y%m%d-%H%M%S"))
    }

    /// Effects that open an incident with this title and severity, commanded by this user.
    pub fn open_incident(&mut self, title: String, severity: Severity) -> Vec<Effect> {
        let id = self.new_incident_id();
        self.open_incident_as(id, title, severity)
    }

    /// [`State::open_incident`] with a given id (a drill run's is `drill-...`).
    pub fn open_incident_as(
        &mut self,
        id: String,
        title: String,
        severity: Severity,
    ) -> Vec<Effect> {
        if let JournalStatus::ReadOnly(why) = &self.journal {
            let text = format!("Read-only: {why}");
            self.notify(text);
            return Vec::new();
        }
        if self.incident_open() {
            self.notify("An incident is already open.");
            return Vec::new();
        }
        self.open_journal(id, title, severity)
    }

    /// Effects that create journal `id` with its first record, and record the alerts
    /// already firing.
    pub fn open_journal(&mut self, id: String, title: String, severity: Severity) -> Vec<Effect> {
        if let JournalStatus::Failed(why) = &self.journal {
            let text = format!("Refused: the journal cannot be written ({why})");
            self.notify(text);
            return Vec::new();
        }
        let opened = RecordKind::IncidentOpened {
            id: id.clone(),
            title,
            severity: severity.tag().to_string(),
            commander: self.user.clone(),
        };
        let mut effects = vec![Effect::OpenIncident {
            id,
            opened,
            by: Some(self.user.clone()),
        }];
        // The alerts already firing belong to the incident's timeline.
        for a in &self.alerts.alerts {
            self.seen_pending.insert(a.fingerprint.clone());
            effects.push(Effect::Journal {
                kind: alert_seen(a),
                by: None,
            });
        }
        effects
    }
}

fn alert_seen(a: &Alert) -> RecordKind {
    RecordKind::AlertSeen {
        fingerprint: a.fingerprint.clone(),
        name: a.name.to_string(),
        severity: a.severity.tag().to_string(),
        labels: a.labels.to_map(),
        starts_at: a.starts_at,
    }
}

/// Folds one journal record: the incident's own facts, then what the record means for the
/// alerts and the runbook on screen.
pub fn apply_record(state: &mut State, record: &Record) {
    match (&mut state.incident, &record.kind) {
        (_, RecordKind::IncidentOpened { .. }) => {
            state.incident = Incident::from_opened(record);
            state.seen_pending.clear();
        }
        (Some(inc), _) => inc.apply(record),
        (None, _) => {}
    }
    apply_kind(state, &record.kind, record.at, record.by.as_deref());
    gameday::apply(state, record);
    state.dirty = true;
}

/// An alert's name and labels by fingerprint: from the feed, else from the incident's
/// `alert_seen` record (a replay runs before the first poll answers).
fn alert_identity(
    state: &State,
    fp: &str,
) -> (Option<String>, std::collections::BTreeMap<String, String>) {
    if let Some(a) = state.alerts.alerts.iter().find(|a| a.fingerprint == fp) {
        return (Some(a.name.to_string()), a.labels.to_map());
    }
    state
        .incident
        .iter()
        .flat_map(|i| i.records.iter())
        .find_map(|r| match &r.kind {
            RecordKind::AlertSeen {
                fingerprint,
                name,
                labels,
                ..
            } if fingerprint == fp => Some((Some(name.clone()), labels.clone())),
            _ => None,
        })
        .unwrap_or_default()
}

/// What a record (or an unrecorded action, outside incidents) does to the view.
fn apply_kind(state: &mut State, kind: &RecordKind, at: DateTime<Utc>, by: Option<&str>) {
    state.dirty = true;
    match kind {
        RecordKind::AlertAcked { fingerprint } => {
            let ack = Ack {
                by: by.unwrap_or("someone").to_string(),
                at,
            };
            state.alerts.ack(fingerprint, ack);
        }
        RecordKind::AlertSeen { fingerprint, .. } => {
            state.seen_pending.remove(fingerprint);
        }
        RecordKind::RunbookOpened { runbook, alert } => {
            // Using a runbook in a real incident is an exercise of it.
            if state.mode == Mode::Live {
                mark_exercised(state, runbook, at);
            }
            if let Some(i) = state.runbooks.iter().position(|r| &r.id == runbook) {
                let (name, labels) = alert
                    .as_deref()
                    .map(|fp| alert_identity(state, fp))
                    .unwrap_or_default();
                state.runbook.open(i, name, labels);
            }
        }
        RecordKind::StepViewed { runbook, step }
        | RecordKind::BranchChosen {
            runbook, to: step, ..
        } => {
            if let Some(i) = state.runbooks.iter().position(|r| &r.id == runbook) {
                if state.runbook.runbook != Some(i) {
                    state.runbook.open(i, None, Default::default());
                }
                if let Some(s) = state.runbooks[i].step_index(step) {
                    state.runbook.go(s);
                }
            }
        }
        RecordKind::StepBack { .. } => {
            state.runbook.back();
        }
        RecordKind::DrillStarted { .. }
        | RecordKind::GuardAnswered { .. }
        | RecordKind::PhaseStarted { .. }
        | RecordKind::HumanPrompted { .. }
        | RecordKind::HumanAnswered { .. }
        | RecordKind::RpoMeasured { .. }
        | RecordKind::ServiceRestored {}
        | RecordKind::DrillFinished { .. }
        | RecordKind::DrillAbandoned { .. }
        // A phase's commands are marked as run by their records.
        | RecordKind::MitigationIntent { .. }
        | RecordKind::CheckRun { .. } => drill_flow::fold(state, kind, at, true),
        _ => {}
    }
}

/// A runbook used in a real incident or a drill on `at`'s day: it is not stale.
fn mark_exercised(state: &mut State, runbook: &str, at: DateTime<Utc>) {
    let day = at.date_naive();
    let e = state.exercised.entry(runbook.to_string()).or_insert(day);
    *e = (*e).max(day);
}

/// Typed ahead while records are in flight; more than this is dropped (a stuck key).
const MAX_QUEUED_KEYS: usize = 64;

impl State {
    /// Counts journal writes among `effects`: each record gets exactly one answer
    /// ([`Event::Journaled`] or [`Event::JournalFailed`]; a drill run found taken answers
    /// with [`Event::DrillTaken`], which settles them all).
    pub fn expect_replies(&mut self, effects: &[Effect]) {
        self.in_flight += effects
            .iter()
            .map(|e| match e {
                Effect::Journal { .. } | Effect::OpenIncident { .. } => 1,
                Effect::OpenDrillRun { .. } => 2,
                _ => 0,
            })
            .sum::<usize>();
    }
}

/// `PodCrashLooping` → `pod-crash-looping`: the file name a new runbook would get.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('-');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out
}

/// Folds one event into the state. Pure: no I/O, no terminal, no clock but the event's.
///
/// A key that arrives while records are in flight waits for them, so that every key acts
/// on the state the previous key left, exactly as a replay of the journal will see it.
pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    if let Event::Key(k) = &event
        && state.in_flight > 0
    {
        if state.key_queue.len() < MAX_QUEUED_KEYS {
            state.key_queue.push_back(*k);
        }
        return Vec::new();
    }
    if matches!(event, Event::Journaled(_) | Event::JournalFailed(_)) {
        state.in_flight = state.in_flight.saturating_sub(1);
    }
    let mut effects = update_one(state, event);
    state.expect_replies(&effects);
    while state.in_flight == 0
        && let Some(k) = state.key_queue.pop_front()
    {
        let more = update_one(state, Event::Key(k));
        state.expect_replies(&more);
        effects.extend(more);
    }
    effects
}

fn update_one(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        Event::Tick(now) => {
            state.now = now;
            if state
                .notice
                .as_ref()
                .is_some_and(|n| drill::since(n.at, now) > NOTICE_LIFETIME)
            {
                state.notice = None;
            }
            // Every pane shows a time somewhere (ages, clocks), so a tick is a change.
            state.dirty = true;
            gameday::on_tick(state);
            Vec::new()
        }
        Event::Key(key) => keys::on_key(state, key),
        Event::Resize(..) => {
            state.dirty = true;
            Vec::new()
        }
        Event::Redraw => {
            state.dirty = true;
            vec![Effect::FullRedraw]
        }
        Event::Alerts { source, at, alerts } => {
            state.source_ok(&source, at);
            let before: BTreeSet<String> = state
                .alerts
                .alerts
                .iter()
                .map(|a| a.fingerprint.clone())
                .collect();
            state.alerts.replace(alerts);
            state.dirty = true;
            mitigation::check_stale(state);
            alert_records(state, &before)
        }
        Event::Acked { fingerprint, ack } => {
            if state.alerts.acks.contains_key(&fingerprint) {
                return Vec::new();
            }
            if state.journal == JournalStatus::Writable && state.incident_open() {
                // Someone else's ack is a fact of the incident too.
                return vec![Effect::Journal {
                    kind: RecordKind::AlertAcked { fingerprint },
                    by: Some(ack.by),
                }];
            }
            state.dirty |= state.alerts.ack(&fingerprint, ack);
            Vec::new()
        }
        Event::Slos { source, at, slos } => {
            state.source_ok(&source, at);
            state.slos = slos;
            state.slo_selected = state.slo_selected.min(state.slos.len().saturating_sub(1));
            state.dirty = true;
            Vec::new()
        }
        Event::SourceFailed { source, at, error } => {
            let s = state.source_mut(&source);
            s.failing_since.get_or_insert(at);
            s.error = Some(error);
            state.dirty = true;
            Vec::new()
        }
        Event::Endpoints {
            source,
            up,
            total,
            errors,
        } => {
            let s = state.source_mut(&source);
            s.endpoints = Some((up, total));
            s.endpoint_errors = errors;
            state.dirty = true;
            Vec::new()
        }
        Event::Outcome { text, .. } => {
            state.notify(text);
            state.dirty = true;
            Vec::new()
        }
        Event::RunbooksLoaded(runbooks) => {
            mitigation::runbooks_reloaded(state);
            // Keep the open runbook and path across a reload when the runbook is still there.
            let open_id = state.current_runbook().map(|r| r.id.clone());
            state.runbooks = runbooks;
            match open_id.and_then(|id| state.runbooks.iter().position(|r| r.id == id)) {
                Some(i) => state.runbook.runbook = Some(i),
                None => state.runbook = RunbookView::default(),
            }
            state.dirty = true;
            Vec::new()
        }
        Event::Notice(text) => {
            state.notify(text);
            state.dirty = true;
            Vec::new()
        }
        Event::Drill { at, kind } => {
            drill_flow::fold(state, &kind, at, false);
            state.dirty = true;
            Vec::new()
        }
        Event::RpoQueried(result) => {
            state.dirty = true;
            drill_flow::on_rpo_queried(state, result)
        }
        Event::DrillScored { different, result } => {
            state.dirty = true;
            drill_flow::on_scored(state, different, result)
        }
        Event::DrillLogged(result) => {
            drill_flow::on_logged(state, result);
            state.dirty = true;
            Vec::new()
        }
        Event::DemoRestart => {
            state.alerts.replace(Vec::new());
            state.drill = None;
            state.notify("Demo scenario restarted.");
            Vec::new()
        }
        Event::Silenced {
            fingerprint,
            silence_id,
            until,
            comment,
        } => {
            state.notify(format!("Silence {silence_id} created."));
            if state.journal == JournalStatus::Writable && state.incident_open() {
                return vec![Effect::Journal {
                    kind: RecordKind::AlertSilenced {
                        fingerprint,
                        silence_id,
                        until,
                        comment,
                    },
                    by: Some(state.user.clone()),
                }];
            }
            Vec::new()
        }
        Event::Journaled(record) => {
            apply_record(state, &record);
            let mut effects = mitigation::after_record(state, &record);
            effects.extend(stop::after_record(state, &record));
            effects.extend(gameday::after_record(state, &record));
            effects.extend(drill_flow::after_record(state, &record));
            effects
        }
        Event::JournalFailed(why) => {
            state.notify(format!("Journal write failed: {why}"));
            if let Some((_, gated, _)) = state.exec.awaiting_intent.take() {
                // Its intent is not on disk, so it never runs; the console is free again.
                state.notify(format!(
                    "Journal write failed: {why}; {} was not run (its intent could not be recorded)",
                    crate::sanitize::escape(&gated.plan.name)
                ));
            }
            state.journal = JournalStatus::Failed(why);
            // Whatever was typed ahead assumed records that will never land.
            state.key_queue.clear();
            state.in_flight = 0;
            stop::journal_failed(state)
        }
        Event::JournalReady(status) => {
            let writable = status == JournalStatus::Writable;
            state.journal = status;
            state.dirty = true;
            if writable {
                let mut effects = drill_flow::resumed(state);
                effects.extend(gameday::resumed(state));
                effects
            } else {
                Vec::new()
            }
        }
        Event::DrillTaken { dir, why } => {
            state.journal = JournalStatus::ReadOnly(why.clone());
            // The records typed-ahead keys assumed will never land.
            state.in_flight = 0;
            state.key_queue.clear();
            state.overlay = None;
            state.notify("Not started: another console started this drill first; following it.");
            state
                .warnings
                .push(format!("this console follows the drill: {why}"));
            vec![Effect::Follow { dir }]
        }
        Event::Warning(text) => {
            state.warnings.push(text);
            state.dirty = true;
            Vec::new()
        }
        Event::Signal(Signal::Hangup) => vec![Effect::Exit(129)],
        Event::Signal(Signal::Terminate) => vec![Effect::Exit(143)],
        Event::Signal(Signal::Interrupt) => vec![Effect::Exit(130)],
        Event::InputClosed(_) => vec![Effect::Exit(1)],
        Event::Gated(answer) => {
            let mut effects = mitigation::on_gated(state, *answer);
            effects.extend(drill_flow::gated(state, &effects));
            effects
        }
        Event::ExecLine(line) => {
            state.exec.push(line);
            state.dirty = true;
            Vec::new()
        }
        Event::ExecDone(done) => {
            let id = done.id.clone();
            let mut effects = mitigation::on_done(state, done);
            effects.extend(drill_flow::command_ended(state, &id));
            effects
        }
        Event::GameDayLoaded(def) => {
            gameday::loaded(state, *def);
            Vec::new()
        }
        Event::AbortReading(r) => gameday::on_reading(state, r),
        Event::StopGated(g) => stop::on_gated(state, *g),
        Event::ExperimentRemoved(r) => stop::done(state, r),
    }
}

/// During a writable incident, alerts that appear or resolve go on the timeline.
fn alert_records(state: &mut State, before: &BTreeSet<String>) -> Vec<Effect> {
    if state.journal != JournalStatus::Writable || !state.incident_open() {
        return Vec::new();
    }
    let mut effects = Vec::new();
    let now: BTreeSet<String> = state
        .alerts
        .alerts
        .iter()
        .map(|a| a.fingerprint.clone())
        .collect();
    let recorded = state
        .incident
        .as_ref()
        .map(|i| i.alerts_seen.clone())
        .unwrap_or_default();
    for a in &state.alerts.alerts {
        if !recorded.contains(&a.fingerprint) && !state.seen_pending.contains(&a.fingerprint) {
            effects.push(Effect::Journal {
                kind: alert_seen(a),
                by: None,
            });
        }
    }
    for fp in before.difference(&now) {
        if recorded.contains(fp) {
            effects.push(Effect::Journal {
                kind: RecordKind::AlertResolved {
                    fingerprint: fp.clone(),
                },
                by: None,
            });
        }
    }
    for e in &effects {
        if let Effect::Journal {
            kind: RecordKind::AlertSeen { fingerprint, .. },
            ..
        } = e
        {
            state.seen_pending.insert(fingerprint.clone());
        }
    }
    effects
}
