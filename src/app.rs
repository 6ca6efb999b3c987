//! The runtime: starts the producers, folds their events into the state with `update`,
//! performs the effects, and draws once per burst of events, only when something changed.

use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::keymap::Keymap;
use crate::sources::demo::{self, Scenario};
use crate::sources::timing::until_next_second;
use crate::state::{Effect, Event, Mode, Signal, State, update};
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
    /// Runbooks loaded from the runbooks directory (live mode), sent as the first event.
    pub runbooks: Option<Vec<crate::runbook::Runbook>>,
    /// How many problems loading them found (details are in the log and `warroom lint`).
    pub runbook_problems: usize,
}

/// Runs the console until an effect asks to exit; returns the exit code. The terminal is
/// left in full-screen mode on return: the caller restores it on every path.
pub async fn run(opts: Options) -> anyhow::Result<u8> {
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    spawn_signals(tx.clone())?;
    spawn_input(tx.clone());
    spawn_ticks(tx.clone());
    if let Some(r) = opts.runbooks {
        tx.send(Event::RunbooksLoaded(r)).await?;
    }
    if opts.runbook_problems > 0 {
        tx.send(Event::Notice(format!(
            "{} runbook error(s) at load: run `warroom lint` for details.",
            opts.runbook_problems
        )))
        .await?;
    }
    if let Some(s) = opts.scenario {
        demo::spawn(s, tx.clone());
    }
    drop(tx);

    let mut state = State::new(opts.mode, opts.keymap, opts.read_only, Utc::now());
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
