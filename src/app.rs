//! The runtime: starts the producers, folds their events into the state with `update`,
//! performs the effects, and draws once per burst of events, only when something changed.

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::keymap::Keymap;
use crate::sources::alertmanager::Alertmanager;
use crate::sources::demo::{self, Scenario};
use crate::sources::prometheus::Prometheus;
use crate::sources::timing::until_next_second;
use crate::state::{Effect, Event, Mode, Signal, SourceHealth, State, update};
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
    /// Who acks and silences (config `user:` or `$USER`).
    pub user: String,
    pub alertmanager: Option<Alertmanager>,
    pub prometheus: Option<Prometheus>,
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
                    Event::Outcome {
                        ok: true,
                        text: format!("Silence {id} created."),
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
        Effect::RecordAck { fingerprint, ack } => {
            // The incident journal will keep the durable record; the log has it meanwhile.
            tracing::info!(%fingerprint, by = %ack.by, at = %ack.at, "ack");
            None
        }
        Effect::Exit(_) | Effect::Suspend | Effect::FullRedraw => None,
    }
}

/// Runs the console until an effect asks to exit; returns the exit code. The terminal is
/// left in full-screen mode on return: the caller restores it on every path.
pub async fn run(opts: Options) -> anyhow::Result<u8> {
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    spawn_signals(tx.clone())?;
    spawn_input(tx.clone());
    spawn_ticks(tx.clone());
    let sources = opts.sources();
    // The demo's first events are folded before the first frame, so the screen never shows
    // an empty demo (and a key pressed at once meets the scenario already running).
    let mut first_events = Vec::new();
    if let Some(s) = opts.scenario {
        let mut player = demo::DemoPlayer::new(s, Utc::now());
        first_events = player.advance(Utc::now());
        demo::spawn_player(player, tx.clone());
    }
    let wake_alerts = std::sync::Arc::new(tokio::sync::Notify::new());
    if let Some(am) = opts.alertmanager.clone() {
        am.spawn(tx.clone(), wake_alerts.clone());
    }
    if let Some(p) = opts.prometheus {
        p.spawn(tx.clone());
    }
    // Kept for effect outcomes; the loop ends by an Exit effect.
    let effect_tx = tx;
    let am = opts.alertmanager.map(std::sync::Arc::new);

    let mut state = State::new(opts.mode, opts.keymap, opts.read_only, Utc::now());
    state.user = opts.user;
    state.sources = sources;
    for ev in first_events {
        update(&mut state, ev);
    }
    let theme = opts.theme;
    let mut terminal = term::enter()?;
    term::draw(&mut terminal, |f| ui::draw(f, &state, &theme))?;
    state.dirty = false;

    while let Some(first) = rx.recv().await {
        let mut effects = update(&mut state, first);
        for _ in 0..MAX_BATCH {
            match rx.try_recv() {
                Ok(ev) => effects.extend(update(&mut state, ev)),
                Err(_) => break,
            }
        }
        for effect in effects {
            match effect {
                Effect::Exit(code) => {
                    tracing::info!(code, "exiting");
                    return Ok(code);
                }
                Effect::Suspend => {
                    term::suspend(&mut terminal)?;
                    state.dirty = true;
                }
                Effect::FullRedraw => {
                    terminal.clear()?;
                    state.dirty = true;
                }
                other => {
                    let am = am.clone();
                    let tx = effect_tx.clone();
                    let wake = wake_alerts.clone();
                    tokio::spawn(async move {
                        if let Some(ev) = perform(am.as_deref(), other).await {
                            let changed = matches!(ev, Event::Outcome { ok: true, .. });
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
            term::draw(&mut terminal, |f| ui::draw(f, &state, &theme))?;
            state.dirty = false;
        }
    }
    Ok(0)
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
            tokio::time::sleep(until_next_second(Utc::now()) + Duration::from_millis(2)).await;
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
