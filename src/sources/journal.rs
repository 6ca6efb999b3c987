//! The journal's own thread: it appends and fsyncs records in the order the runtime asks,
//! off the UI task (an fsync can take milliseconds), and sends each record back once it is
//! on disk. A follower task does the reading side for read-only viewers.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::incident::lock::{IncidentLock, LockHolder};
use crate::incident::{Journal, RecordKind, journal::Follower};
use crate::state::{Event, JournalStatus};

pub enum Command {
    /// Create `<root>/<id>/`, take its lock, write the first record.
    Open {
        id: String,
        opened: RecordKind,
        by: Option<String>,
    },
    /// Start a drill run: like `Open`, with its `drill_started` written right after the
    /// first record, both under the drill's start lock and only if no unfinished run of
    /// the drill exists. Of two consoles starting the same drill at once, one starts the
    /// run; the other is told whose run it is ([`Event::DrillTaken`]) and follows it.
    OpenDrill {
        id: String,
        opened: RecordKind,
        started: Box<RecordKind>,
        drill: String,
        by: Option<String>,
    },
    Append {
        kind: RecordKind,
        by: Option<String>,
    },
    /// The console is ending: record every intent without an outcome as interrupted, then
    /// say so on `done` (see `crate::exec::interrupt`).
    Interrupt {
        why: String,
        done: std::sync::mpsc::Sender<()>,
    },
}

/// The journal thread's name: the exit path never waits on it from the thread itself.
pub const THREAD: &str = "journal";

/// An incident journal already open (resumed at start) with its lock.
pub type OpenJournal = (Journal, IncidentLock);

/// Starts the writer thread. `root` is the incidents directory.
pub fn spawn_writer(
    root: PathBuf,
    user: String,
    open: Option<OpenJournal>,
    events: mpsc::Sender<Event>,
) -> mpsc::UnboundedSender<Command> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    crate::exec::interrupt::register_journal(tx.clone());
    std::thread::Builder::new()
        .name(THREAD.into())
        .spawn(move || {
            let mut current = open;
            // Intents written without an outcome yet: what an interruption must settle.
            let mut open_intents: Vec<String> = Vec::new();
            // After one failed write the file may end in a partial line: never append to it
            // again in this run (the next start sets that tail aside).
            let mut broken: Option<String> = None;
            while let Some(cmd) = rx.blocking_recv() {
                let reply = match (cmd, &mut current, &broken) {
                    (Command::Interrupt { why, done }, current, broken) => {
                        if let (Some((journal, _)), None) = (current, broken) {
                            interrupt(journal, &mut open_intents, &why, &events);
                        }
                        let _ = done.send(());
                        continue;
                    }
                    (_, _, Some(why)) => Event::JournalFailed(why.clone()),
                    (Command::Open { id, opened, by }, _, None) => {
                        match open_new(&root, &id, &user, opened, by) {
                            Ok((journal, lock, first)) => {
                                current = Some((journal, lock));
                                let _ = events
                                    .blocking_send(Event::JournalReady(JournalStatus::Writable));
                                Event::Journaled(first)
                            }
                            Err(e) => {
                                broken = Some(e.clone());
                                Event::JournalFailed(e)
                            }
                        }
                    }
                    (
                        Command::OpenDrill {
                            id,
                            opened,
                            started,
                            drill,
                            by,
                        },
                        _,
                        None,
                    ) => match open_drill(&root, &id, &user, &drill, opened, started, by) {
                        Ok(DrillOpen::Started(opened)) => {
                            let (journal, lock, first, second) = *opened;
                            current = Some((journal, lock));
                            let _ =
                                events.blocking_send(Event::JournalReady(JournalStatus::Writable));
                            let _ = events.blocking_send(Event::Journaled(first));
                            Event::Journaled(second)
                        }
                        Ok(DrillOpen::Taken { dir, why }) => Event::DrillTaken { dir, why },
                        Err(e) => {
                            broken = Some(e.clone());
                            Event::JournalFailed(e)
                        }
                    },
                    (Command::Append { kind, by }, Some((journal, _)), None) => {
                        match journal.append(Utc::now(), by, kind) {
                            Ok(record) => {
                                track(&mut open_intents, &record.kind);
                                Event::Journaled(record)
                            }
                            Err(e) => {
                                tracing::error!("journal append failed: {e}");
                                broken = Some(e.to_string());
                                Event::JournalFailed(e.to_string())
                            }
                        }
                    }
                    (Command::Append { .. }, None, None) => {
                        Event::JournalFailed("no incident journal is open".into())
                    }
                };
                // Nobody listening means the console is ending: keep serving, because an
                // interruption may still have outcomes to write.
                let _ = events.blocking_send(reply);
            }
        })
        .expect("spawning the journal thread");
    tx
}

