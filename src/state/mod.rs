//! The model: [`State`] is plain data, [`update`] is the only place it changes. `update` does
//! no I/O: what must happen outside is returned as [`Effect`]s for the runtime to perform.

pub mod alerts;
pub mod drill;
pub mod runbook_view;

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::keymap::{Action, Key, Keymap};
use crate::runbook::Runbook;
use crate::slo::SloStatus;
use crate::sources::alertmanager::SilenceRequest;
pub use alerts::{Ack, Alert, AlertFeed, AlertState, Severity};
pub use drill::{DrillClock, Pace, PhaseClock};
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

/// What sits on top of the panes and takes the keys first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// Quit while something is running: asks, default No.
    ConfirmQuit {
        reason: String,
    },
    /// Typing the alert filter; the list follows each key.
    Filter,
    /// Every label and annotation of one alert.
    AlertDetail {
        fingerprint: String,
        scroll: u16,
    },
    /// The numbers behind the selected SLO's sparkline.
    SloDetail {
        scroll: u16,
    },
    /// Silencing an alert: duration and comment, then a y/N confirmation.
    Silence(SilenceForm),
    /// Expiring a silence: y/N.
    ConfirmExpire {
        silence_id: String,
        alert: String,
    },
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
    pub focus: Pane,
    pub zoomed: bool,
    pub overlay: Option<Overlay>,
    pub alerts: AlertFeed,
    pub runbooks: Vec<Runbook>,
    pub runbook: RunbookView,
    pub slos: Vec<SloStatus>,
    pub slo_selected: usize,
    pub drill: Option<DrillClock>,
    pub sources: Vec<SourceHealth>,
    pub notice: Option<Notice>,
    /// Who acks and silences from this console (config `user:` or `$USER`).
    pub user: String,
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
    /// A full snapshot of the alerts one source sees.
    Alerts {
        source: String,
        at: DateTime<Utc>,
        alerts: Vec<Alert>,
    },
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
    Drill(DrillEvent),
    /// The demo scenario starts over: clear what it showed.
    DemoRestart,
    /// SIGHUP (terminal gone) or SIGTERM.
    Signal(Signal),
    /// Terminal input failed for good (e.g. the tty is gone).
    InputClosed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Hangup,
    Terminate,
    Interrupt,
}

#[derive(Debug, Clone)]
pub enum DrillEvent {
    Started(DrillClock),
    PhaseStarted {
        index: usize,
        at: DateTime<Utc>,
    },
    HumanWaiting {
        at: DateTime<Utc>,
    },
    HumanAnswered {
        at: DateTime<Utc>,
    },
    Finished {
        at: DateTime<Utc>,
        rpo: Option<Duration>,
    },
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Restore the terminal and exit with this code.
    Exit(u8),
    /// Leave the terminal, stop the process (Ctrl-Z), and repaint everything on `fg`.
    Suspend,
    /// Repaint every cell, not just what changed.
    FullRedraw,
    /// Create this silence in Alertmanager.
    CreateSilence {
        fingerprint: String,
        request: SilenceRequest,
    },
    /// Expire a silence in Alertmanager.
    ExpireSilence { id: String },
    /// Someone acked an alert; the durable record belongs in the incident journal.
    RecordAck { fingerprint: String, ack: Ack },
}

impl State {
    pub fn new(mode: Mode, keymap: Keymap, read_only: bool, now: DateTime<Utc>) -> State {
        State {
            mode,
            read_only,
            now,
            keymap,
            focus: Pane::Alerts,
            zoomed: false,
            overlay: None,
            alerts: AlertFeed::default(),
            runbooks: Vec::new(),
            runbook: RunbookView::default(),
            slos: Vec::new(),
            slo_selected: 0,
            drill: None,
            sources: Vec::new(),
            notice: None,
            user: "unknown".into(),
            dirty: true,
        }
    }

