//! Runs one command in its own process group, streams its output line by line (sanitized)
//! and ends it, with everything it started, on timeout or cancel.
//!
//! A process group is what makes cancel mean cancel: `sh -c 'sleep 600 &'` leaves a
//! grandchild that killing the shell alone would not stop, and which would keep the output
//! pipes open. The whole group gets SIGKILL, including after a normal exit, so nothing a
//! runbook command started outlives it.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};

use crate::sanitize;

/// Longest line passed on; the rest is cut with a visible marker.
pub const MAX_LINE_CHARS: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of output, already escaped: safe to draw and to journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub stream: Stream,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Ran to the end; see the exit code.
    Exited,
    TimedOut,
    Cancelled,
    /// Could not start (no such program, permissions).
    NotStarted(String),
}

impl Outcome {
    pub fn as_str(&self) -> String {
        match self {
            Outcome::Exited => "exited".into(),
            Outcome::TimedOut => "timed out".into(),
            Outcome::Cancelled => "cancelled".into(),
            Outcome::NotStarted(why) => format!("not started: {why}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub outcome: Outcome,
    /// The exit status, when the process exited by itself.
    pub exit_code: Option<i32>,
    pub duration: Duration,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Exited && self.exit_code == Some(0)
    }
}

/// Runs `argv` (no shell) until it exits, `timeout` passes, or `cancel` fires; sends each
/// output line to `lines` as it comes. Dropping the cancel sender does not cancel.
pub async fn run(
    argv: &[String],
    timeout: Duration,
    lines: mpsc::Sender<Line>,
    cancel: oneshot::Receiver<()>,
) -> Finished {
    let started = Instant::now();
    let not_started = |why: String| Finished {
        outcome: Outcome::NotStarted(sanitize::escape(&why).into_owned()),
        exit_code: None,
        duration: started.elapsed(),
    };
    let Some((program, args)) = argv.split_first() else {
        return not_started("empty command".into());
    };
    let mut cmd = Command::new(program);
    let parent = std::process::id();
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid) run.
    // If the console is SIGKILLed the command is killed too (the kernel sends SIGKILL when
    // the parent goes), so it cannot keep changing things unobserved; what it started in
    // the background is not covered, which is why the next start says its effect is unknown.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The console died before the prctl took effect.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("the console is gone"));
            }
            Ok(())
        });
    }
    let mut child = match cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so one signal reaches everything it starts.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return not_started(format!("{program}: {e}")),
    };
    // If this future is dropped (the console exits while the command runs), the guard
    // still kills the group: nothing keeps running unobserved.
    let mut group = GroupGuard::new(child.id());
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(forward(out, Stream::Stdout, lines.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(forward(err, Stream::Stderr, lines.clone())));
    }
    drop(lines);
    let cancelled = async {
        if cancel.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let (outcome, status) = tokio::select! {
        s = child.wait() => (Outcome::Exited, s.ok()),
        _ = tokio::time::sleep(timeout) => (Outcome::TimedOut, None),
        _ = cancelled => (Outcome::Cancelled, None),
    };
    // Whatever happened, nothing of the group survives it.
    group.kill_now();
    let status = match status {
        Some(s) => Some(s),
        None => child.wait().await.ok(),
    };
    for r in readers {
        // The group is dead, so the pipes close; do not hang on a stuck reader anyway.
        let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
    }
    Finished {
        exit_code: if outcome == Outcome::Exited {
            status.and_then(|s| s.code())
        } else {
            None
        },
        outcome,
        duration: started.elapsed(),
    }
}

/// Process groups of commands running now, so the console can kill them all when it exits
/// (a group is a process-wide thing, so one process-wide list).
static RUNNING: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Kills every running command's group: the console is exiting (quit, SIGHUP, SIGTERM).
pub fn kill_all_running() {
    let groups: Vec<u32> = match RUNNING.lock() {
        Ok(mut r) => std::mem::take(&mut *r).into_iter().collect(),
        Err(_) => return,
    };
    for g in groups {
        kill_group(g);
    }
}

/// Kills the process group once: explicitly, or when dropped.
struct GroupGuard(Option<u32>);

impl GroupGuard {
    fn new(pgid: Option<u32>) -> GroupGuard {
        if let (Some(g), Ok(mut r)) = (pgid, RUNNING.lock()) {
            r.insert(g);
        }
        GroupGuard(pgid)
    }

