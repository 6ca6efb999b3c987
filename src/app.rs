//! The runtime: starts the producers, folds their events into the state with `update`,
//! performs the effects, and draws once per burst of events, only when something changed.

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use std::path::PathBuf;

use crate::exec::runtime::ExecRuntime;
use crate::incident::Journal;
use crate::incident::lock::{IncidentLock, LockError, LockHolder};
use crate::incident::store::{self, IncidentSummary};
use crate::keymap::Keymap;
use crate::sources::alertmanager::Alertmanager;
use crate::sources::demo::{self, DemoPlayer, Scenario};
use crate::sources::journal;
use crate::sources::prometheus::Prometheus;
use crate::sources::timing::until_tick;
use crate::state::{
    DrillSetup, Effect, Event, JournalStatus, Mode, Pane, Severity, Signal, SourceHealth, State,
    update,
};
use crate::term;
use crate::theme::Theme;
use crate::ui;

/// Queue depth between producers and the runtime. Producers wait when it is full, which
/// slows them down rather than growing memory.
const QUEUE: usize = 1024;
/// At most this many queued events are folded before a draw, so a flood cannot starve the
/// screen.
const MAX_BATCH: usize = 512;

pub struct Options {
    pub mode: Mode,
    pub scenario: Option<Scenario>,
    pub theme: Theme,
    pub keymap: Keymap,
    pub read_only: bool,
    /// The author of this console's records.
    pub user: String,
    /// `$XDG_DATA_HOME/warroom/incidents`; without it nothing can be journaled.
    pub incidents_dir: Option<PathBuf>,
    /// `warroom follow`: view this incident read-only instead of resuming one.
    pub follow: Option<IncidentSummary>,
    /// Runbooks loaded from the runbooks directory (live mode), folded in first.
    pub runbooks: Option<Vec<crate::runbook::Runbook>>,
    /// Problems found while loading (unreadable or invalid runbooks): shown, not hidden.
    pub warnings: Vec<String>,
    pub alertmanager: Option<Alertmanager>,
    pub prometheus: Option<Prometheus>,
    /// What the mitigation gate reads from the config.
    pub gate: crate::exec::gate::GateConfig,
    /// The kubeconfig to use instead of the usual places.
    pub kubeconfig: Option<PathBuf>,
    /// `warroom gameday NAME`: the game-day to run (or resume) in the Drill clock pane.
    pub gameday: Option<crate::gameday::GameDay>,
    /// `warroom drill NAME`: the drill, read and linted before the screen was taken over.
    pub drill: Option<Box<DrillSetup>>,
    /// The unfinished run of that drill to resume; `None` starts a new one.
    pub drill_resume: Option<IncidentSummary>,
}

impl Options {
    /// The sources the status bar lists from the start, with their intervals.
    pub fn sources(&self) -> Vec<SourceHealth> {
        let mut v = Vec::new();
        if let Some(am) = &self.alertmanager {
            v.push(SourceHealth::new(
                crate::sources::alertmanager::SOURCE,
                am.interval,
            ));
        }
        if let Some(p) = &self.prometheus {
            v.push(SourceHealth::new(
                crate::sources::prometheus::SOURCE,
                p.interval,
            ));
        }
        v
    }
}

