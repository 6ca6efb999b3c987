//! A mitigation cut short by the console's own end (quit, SIGHUP, SIGTERM, a panic) still
//! gets an outcome record, so the journal never holds a confirmed action whose fate it
//! does not state. The journal thread knows which intents have no outcome yet; this file
//! knows which of them actually started, and [`finish`] kills every running process group
//! and asks the journal thread to record each open intent as interrupted, fsynced, before
//! the process exits.
//!
//! A SIGKILL leaves no chance for any of this: the next start finds the intent without an
//! outcome and records it as interrupted with its effect unknown
//! (`crate::state::mitigation::settle_unfinished`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::sources::journal::Command;

/// How long the console waits at exit for the interrupted outcomes to be on disk.
pub const FLUSH_WAIT: Duration = Duration::from_secs(3);

/// What carries a mitigation out: it decides what an interruption leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// A process group, which the console kills on its way out.
    Process,
    /// A Kubernetes API call: once sent it cannot be called back, so an interruption
    /// leaves its effect unknown.
    Kube,
}

/// Mitigations running now, by intent id, with when they started and on what.
static STARTED: Mutex<BTreeMap<String, (Instant, Runner)>> = Mutex::new(BTreeMap::new());

/// The journal thread's command queue, once it runs.
static JOURNAL: Mutex<Option<UnboundedSender<Command>>> = Mutex::new(None);

/// A confirmed mitigation starts running.
pub fn started(id: &str, runner: Runner) {
    if let Ok(mut s) = STARTED.lock() {
        s.insert(id.to_string(), (Instant::now(), runner));
    }
}

/// Its outcome is recorded: forget it. Returns when it started and on what, if it did.
pub fn ended(id: &str) -> Option<(Instant, Runner)> {
    STARTED.lock().ok().and_then(|mut s| s.remove(id))
}

/// The journal thread registers its queue so [`finish`] can reach it from any exit path.
pub fn register_journal(tx: UnboundedSender<Command>) {
    if let Ok(mut j) = JOURNAL.lock() {
        *j = Some(tx);
    }
}

/// The outcome text for an intent that had no outcome when the console ended: a process
/// was killed with its group; an API call may have gone through, so its effect is unknown.
pub fn interrupted_text(why: &str, started: Option<Runner>) -> String {
    match started {
        Some(Runner::Process) => format!("interrupted: {why}; its process group was killed"),
        Some(Runner::Kube) => format!(
            "interrupted: {why}; the API call was under way and may have gone through: {EFFECT_UNKNOWN}, check it"
        ),
        None => format!("interrupted before it started: {why}; nothing ran"),
    }
}

/// What every outcome whose effect nobody knows says.
pub const EFFECT_UNKNOWN: &str = "its effect is unknown";

/// The outcome leaves the action's effect unknown (a kube call cut short, a console killed
/// while it ran): the audit and the screen point it out.
pub fn effect_unknown(outcome: &str) -> bool {
    outcome.contains(EFFECT_UNKNOWN)
}

/// The console is ending: kill every running command's process group, then record every
/// open intent as interrupted and wait (at most `wait`) until that is fsynced. Safe to call
/// more than once and from a panic hook; it never waits on the journal thread from the
/// journal thread itself.
pub fn finish(why: &str, wait: Duration) {
    super::process::kill_all_running();
    let tx = JOURNAL.lock().ok().and_then(|j| j.clone());
    let Some(tx) = tx else {
        return;
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let sent = tx
        .send(Command::Interrupt {
            why: why.to_string(),
            done: done_tx,
        })
        .is_ok();
    if !sent || std::thread::current().name() == Some(crate::sources::journal::THREAD) {
        return;
    }
    let _ = done_rx.recv_timeout(wait);
}

/// Why the console ended, from its exit code.
pub fn exit_reason(code: u8) -> &'static str {
    match code {
        129 => "the console got SIGHUP (terminal gone)",
        143 => "the console got SIGTERM",
        130 => "the console got SIGINT",
        0 => "the console quit",
        _ => "the console stopped on an error",
    }
}