    /// What would be interrupted by quitting, if anything.
    pub fn running_work(&self) -> Option<String> {
        self.drill
            .as_ref()
            .filter(|d| d.is_running())
            .map(|d| format!("The drill \"{}\" is running.", d.name))
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

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            at: self.now,
        });
    }

    /// Opens the runbook mapped to the selected alert, if there is one.
    fn open_selected_runbook(&mut self) {
        let Some(alert) = self.alerts.selected_alert() else {
            self.notify("No alert selected.");
            return;
        };
        let found = alert
            .runbook
            .as_deref()
            .and_then(|id| self.runbooks.iter().position(|r| r.id == id));
        match found {
            Some(i) => {
                self.runbook.open(i);
                self.focus = Pane::Runbook;
            }
            None => {
                let text = match &alert.runbook {
                    Some(id) => format!("Runbook `{id}` for {} is not loaded.", alert.name),
                    None => format!("No runbook is mapped to {}.", alert.name),
                };
                self.notify(text);
            }
        }
    }

    fn current_runbook(&self) -> Option<&Runbook> {
        self.runbook.runbook.and_then(|i| self.runbooks.get(i))
    }
}

/// Folds one event into the state. Pure: no I/O, no terminal, no clock but the event's.
pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
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
            Vec::new()
        }
        Event::Key(key) => on_key(state, key),
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
            state.alerts.replace(alerts);
            state.dirty = true;
            Vec::new()
        }
        Event::Acked { fingerprint, ack } => {
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
            state.runbooks = runbooks;
            state.runbook = RunbookView::default();
            state.dirty = true;
            Vec::new()
        }
        Event::Drill(ev) => {
            on_drill(state, ev);
            state.dirty = true;
            Vec::new()
        }
        Event::DemoRestart => {
            state.alerts = AlertFeed::default();
            state.drill = None;
            state.runbook = RunbookView::default();
            state.notify("Demo scenario restarted.");
            state.dirty = true;
            Vec::new()
        }
        Event::Signal(Signal::Hangup) => vec![Effect::Exit(129)],
        Event::Signal(Signal::Terminate) => vec![Effect::Exit(143)],
        Event::Signal(Signal::Interrupt) => vec![Effect::Exit(130)],
        Event::InputClosed(_) => vec![Effect::Exit(1)],
    }
}

fn on_drill(state: &mut State, ev: DrillEvent) {
    if let DrillEvent::Started(clock) = ev {
        state.drill = Some(clock);
        return;
    }
    let Some(d) = state.drill.as_mut() else {
        return;
    };
    match ev {
        DrillEvent::Started(_) => {}
        DrillEvent::PhaseStarted { index, at } => d.start_phase(index, at),
        DrillEvent::HumanWaiting { at } => d.human_wait(at),
        DrillEvent::HumanAnswered { at } => d.human_answered(at),
        DrillEvent::Finished { at, rpo } => d.finish(at, rpo),
    }
}

/// A printable character typed without ctrl or alt, for text fields.
fn typed_char(ev: &KeyEvent) -> Option<char> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    if ev.kind == KeyEventKind::Release
        || ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match ev.code {
        KeyCode::Char(c) if !crate::sanitize::is_hazard(c) => Some(c),
        _ => None,
    }
}

fn is_key(ev: &KeyEvent, code: crossterm::event::KeyCode) -> bool {
    ev.kind != crossterm::event::KeyEventKind::Release && ev.code == code
}

/// Longest text a prompt field takes.
const FIELD_MAX: usize = 200;