/// Performs an effect that reaches outside the console; the outcome comes back as an event.
/// `None` when there is nothing to report.
pub async fn perform(am: Option<&Alertmanager>, effect: Effect) -> Option<Event> {
    match effect {
        Effect::CreateSilence {
            fingerprint,
            request,
        } => {
            let Some(am) = am else {
                return Some(Event::Outcome {
                    ok: false,
                    text: "No Alertmanager is configured: cannot silence.".into(),
                });
            };
            Some(match am.create_silence(&request).await {
                Ok(id) => {
                    tracing::info!(%fingerprint, silence = %id, by = %request.created_by, "silence created");
                    Event::Silenced {
                        fingerprint,
                        silence_id: id,
                        until: request.ends_at,
                        comment: request.comment.clone(),
                    }
                }
                Err(e) => {
                    tracing::warn!(%fingerprint, "silence failed: {e}");
                    Event::Outcome {
                        ok: false,
                        text: format!("Silence not created: {e}"),
                    }
                }
            })
        }
        Effect::ExpireSilence { id } => {
            let Some(am) = am else {
                return Some(Event::Outcome {
                    ok: false,
                    text: "No Alertmanager is configured.".into(),
                });
            };
            Some(match am.expire_silence(&id).await {
                Ok(()) => {
                    tracing::info!(silence = %id, "silence expired");
                    Event::Outcome {
                        ok: true,
                        text: format!("Silence {id} expired."),
                    }
                }
                Err(e) => Event::Outcome {
                    ok: false,
                    text: format!("Silence not expired: {e}"),
                },
            })
        }
        Effect::Exit(_)
        | Effect::Suspend
        | Effect::FullRedraw
        | Effect::Journal { .. }
        | Effect::OpenIncident { .. }
        | Effect::OpenDrillRun { .. }
        | Effect::Follow { .. }
        | Effect::Gate { .. }
        | Effect::Execute { .. }
        | Effect::CancelExec
        | Effect::RemoveExperiments { .. }
        | Effect::ExecuteStop(_)
        | Effect::MeasureRpo { .. }
        | Effect::ScoreDrill(_)
        | Effect::AppendDrillLog { .. } => None,
    }
}

/// Performs a drill effect: the RPO query, scoring (the file's hash and the log), the log
/// append. File work runs on the blocking pool; the outcome comes back as an event.
pub async fn perform_drill(prometheus: Option<&Prometheus>, effect: Effect) -> Option<Event> {
    fn blocking<T>(e: tokio::task::JoinError) -> Result<T, String> {
        Err(format!("internal error: {e}"))
    }
    match effect {
        Effect::MeasureRpo { query, at } => {
            Some(Event::RpoQueried(measure_rpo(prometheus, &query, at).await))
        }
        Effect::ScoreDrill(request) => {
            let different = request.different.clone();
            let result = tokio::task::spawn_blocking(move || request.score())
                .await
                .unwrap_or_else(blocking);
            Some(Event::DrillScored { different, result })
        }
        Effect::AppendDrillLog { path, entry } => {
            let shown = path.display().to_string();
            let run = entry.run.clone();
            let result =
                tokio::task::spawn_blocking(move || crate::drill::log::append(&path, &entry))
                    .await
                    .unwrap_or_else(blocking);
            Some(Event::DrillLogged(match result {
                Ok(true) => {
                    tracing::info!(%run, log = %shown, "drill logged");
                    Ok(format!("Logged to {shown}."))
                }
                Ok(false) => Ok(format!("Already in {shown}.")),
                Err(e) => Err(e),
            }))
        }
        _ => None,
    }
}

/// The drill's RPO: the first value the query gives at `at`, in seconds.
pub async fn measure_rpo(
    prometheus: Option<&Prometheus>,
    query: &str,
    at: chrono::DateTime<Utc>,
) -> Result<f64, String> {
    let Some(p) = prometheus else {
        return Err("no Prometheus is configured".into());
    };
    let r = p.instant(query, at).await.map_err(|e| e.to_string())?;
    r.values
        .iter()
        .copied()
        .find(|v| v.is_finite())
        .ok_or_else(|| "the query returned no data".into())
}