    fn kill_now(&mut self) {
        if let Some(pgid) = self.0.take() {
            let registered = RUNNING.lock().map(|mut r| r.remove(&pgid)).unwrap_or(true);
            // Not registered any more: `kill_all_running` already killed it.
            if registered {
                kill_group(pgid);
            }
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// SIGKILL to every process in the group `pgid`.
pub fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        // Never signal "every process" (0, -1) by accident.
        return;
    }
    // SAFETY: killpg only sends a signal; it takes plain integers and touches no memory.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

async fn forward<R: AsyncRead + Unpin>(r: R, stream: Stream, tx: mpsc::Sender<Line>) {
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                let text =
                    sanitize::escape_truncated(&String::from_utf8_lossy(&buf), MAX_LINE_CHARS);
                if tx.send(Line { stream, text }).await.is_err() {
                    // Nobody listens; keep draining so the child never blocks on a full pipe.
                    continue;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    async fn collect(
        argv: Vec<String>,
        timeout: Duration,
        cancel_after: Option<Duration>,
    ) -> (Finished, Vec<Line>) {
        let (tx, mut rx) = mpsc::channel(64);
        let (ctx, crx) = oneshot::channel();
        let canceller = tokio::spawn(async move {
            if let Some(d) = cancel_after {
                tokio::time::sleep(d).await;
                let _ = ctx.send(());
            } else {
                // Keep the sender alive without cancelling.
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(ctx);
            }
        });
        let runner = tokio::spawn(async move { run(&argv, timeout, tx, crx).await });
        let mut got = Vec::new();
        while let Some(l) = rx.recv().await {
            got.push(l);
        }
        let fin = runner.await.unwrap();
        canceller.abort();
        (fin, got)
    }

    #[tokio::test]
    async fn output_is_streamed_sanitized_with_exit_code_and_duration() {
        let (fin, lines) = collect(
            sh("echo one; echo 'two\u{1b}]0;x\u{7}' ; echo err >&2; exit 3"),
            Duration::from_secs(10),
            None,
        )
        .await;
        assert_eq!(fin.outcome, Outcome::Exited);
        assert_eq!(fin.exit_code, Some(3));
        assert!(!fin.succeeded());
        let out: Vec<&str> = lines
            .iter()
            .filter(|l| l.stream == Stream::Stdout)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(out, ["one", "two\\u{001B}]0;x\\u{0007}"]);
        assert!(
            lines
                .iter()
                .any(|l| l.stream == Stream::Stderr && l.text == "err")
        );
    }

    #[tokio::test]
    async fn arguments_are_not_interpreted_by_a_shell() {
        let (fin, lines) = collect(
            vec!["echo".into(), "$(reboot); `x` | y".into()],
            Duration::from_secs(10),
            None,
        )
        .await;
        assert!(fin.succeeded());
        assert_eq!(lines[0].text, "$(reboot); `x` | y");
    }

    #[tokio::test]
    async fn a_missing_program_is_reported_not_panicked() {
        let (fin, _) = collect(
            vec!["/nonexistent/warroom-test".into()],
            Duration::from_secs(5),
            None,
        )
        .await;
        assert!(matches!(fin.outcome, Outcome::NotStarted(_)));
    }

    fn alive(pid: i32) -> bool {
        // /proc/PID exists and is not a zombie.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(s) => !s.contains(") Z "),
            Err(_) => false,
        }
    }

    async fn grandchild_dies(timeout: Duration, cancel: Option<Duration>, want: Outcome) {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!(
            "sleep 300 & echo $! > {}; echo started; wait",
            pidfile.display()
        );
        let started = Instant::now();
        let (fin, lines) = collect(sh(&script), timeout, cancel).await;
        assert_eq!(fin.outcome, want);
        assert_eq!(fin.exit_code, None);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(lines[0].text, "started");
        assert_grandchild_dies(&pidfile).await;
    }

    /// The grandchild whose pid the script wrote to `pidfile` is gone within a second.
    async fn assert_grandchild_dies(pidfile: &std::path::Path) {
        let pid: i32 = std::fs::read_to_string(pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        for _ in 0..50 {
            if !alive(pid) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("grandchild {pid} survived");
    }

    #[tokio::test]
    async fn cancel_kills_the_whole_group_including_grandchildren() {
        grandchild_dies(
            Duration::from_secs(60),
            Some(Duration::from_millis(300)),
            Outcome::Cancelled,
        )
        .await;
    }

    #[tokio::test]
    async fn dropping_the_run_kills_the_group_too() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
        let (tx, _rx) = mpsc::channel(64);
        let (_keep, cancel) = oneshot::channel();
        let argv = sh(&script);
        let run = run(&argv, Duration::from_secs(60), tx, cancel);
        // The console going away mid-run: the future is dropped, never finished.
        assert!(
            tokio::time::timeout(Duration::from_millis(500), run)
                .await
                .is_err()
        );
        assert_grandchild_dies(&pidfile).await;
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        grandchild_dies(Duration::from_millis(300), None, Outcome::TimedOut).await;
    }
}