/// Keeps the list of intents that have no outcome yet.
fn track(open: &mut Vec<String>, kind: &RecordKind) {
    match kind {
        RecordKind::MitigationIntent { id, .. } => open.push(id.clone()),
        RecordKind::MitigationOutcome { id, .. } => {
            open.retain(|o| o != id);
            crate::exec::interrupt::ended(id);
        }
        _ => {}
    }
}

/// Writes an `interrupted` outcome (fsynced, like every record) for each open intent.
fn interrupt(
    journal: &mut Journal,
    open: &mut Vec<String>,
    why: &str,
    events: &mpsc::Sender<Event>,
) {
    for id in std::mem::take(open) {
        let started = crate::exec::interrupt::ended(&id);
        let kind = RecordKind::MitigationOutcome {
            id: id.clone(),
            exit_code: None,
            duration_ms: started.map_or(0, |(t, _)| t.elapsed().as_millis() as u64),
            outcome: crate::exec::interrupt::interrupted_text(why, started.map(|(_, r)| r)),
        };
        match journal.append(Utc::now(), None, kind) {
            Ok(record) => {
                tracing::warn!(intent = %id, "mitigation interrupted: {why}");
                // The console may be gone or stuck in a panic: never block on it here.
                let _ = events.try_send(Event::Journaled(record));
            }
            Err(e) => tracing::error!(intent = %id, "could not record the interruption: {e}"),
        }
    }
}

fn open_new(
    root: &std::path::Path,
    id: &str,
    user: &str,
    opened: RecordKind,
    by: Option<String>,
) -> Result<(Journal, IncidentLock, crate::incident::Record), String> {
    if !crate::incident::store::valid_id(id) {
        return Err(format!("`{id}` is not a valid incident id"));
    }
    let dir = root.join(id);
    let lock = IncidentLock::acquire(&dir, &LockHolder::me(user, Utc::now()))
        .map_err(|e| e.to_string())?;
    let (mut journal, replay) = Journal::open(&dir).map_err(|e| e.to_string())?;
    if !replay.records.is_empty() {
        return Err(format!("incident {id} already exists"));
    }
    let first = journal
        .append(Utc::now(), by, opened)
        .map_err(|e| e.to_string())?;
    Ok((journal, lock, first))
}

/// How long starting a drill run waits for another console that is starting it too.
const START_WAIT: Duration = Duration::from_secs(5);

/// What starting a drill run came to.
enum DrillOpen {
    /// This console's run: its journal, lock, `incident_opened` and `drill_started`.
    Started(
        Box<(
            Journal,
            IncidentLock,
            crate::incident::Record,
            crate::incident::Record,
        )>,
    ),
    /// An unfinished run of the drill exists: its directory, and whose it is.
    Taken { dir: PathBuf, why: String },
}

/// Starts a run of `drill` unless one is unfinished. The drill's start lock
/// (`<root>/.drill-NAME/lock`) is held from the look for an unfinished run until the new
/// run's `drill_started` is on disk, so the next console to look finds it.
fn open_drill(
    root: &std::path::Path,
    id: &str,
    user: &str,
    drill: &str,
    opened: RecordKind,
    started: Box<RecordKind>,
    by: Option<String>,
) -> Result<DrillOpen, String> {
    use crate::incident::lock::LockError;
    if !crate::drill::model::valid_name(drill) {
        return Err(format!("`{drill}` is not a drill name"));
    }
    let me = LockHolder::me(user, Utc::now());
    let _start =
        IncidentLock::acquire_waiting(&root.join(format!(".drill-{drill}")), &me, START_WAIT)
            .map_err(|e| format!("cannot start drill {drill}: {e}"))?;
    if let Some(run) = crate::incident::store::unfinished_drill(root, drill) {
        let why = match IncidentLock::acquire(&run.dir, &me) {
            Err(LockError::Held(holder)) => format!(
                "run {} held by {}",
                run.id,
                holder.map_or_else(|| "another console".to_string(), |h| h.describe()),
            ),
            _ => format!(
                "run {} is unfinished: `warroom drill {drill}` again resumes it",
                run.id
            ),
        };
        return Ok(DrillOpen::Taken { dir: run.dir, why });
    }
    let (mut journal, lock, first) = open_new(root, id, user, opened, by.clone())?;
    let second = journal
        .append(Utc::now(), by, *started)
        .map_err(|e| e.to_string())?;
    Ok(DrillOpen::Started(Box::new((journal, lock, first, second))))
}

/// Follows a journal written by another console, sending each new record as it lands.
/// Starts after `skip` records (those already replayed).
pub fn spawn_follower(dir: PathBuf, skip: usize, events: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        let mut follower = Follower::new(&dir);
        let mut skipped = 0;
        loop {
            match follower.poll() {
                Ok(records) => {
                    for r in records {
                        if skipped < skip {
                            skipped += 1;
                            continue;
                        }
                        if events.send(Event::Journaled(r)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = events
                        .send(Event::Warning(format!(
                            "following the journal stopped: {e}"
                        )))
                        .await;
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
}