/// Runs the console until an effect asks to exit; returns the exit code. The terminal is
/// left in full-screen mode on return: the caller restores it on every path.
pub async fn run(opts: Options) -> anyhow::Result<u8> {
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    spawn_signals(tx.clone())?;
    spawn_input(tx.clone());
    spawn_ticks(tx.clone());
    let mut state = State::new(opts.mode, opts.keymap.clone(), opts.read_only, Utc::now());
    state.user = opts.user.clone();
    state.sources = opts.sources();
    if let Some(setup) = &opts.drill {
        state.drill_setup = Some(setup.clone());
        state.focus = Pane::Drill;
    }
    // Runbooks first, so replayed records can point into them.
    let runbooks = opts
        .runbooks
        .clone()
        .or_else(|| opts.scenario.as_ref().map(|s| s.runbooks.clone()));
    if let Some(r) = runbooks {
        update(&mut state, Event::RunbooksLoaded(r));
    }
    for w in &opts.warnings {
        update(&mut state, Event::Warning(w.clone()));
    }
    if let Some(root) = &opts.incidents_dir {
        state.exercised = store::last_exercised(root);
    }
    if let Some(g) = &opts.gameday {
        update(&mut state, Event::GameDayLoaded(Box::new(g.clone())));
    }
    let mut resumed = resume(&mut state, &opts, &tx)?;
    // What the resumed journal asks for next (a drill picking up where it stood).
    let mut pending = resumed
        .as_mut()
        .map(|r| std::mem::take(&mut r.effects))
        .unwrap_or_default();
    // Runbook commands: the demo acts on a simulated cluster, live on the kubeconfig's.
    // A game-day acts in the context its boundary names.
    let gameday_context = opts.gameday.as_ref().map(|g| g.boundary.context.clone());
    let mut exec = match &opts.scenario {
        Some(s) if opts.mode == Mode::Demo => {
            let regions: Vec<String> = s
                .alerts
                .iter()
                .filter_map(|a| a.labels.get("region").cloned())
                .collect();
            ExecRuntime::demo(
                opts.gate.clone(),
                &regions,
                gameday_context.as_deref(),
                tx.clone(),
            )
        }
        _ => {
            let mut live = ExecRuntime::live(
                opts.gate.clone(),
                opts.kubeconfig.as_deref(),
                gameday_context.as_deref(),
                tx.clone(),
            )
            .await;
            live.set_prometheus(opts.prometheus.clone());
            live
        }
    };
    if let Some(s) = opts.scenario {
        // A resumed demo incident continues the scenario from when it was opened.
        let start = resumed.as_ref().map_or(state.now, |r| r.opened_at);
        let mut player = DemoPlayer::new(s, start);
        for ev in player.advance(state.now) {
            update(&mut state, ev);
        }
        demo::spawn(player, tx.clone());
    }
    let writer = opts.incidents_dir.clone().map(|root| {
        journal::spawn_writer(
            root,
            opts.user.clone(),
            resumed.and_then(|r| r.writer),
            tx.clone(),
        )
    });
    // A mitigation left without an outcome by a killed console is settled now, visibly.
    let unfinished = crate::state::mitigation::settle_unfinished(&mut state);
    state.expect_replies(&unfinished);
    for e in unfinished {
        send_journal(&writer, e, &mut state);
    }
    if opts.gameday.is_some() && state.incident.is_none() && opts.follow.is_none() {
        // A game-day's own journal: `incident_opened`, then `gameday_started`.
        let effects = crate::state::gameday::open(&mut state);
        state.expect_replies(&effects);
        for e in effects {
            send_journal(&writer, e, &mut state);
        }
    } else if opts.mode == Mode::Demo && state.incident.is_none() && opts.follow.is_none() {
        // The demo opens its incident so the journal, follow and postmortem can be tried.
        let effects = state.open_incident(
            "Catalog p99 latency for acme-books (demo)".into(),
            Severity::P1,
        );
        state.expect_replies(&effects);
        for e in effects {
            send_journal(&writer, e, &mut state);
        }
    }
    let wake_alerts = std::sync::Arc::new(tokio::sync::Notify::new());
    if let Some(am) = opts.alertmanager.clone() {
        am.spawn(tx.clone(), wake_alerts.clone());
    }
    crate::gameday::abort::spawn_for_console(
        &state,
        opts.gameday.as_ref(),
        opts.follow.is_some(),
        opts.prometheus.as_ref(),
        &exec,
        &tx,
    );
    let prometheus = opts.prometheus.clone().map(std::sync::Arc::new);
    if let Some(p) = opts.prometheus {
        p.spawn(tx.clone());
    }
    // Kept for effect outcomes; the loop ends by an Exit effect.
    let effect_tx = tx;
    let am = opts.alertmanager.map(std::sync::Arc::new);

    let theme = opts.theme;
    let mut terminal = term::enter()?;
    // What each region drew last frame: an idle second redraws only the clocks' regions.
    let mut cache = ui::Cache::default();
    term::draw(&mut terminal, |buf, holds_last| {
        ui::draw_into(buf, &state, &theme, &mut cache, holds_last)
    })?;
    state.dirty = false;

    loop {
        let mut effects = std::mem::take(&mut pending);
        if effects.is_empty() {
            let Some(first) = rx.recv().await else {
                break;
            };
            // The backend keeps the terminal's size between frames; a resize makes it ask.
            // A resize also leaves the screen's contents unknown (terminals cut what falls
            // outside a smaller size), and a batch may hold a shrink and a grow back to the
            // size last drawn, which ratatui would see as no change at all: repaint in full.
            let mut resized = false;
            let mut seen = |ev: &Event| {
                if matches!(ev, Event::Resize(..) | Event::Redraw) {
                    terminal.backend().forget_size();
                }
                resized |= matches!(ev, Event::Resize(..));
            };
            seen(&first);
            effects = update(&mut state, first);
            for _ in 0..MAX_BATCH {
                match rx.try_recv() {
                    Ok(ev) => {
                        seen(&ev);
                        effects.extend(update(&mut state, ev));
                    }
                    Err(_) => break,
                }
            }
            if resized {
                effects.push(Effect::FullRedraw);
            }
        }
        for effect in effects {
            match effect {
                Effect::Exit(code) => {
                    tracing::info!(code, "exiting");
                    // A command still running dies with the console, group and all.
                    crate::exec::process::kill_all_running();
                    return Ok(code);
                }
                Effect::Suspend => {
                    term::suspend(&mut terminal)?;
                    terminal.backend().forget_size();
                    state.dirty = true;
                }
                Effect::FullRedraw => {
                    // Sent with the frame that follows, in the same write.
                    terminal.clear()?;
                    cache.clear();
                    state.dirty = true;
                }
                e @ (Effect::Journal { .. }
                | Effect::OpenIncident { .. }
                | Effect::OpenDrillRun { .. }) => send_journal(&writer, e, &mut state),
                Effect::Follow { dir } => {
                    tracing::info!(dir = %dir.display(), "following another console's drill run");
                    journal::spawn_follower(dir, 0, effect_tx.clone());
                }
                e @ (Effect::Gate { .. }
                | Effect::Execute { .. }
                | Effect::CancelExec
                | Effect::RemoveExperiments { .. }
                | Effect::ExecuteStop(_)) => exec.perform(e),
                e @ (Effect::MeasureRpo { .. }
                | Effect::ScoreDrill(_)
                | Effect::AppendDrillLog { .. }) => {
                    let tx = effect_tx.clone();
                    let prometheus = prometheus.clone();
                    tokio::spawn(async move {
                        if let Some(ev) = perform_drill(prometheus.as_deref(), e).await {
                            let _ = tx.send(ev).await;
                        }
                    });
                }
                other => {
                    let am = am.clone();
                    let tx = effect_tx.clone();
                    let wake = wake_alerts.clone();
                    tokio::spawn(async move {
                        if let Some(ev) = perform(am.as_deref(), other).await {
                            let changed = matches!(
                                ev,
                                Event::Outcome { ok: true, .. } | Event::Silenced { .. }
                            );
                            let _ = tx.send(ev).await;
                            if changed {
                                // Show the silence's effect without waiting for the interval.
                                wake.notify_one();
                            }
                        }
                    });
                }
            }
        }
        if state.dirty {
            term::draw(&mut terminal, |buf, holds_last| {
                ui::draw_into(buf, &state, &theme, &mut cache, holds_last)
            })?;
            state.dirty = false;
        }
    }
    Ok(0)
}