/// Text prompts (the filter, the silence form) capture every key while open.
fn on_text_key(state: &mut State, ev: &KeyEvent) -> Option<Vec<Effect>> {
    use crossterm::event::KeyCode;
    match state.overlay.as_mut()? {
        Overlay::Filter => {
            state.dirty = true;
            if is_key(ev, KeyCode::Esc) {
                state.alerts.filter.clear();
                state.overlay = None;
            } else if is_key(ev, KeyCode::Enter) {
                state.overlay = None;
            } else if is_key(ev, KeyCode::Backspace) {
                state.alerts.filter.pop();
            } else if let Some(c) = typed_char(ev) {
                if state.alerts.filter.chars().count() < FIELD_MAX {
                    state.alerts.filter.push(c);
                }
            }
            state.alerts.fix_selection();
            Some(Vec::new())
        }
        Overlay::Silence(form) => {
            state.dirty = true;
            if is_key(ev, KeyCode::Esc) {
                state.overlay = None;
                state.notify("No silence created.");
                return Some(Vec::new());
            }
            if form.confirming {
                // Only y creates it; n, Enter and anything else answer No.
                let yes = matches!(typed_char(ev), Some('y' | 'Y'));
                if yes {
                    let form = form.clone();
                    state.overlay = None;
                    let duration = humantime::parse_duration(form.duration.trim())
                        .unwrap_or(Duration::from_secs(3600));
                    let request = SilenceRequest::for_labels(
                        &form.labels,
                        state.now,
                        duration,
                        &state.user,
                        form.comment.trim(),
                    );
                    state.notify(format!("Creating a silence for {}…", form.alert));
                    return Some(vec![Effect::CreateSilence {
                        fingerprint: form.fingerprint,
                        request,
                    }]);
                }
                if matches!(typed_char(ev), Some('n' | 'N')) || is_key(ev, KeyCode::Enter) {
                    state.overlay = None;
                    state.notify("No silence created.");
                }
                return Some(Vec::new());
            }
            let field = match form.field {
                SilenceField::Duration => &mut form.duration,
                SilenceField::Comment => &mut form.comment,
            };
            if is_key(ev, KeyCode::Backspace) {
                field.pop();
            } else if is_key(ev, KeyCode::Tab) || is_key(ev, KeyCode::BackTab) {
                form.field = match form.field {
                    SilenceField::Duration => SilenceField::Comment,
                    SilenceField::Comment => SilenceField::Duration,
                };
            } else if is_key(ev, KeyCode::Enter) {
                match form.field {
                    SilenceField::Duration => form.field = SilenceField::Comment,
                    SilenceField::Comment => {
                        form.error = validate_silence(form);
                        form.confirming = form.error.is_none();
                    }
                }
            } else if let Some(c) = typed_char(ev) {
                if field.chars().count() < FIELD_MAX {
                    field.push(c);
                }
                form.error = None;
            }
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Why the silence form cannot be submitted yet, if it cannot.
fn validate_silence(form: &SilenceForm) -> Option<String> {
    match humantime::parse_duration(form.duration.trim()) {
        Err(_) => {
            return Some(format!(
                "`{}` is not a duration like 30m or 2h",
                form.duration
            ));
        }
        Ok(d) if d < Duration::from_secs(60) || d > Duration::from_secs(30 * 86_400) => {
            return Some("a silence lasts from 1 minute to 30 days".into());
        }
        Ok(_) => {}
    }
    if form.comment.trim().is_empty() {
        return Some("say why in the comment (Alertmanager requires one)".into());
    }
    None
}

fn on_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    if let Some(effects) = on_text_key(state, &ev) {
        return effects;
    }
    let Some(key) = Key::from_event(&ev) else {
        return Vec::new();
    };
    let esc = Key::parse("esc").ok();
    // Prompts take the keys first; anything they do not know is ignored, never passed on.
    match &state.overlay {
        Some(Overlay::ConfirmExpire { silence_id, alert }) => {
            if matches!(typed_char(&ev), Some('y' | 'Y')) {
                let id = silence_id.clone();
                state.notify(format!("Expiring the silence on {alert}…"));
                state.overlay = None;
                state.dirty = true;
                return vec![Effect::ExpireSilence { id }];
            }
            if matches!(typed_char(&ev), Some('n' | 'N'))
                || Some(key) == esc
                || is_key(&ev, crossterm::event::KeyCode::Enter)
            {
                state.overlay = None;
                state.dirty = true;
            }
            return Vec::new();
        }
        Some(Overlay::AlertDetail { .. } | Overlay::SloDetail { .. }) => {
            let action = state.keymap.action_for(&key);
            state.dirty = true;
            let delta: i32 = match action {
                Some(Action::Up) => -1,
                Some(Action::Down) => 1,
                Some(Action::PageUp) => -10,
                Some(Action::PageDown) => 10,
                _ => 0,
            };
            if delta != 0 {
                if let Some(Overlay::AlertDetail { scroll, .. } | Overlay::SloDetail { scroll }) =
                    state.overlay.as_mut()
                {
                    *scroll = (*scroll as i32 + delta).clamp(0, u16::MAX as i32) as u16;
                }
                return Vec::new();
            }
            if Some(key) == esc
                || matches!(
                    action,
                    Some(Action::Detail | Action::Back | Action::Select | Action::Help)
                )
            {
                state.overlay = None;
                return Vec::new();
            }
            if !matches!(
                action,
                Some(Action::Quit | Action::Suspend | Action::Redraw)
            ) {
                return Vec::new();
            }
        }
        Some(Overlay::ConfirmQuit { .. }) => {
            let yes = Key::parse("y").ok();
            let big_yes = Key::parse("Y").ok();
            let no_keys: Vec<Key> = ["n", "N", "esc"]
                .iter()
                .filter_map(|s| Key::parse(s).ok())
                .collect();
            if Some(key) == yes || Some(key) == big_yes {
                return vec![Effect::Exit(0)];
            }
            if no_keys.contains(&key) {
                state.overlay = None;
                state.dirty = true;
            }
            return Vec::new();
        }
        Some(Overlay::Help) => {
            let action = state.keymap.action_for(&key);
            if matches!(action, Some(Action::Help)) || Some(key) == esc {
                state.overlay = None;
                state.dirty = true;
                return Vec::new();
            }
            if !matches!(
                action,
                Some(Action::Quit | Action::Suspend | Action::Redraw)
            ) {
                return Vec::new();
            }
        }
        Some(Overlay::Filter | Overlay::Silence(_)) | None => {}
    }
    // A lone esc clears an active filter.
    if state.overlay.is_none() && Some(key) == esc && !state.alerts.filter.is_empty() {
        state.alerts.filter.clear();
        state.alerts.fix_selection();
        state.dirty = true;
        return Vec::new();
    }

    if let Some(n) = branch_digit(&key) {
        choose_branch(state, n);
        return Vec::new();
    }
    let Some(action) = state.keymap.action_for(&key) else {
        return Vec::new();
    };
    state.dirty = true;
    match action {
        Action::Help => state.overlay = Some(Overlay::Help),
        Action::Quit => match state.running_work() {
            Some(reason) => state.overlay = Some(Overlay::ConfirmQuit { reason }),
            None => return vec![Effect::Exit(0)],
        },
        Action::FocusNext => state.focus = state.focus.offset(1),
        Action::FocusPrev => state.focus = state.focus.offset(-1),
        Action::Zoom => state.zoomed = !state.zoomed,
        Action::Redraw => return vec![Effect::FullRedraw],
        Action::Suspend => return vec![Effect::Suspend],
        Action::Up => move_in_pane(state, -1),
        Action::Down => move_in_pane(state, 1),
        Action::PageUp => move_in_pane(state, -10),
        Action::PageDown => move_in_pane(state, 10),
        Action::Top => move_in_pane(state, isize::MIN / 2),
        Action::Bottom => move_in_pane(state, isize::MAX / 2),
        Action::Select => match state.focus {
            Pane::Alerts => state.open_selected_runbook(),
            Pane::Slo if !state.slos.is_empty() => {
                state.overlay = Some(Overlay::SloDetail { scroll: 0 })
            }
            Pane::Runbook => {
                let steps = state.current_runbook().map_or(0, |r| r.steps.len());
                if !state.runbook.next(steps) {
                    state.notify("This is the last step of the runbook.");
                }
            }
            Pane::Slo | Pane::Drill => {}
        },
        Action::Back => {
            if !state.runbook.back() {
                state.notify("Already at the first step on this path.");
            }
        }
        Action::Filter => {
            state.focus = Pane::Alerts;
            state.overlay = Some(Overlay::Filter);
        }
        Action::GroupBy => {
            state.alerts.group_by = next_group(state.alerts.group_by.as_deref());
            state.alerts.fix_selection();
            match &state.alerts.group_by {
                Some(g) => state.notify(format!("Alerts grouped by {g}.")),
                None => state.notify("Alerts not grouped."),
            }
        }
        Action::Detail => match state.focus {
            Pane::Slo if !state.slos.is_empty() => {
                state.overlay = Some(Overlay::SloDetail { scroll: 0 })
            }
            _ => match state.alerts.selected_alert() {
                Some(a) => {
                    state.overlay = Some(Overlay::AlertDetail {
                        fingerprint: a.fingerprint.clone(),
                        scroll: 0,
                    })
                }
                None => state.notify("No alert selected."),
            },
        },
        Action::Ack => return ack_selected(state),
        Action::Silence => open_silence(state),
        Action::ExpireSilence => open_expire(state),
    }
    Vec::new()
}

/// Labels the group-by key cycles through, then back to no grouping.
pub const GROUP_LABELS: [&str; 6] = [
    alerts::AM_GROUP,
    "alertname",
    "service",
    "tenant",
    "region",
    "namespace",
];

fn next_group(cur: Option<&str>) -> Option<String> {
    let i = match cur {
        None => 0,
        Some(c) => GROUP_LABELS
            .iter()
            .position(|g| *g == c)
            .map_or(0, |i| i + 1),
    };
    GROUP_LABELS.get(i).map(|s| s.to_string())
}

fn ack_selected(state: &mut State) -> Vec<Effect> {
    let Some(a) = state.alerts.selected_alert() else {
        state.notify("No alert selected.");
        return Vec::new();
    };
    let (fp, name) = (a.fingerprint.clone(), a.name.clone());
    if let Some(prev) = state.alerts.acks.get(&fp) {
        let text = format!(
            "{name} is already acked by {} since {}.",
            prev.by,
            prev.at.format("%H:%M:%S")
        );
        state.notify(text);
        return Vec::new();
    }
    let ack = Ack {
        by: state.user.clone(),
        at: state.now,
    };
    state.alerts.ack(&fp, ack.clone());
    state.notify(format!("Acked {name}: you are on it."));
    vec![Effect::RecordAck {
        fingerprint: fp,
        ack,
    }]
}

fn open_silence(state: &mut State) {
    if state.read_only {
        state.notify("Read-only: silences are not created from this console.");
        return;
    }
    if state.mode == Mode::Demo {
        state.notify("Demo: there is no Alertmanager to silence in.");
        return;
    }
    let Some(a) = state.alerts.selected_alert() else {
        state.notify("No alert selected.");
        return;
    };
    state.overlay = Some(Overlay::Silence(SilenceForm {
        fingerprint: a.fingerprint.clone(),
        alert: a.name.clone(),
        labels: a.labels.clone(),
        duration: "2h".into(),
        comment: String::new(),
        field: SilenceField::Comment,
        confirming: false,
        error: None,
    }));
}

fn open_expire(state: &mut State) {
    if state.read_only {
        state.notify("Read-only: silences are not changed from this console.");
        return;
    }
    let Some(a) = state.alerts.selected_alert() else {
        state.notify("No alert selected.");
        return;
    };
    match a.silenced_by.first() {
        Some(id) => {
            state.overlay = Some(Overlay::ConfirmExpire {
                silence_id: id.clone(),
                alert: a.name.clone(),
            })
        }
        None => {
            let text = format!("{} is not silenced.", a.name);
            state.notify(text);
        }
    }
}

fn branch_digit(key: &Key) -> Option<usize> {
    (1..=9).find(|n| Key::parse(&n.to_string()).ok().as_ref() == Some(key))
}

fn choose_branch(state: &mut State, n: usize) {
    let Some(rb) = state.current_runbook() else {
        state.notify("Open a runbook first: select an alert and press enter.");
        state.dirty = true;
        return;
    };
    let target = state
        .runbook
        .current_step()
        .and_then(|i| rb.steps.get(i))
        .and_then(|s| s.branches.get(n - 1))
        .map(|b| (b.target.clone(), rb.step_index(&b.target)));
    match target {
        Some((_, Some(i))) => state.runbook.go(i),
        Some((anchor, None)) => state.notify(format!(
            "Branch {n} points at #{anchor}, which this runbook does not have."
        )),
        None => state.notify(format!("This step has no choice {n}.")),
    }
    state.dirty = true;
}

fn move_in_pane(state: &mut State, delta: isize) {
    match state.focus {
        Pane::Alerts => state.alerts.move_selection(delta),
        Pane::Runbook => state.runbook.scroll_by(delta),
        Pane::Slo => {
            let last = state.slos.len().saturating_sub(1) as isize;
            state.slo_selected = (state.slo_selected as isize + delta).clamp(0, last) as usize;
        }
        Pane::Drill => {}
    }
}
