//! The model: [`State`] is plain data, [`update`] is the only place it changes. `update` does
//! no I/O: what must happen outside is returned as [`Effect`]s for the runtime to perform.

pub mod alerts;
pub mod drill;
pub mod picker;
pub mod runbook_view;

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::keymap::{Action, Key, Keymap};
use crate::runbook::{Runbook, SectionKind};
use crate::slo::SloStatus;
pub use alerts::{Ack, Alert, AlertFeed, AlertState, Severity};
pub use drill::{DrillClock, Pace, PhaseClock};
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

/// What sits on top of the panes and takes the keys first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    /// Quit while something is running: asks, default No.
    ConfirmQuit {
        reason: String,
    },
    /// The runbook picker: typed characters go to its query until enter or esc.
    Picker(Picker),
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
}

impl SourceHealth {
    pub fn new(name: &str, interval: Duration) -> SourceHealth {
        SourceHealth {
            name: name.to_string(),
            last_ok: None,
            error: None,
            failing_since: None,
            interval,
        }
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

    /// The runbook that answers `alert`: the file its `runbook_url` names, else the one
    /// whose front matter lists the alert's name. The error says which file would answer.
    pub fn runbook_for(&self, alert: &Alert) -> Result<usize, String> {
        if let Some(id) = &alert.runbook
            && let Some(i) = self.runbooks.iter().position(|r| &r.id == id)
        {
            return Ok(i);
        }
        if let Some(i) = self
            .runbooks
            .iter()
            .position(|r| r.meta.alerts.iter().any(|a| a == &alert.name))
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

    /// Opens the runbook mapped to the selected alert, if there is one.
    fn open_selected_runbook(&mut self) {
        let Some(alert) = self.alerts.selected_alert() else {
            self.notify("No alert selected.");
            return;
        };
        match self.runbook_for(alert) {
            Ok(i) => {
                let (name, labels) = (alert.name.clone(), alert.labels.clone());
                self.runbook.open(i, Some(name), labels);
                self.focus = Pane::Runbook;
            }
            Err(text) => {
                self.runbook.not_found(text.clone());
                self.notify(text);
            }
        }
    }

    fn current_runbook(&self) -> Option<&Runbook> {
        self.runbook.runbook.and_then(|i| self.runbooks.get(i))
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
        Event::RunbooksLoaded(runbooks) => {
            state.runbooks = runbooks;
            state.runbook = RunbookView::default();
            state.dirty = true;
            Vec::new()
        }
        Event::Notice(text) => {
            state.notify(text);
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

fn on_key(state: &mut State, ev: KeyEvent) -> Vec<Effect> {
    let Some(key) = Key::from_event(&ev) else {
        return Vec::new();
    };
    // Prompts take the keys first; anything they do not know is ignored, never passed on.
    // The picker is modal too: while it is open, typed characters go to its query.
    if let Some(Overlay::Picker(_)) = &state.overlay {
        picker::on_key(state, &ev);
        return Vec::new();
    }
    match &state.overlay {
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
        Some(Overlay::Picker(_)) => return Vec::new(),
        Some(Overlay::Help) => {
            let action = state.keymap.action_for(&key);
            let esc = Key::parse("esc").ok();
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
        None => {}
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
        Action::NextSection => jump_section(state, 1),
        Action::PrevSection => jump_section(state, -1),
        Action::FindRunbook => {
            if state.runbooks.is_empty() {
                state.notify("No runbooks loaded.");
            } else {
                state.overlay = Some(Overlay::Picker(Picker::default()));
            }
        }
    }
    Vec::new()
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

/// Moves to the first step of the next (or previous) section that has steps, as a step on
/// the path, so Backspace comes back.
fn jump_section(state: &mut State, dir: isize) {
    let Some(rb) = state.current_runbook() else {
        state.notify("Open a runbook first: select an alert and press enter.");
        return;
    };
    let Some(cur) = state.runbook.current_step().and_then(|i| rb.steps.get(i)) else {
        return;
    };
    let here = SectionKind::ALL
        .iter()
        .position(|s| *s == cur.section)
        .unwrap_or(0) as isize;
    let mut k = here + dir;
    let mut target = None;
    while (0..SectionKind::ALL.len() as isize).contains(&k) {
        if let Some(i) = rb.first_step_of(SectionKind::ALL[k as usize]) {
            target = Some(i);
            break;
        }
        k += dir;
    }
    match target {
        Some(i) => {
            state.focus = Pane::Runbook;
            state.runbook.go(i);
        }
        None if dir > 0 => state.notify("This is the last section."),
        None => state.notify("This is the first section."),
    }
}