/// What resuming found: when the incident began, its journal if this console writes, and
/// what the replayed state asks for next.
struct Resumed {
    opened_at: chrono::DateTime<Utc>,
    writer: Option<journal::OpenJournal>,
    effects: Vec<Effect>,
}

/// Folds the incident to resume (or follow) into the state, through the same `Journaled`
/// events a live session produces. A second console on the same incident becomes a
/// read-only follower and says who holds it.
fn resume(
    state: &mut State,
    opts: &Options,
    tx: &mpsc::Sender<Event>,
) -> anyhow::Result<Option<Resumed>> {
    let Some(root) = &opts.incidents_dir else {
        return Ok(None);
    };
    let demo = opts.mode == Mode::Demo;
    let open = match &opts.gameday {
        Some(g) => store::latest_open_gameday(root, demo, &g.name),
        None => store::latest_open(root, demo),
    };
    let (summary, follow_only) = match (&opts.follow, &opts.drill) {
        (Some(s), _) => (s.clone(), true),
        // A drill console resumes only the unfinished run of its own drill.
        (None, Some(_)) => match &opts.drill_resume {
            Some(s) => (s.clone(), false),
            None => return Ok(None),
        },
        (None, None) => match open {
            Some(s) => (s, false),
            None => return Ok(None),
        },
    };
    let lock = if follow_only {
        Err(None)
    } else {
        match IncidentLock::acquire(&summary.dir, &LockHolder::me(&opts.user, Utc::now())) {
            Ok(lock) => Ok(lock),
            Err(LockError::Held(holder)) => Err(holder),
            Err(e) => return Err(e.into()),
        }
    };
    match lock {
        Ok(lock) => {
            let (journal, replay) = Journal::open(&summary.dir).map_err(|e| {
                anyhow::anyhow!("{e}\nThe incident journal is damaged. Fix or remove that line (keep a copy), then start again.")
            })?;
            tracing::info!(incident = %summary.id, records = replay.records.len(), "resuming");
            for r in replay.records {
                update(state, Event::Journaled(r));
            }
            if let Some(t) = replay.torn {
                update(
                    state,
                    Event::Warning(format!(
                        "A torn last journal line ({} bytes, from a crash mid-write) was set aside in {}",
                        t.bytes,
                        t.sidecar.display()
                    )),
                );
            }
            let effects = update(state, Event::JournalReady(JournalStatus::Writable));
            Ok(Some(Resumed {
                opened_at: summary.opened_at,
                writer: Some((journal, lock)),
                effects,
            }))
        }
        Err(holder) => {
            let records = store::read_records(&summary.dir)?;
            let n = records.len();
            for r in records {
                update(state, Event::Journaled(r));
            }
            let why = match holder {
                Some(h) => format!("held by {}", h.describe()),
                None => "following".to_string(),
            };
            update(state, Event::JournalReady(JournalStatus::ReadOnly(why)));
            journal::spawn_follower(summary.dir.clone(), n, tx.clone());
            Ok(Some(Resumed {
                opened_at: summary.opened_at,
                writer: None,
                effects: Vec::new(),
            }))
        }
    }
}

fn send_journal(
    writer: &Option<mpsc::UnboundedSender<journal::Command>>,
    effect: Effect,
    state: &mut State,
) {
    let cmd = match effect {
        Effect::Journal { kind, by } => journal::Command::Append { kind, by },
        Effect::OpenIncident { id, opened, by } => journal::Command::Open { id, opened, by },
        Effect::OpenDrillRun {
            id,
            opened,
            started,
            drill,
            by,
        } => journal::Command::OpenDrill {
            id,
            opened,
            started,
            drill,
            by,
        },
        _ => return,
    };
    let sent = writer.as_ref().is_some_and(|w| w.send(cmd).is_ok());
    if !sent {
        update(
            state,
            Event::JournalFailed("no data directory for incident journals".into()),
        );
    }
}

/// Terminal input. A read error means the terminal is gone: report it once and stop,
/// rather than spinning on a dead tty.
fn spawn_input(tx: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        let mut stream = EventStream::new();
        while let Some(ev) = stream.next().await {
            let out = match ev {
                Ok(TermEvent::Key(k)) => Event::Key(k),
                Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                Ok(TermEvent::FocusGained) => Event::Redraw,
                Ok(_) => continue,
                Err(e) => {
                    let _ = tx.send(Event::InputClosed(e.to_string())).await;
                    return;
                }
            };
            if tx.send(out).await.is_err() {
                return;
            }
        }
        let _ = tx
            .send(Event::InputClosed("end of terminal input".into()))
            .await;
    });
}

/// The 1 Hz tick, on the wall-clock second so the clock digits change when a wall clock's do.
fn spawn_ticks(tx: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(until_tick(Utc::now())).await;
            if tx.send(Event::Tick(Utc::now())).await.is_err() {
                return;
            }
        }
    });
}

fn spawn_signals(tx: mpsc::Sender<Event>) -> std::io::Result<()> {
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let sig = tokio::select! {
            _ = hup.recv() => Signal::Hangup,
            _ = term.recv() => Signal::Terminate,
            _ = int.recv() => Signal::Interrupt,
        };
        tracing::info!(?sig, "signal");
        let _ = tx.send(Event::Signal(sig)).await;
    });
    Ok(())
}
