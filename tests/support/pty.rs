//! A pseudo-terminal harness: runs a program (normally the real `warroom` binary) in a pty,
//! feeds everything it prints through a `vt100` emulator, keeps the raw byte log, and answers
//! the terminal queries a real terminal answers.
//!
//! ```ignore
//! let mut s = Session::spawn(&["--demo"], 120, 40);
//! s.wait_for_text("Alerts");
//! s.send_key(Key::Char('q'));
//! let status = s.wait_exit(TIMEOUT);
//! ```
//!
//! Every wait is a wait for a condition with a deadline; on timeout it panics with the
//! description, the whole screen and the tail of the raw output.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use portable_pty::ExitStatus;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// The deadline for any single wait. Generous on purpose: CI is a slow, shared 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How often `wait_exit` polls the child, and the longest a condition wait sleeps between
/// re-checks (new output wakes it earlier).
const POLL: Duration = Duration::from_millis(25);

/// The reply to the primary device attributes query (`ESC [ c`): a VT220 with ANSI colour.
pub const DA1_REPLY: &[u8] = b"\x1b[?62;22c";

/// Environment variables the child never inherits from the person running the tests (a test
/// may still set them with [`SessionBuilder::env`]). Any `WARROOM_*` variable is removed too.
const SCRUBBED_VARS: &[&str] = &[
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLORTERM",
    "WARROOM_CONFIG",
    "KUBECONFIG",
];

/// Linux `termios` local-mode bits (`c_lflag`), used by [`Session::cooked_mode`].
const ICANON: u32 = 0o000002;
const ECHO: u32 = 0o000010;

/// A key press, encoded the way xterm sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// Control plus a letter, e.g. `Ctrl('c')`.
    Ctrl(char),
    Enter,
    Tab,
    BackTab,
    /// A lone ESC. Wait for its effect before sending the next key: a program that reads
    /// ESC and the next key in one read sees Alt+key, exactly as with a real terminal.
    Esc,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

impl Key {
    /// The bytes a terminal sends for this key; arrows depend on the application cursor mode
    /// (DECCKM) the program has set.
    pub fn bytes(self, application_cursor: bool) -> Vec<u8> {
        let arrow = |c: u8| {
            if application_cursor {
                vec![0x1b, b'O', c]
            } else {
                vec![0x1b, b'[', c]
            }
        };
        match self {
            Key::Char(c) => c.to_string().into_bytes(),
            Key::Ctrl(c) => vec![(c.to_ascii_lowercase() as u8) & 0x1f],
            Key::Enter => b"\r".to_vec(),
            Key::Tab => b"\t".to_vec(),
            Key::BackTab => b"\x1b[Z".to_vec(),
            Key::Esc => b"\x1b".to_vec(),
            Key::Backspace => b"\x7f".to_vec(),
            Key::Up => arrow(b'A'),
            Key::Down => arrow(b'B'),
            Key::Right => arrow(b'C'),
            Key::Left => arrow(b'D'),
            Key::Home => arrow(b'H'),
            Key::End => arrow(b'F'),
            Key::PageUp => b"\x1b[5~".to_vec(),
            Key::PageDown => b"\x1b[6~".to_vec(),
        }
    }
}

/// Answers the queries a real terminal answers. It runs inside the vt100 parser, so a query
/// split across two reads is still recognised, and the cursor position reported is the one
/// at the exact point of the query in the byte stream.
#[derive(Default)]
pub struct Responder {
    /// Bytes to send back to the program; the reader thread drains this after every read.
    pending: Vec<u8>,
    /// How many queries have been answered so far.
    answered: usize,
}

impl vt100::Callbacks for Responder {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, i2, c, first) {
            // Device status report: cursor position (CPR), 1-based.
            (None, None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.pending
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            // Device status report: "terminal OK".
            (None, None, 'n', 5) => self.pending.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes.
            (None, None, 'c', 0) => self.pending.extend_from_slice(DA1_REPLY),
            _ => return,
        }
        self.answered += 1;
    }
}

impl Responder {
    /// Takes the replies owed to the program.
    pub fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    pub fn answered(&self) -> usize {
        self.answered
    }
}

struct State {
    parser: vt100::Parser<Responder>,
    raw: Vec<u8>,
    /// The reader saw end of file or an error: the program and everything it started have
    /// closed the terminal.
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds a [`Session`]: program, arguments, size, extra environment.
pub struct SessionBuilder {
    program: OsString,
    args: Vec<OsString>,
    cols: u16,
    rows: u16,
    env: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
    sandbox: tempfile::TempDir,
}

impl SessionBuilder {
    /// Runs `program`, at 80x24 unless [`size`](Self::size) says otherwise.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let sandbox = tempfile::Builder::new()
            .prefix("warroom-pty-")
            .tempdir()
            .expect("create a temporary directory for the session");
        for dir in ["home", "config", "state", "data", "cache", "work"] {
            std::fs::create_dir(sandbox.path().join(dir)).expect("create sandbox directory");
        }
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cols: 80,
            rows: 24,
            env: Vec::new(),
            cwd: None,
            sandbox,
        }
    }

    /// Runs the `warroom` binary built by cargo for this test run.
    pub fn warroom() -> Self {
        Self::new(env!("CARGO_BIN_EXE_warroom"))
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn size(mut self, cols: u16, rows: u16) -> Self {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// Sets a variable in the child's environment; this wins over the isolation defaults
    /// (`HOME`, `XDG_*`, `TERM`) and over the scrubbing of `NO_COLOR`, `WARROOM_CONFIG`, ...
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes a variable from the child's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// The working directory; by default an empty directory inside the sandbox.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The session's private directory: `home/`, `config/` (`XDG_CONFIG_HOME`), `state/`,
    /// `data/`, `cache/` and `work/` (the default working directory). Tests may write files
    /// here (e.g. a config) before spawning.
    pub fn sandbox(&self) -> &Path {
        self.sandbox.path()
    }

    pub fn home(&self) -> PathBuf {
        self.sandbox().join("home")
    }

    pub fn config_home(&self) -> PathBuf {
        self.sandbox().join("config")
    }

    pub fn state_home(&self) -> PathBuf {
        self.sandbox().join("state")
    }

    pub fn spawn(self) -> Session {
        let size = PtySize {
            rows: self.rows,
            cols: self.cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        let pair = native_pty_system()
            .openpty(size)
            .expect("open a pseudo-terminal");

        let mut cmd = CommandBuilder::new(&self.program);
        cmd.args(&self.args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WARROOM_") {
                cmd.env_remove(key);
            }
        }
        for key in SCRUBBED_VARS {
            cmd.env_remove(key);
        }
        let dir = |name: &str| self.sandbox.path().join(name);
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", dir("home"));
        cmd.env("XDG_CONFIG_HOME", dir("config"));
        cmd.env("XDG_STATE_HOME", dir("state"));
        cmd.env("XDG_DATA_HOME", dir("data"));
        cmd.env("XDG_CACHE_HOME", dir("cache"));
        for (key, value) in &self.env {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            }
        }
        cmd.cwd(self.cwd.clone().unwrap_or_else(|| dir("work")));

        let label = std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("spawn `{label}` in a pty: {e:#}"));
        // Our copy of the slave side must go, or the reader never sees end of file.
        drop(pair.slave);

        let reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                parser: vt100::Parser::new_with_callbacks(
                    self.rows,
                    self.cols,
                    0,
                    Responder::default(),
                ),
                raw: Vec::new(),
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let pump = {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            std::thread::Builder::new()
                .name("pty-reader".into())
                .spawn(move || pump(reader, &shared, &writer))
                .expect("start the pty reader thread")
        };

        Session {
            label,
            master: pair.master,
            writer,
            child,
            shared,
            _reader: pump,
            exit: None,
            _sandbox: self.sandbox,
        }
    }
}

/// Reads the program's output until end of file: logs it, emulates it, answers queries.
fn pump(mut reader: Box<dyn Read + Send>, shared: &Shared, writer: &Writer) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Linux reports EIO once the last slave descriptor is closed.
            Err(_) => break,
        };
        let replies = {
            let mut st = lock(&shared.state);
            st.raw.extend_from_slice(&buf[..n]);
            // vt100 0.16 underflows in the middle of a resize storm (a cursor left below
            // a shrunken screen, or a frame drawn for the previous size). That is the
            // emulator's bug, not the program's: start a fresh emulator at the current
            // size and tell the program its terminal regained focus, as a terminal does,
            // which makes it repaint in full: the fresh emulator has no earlier frame for
            // the program's next diff to apply to.
            let chunk = &buf[..n];
            let processed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                st.parser.process(chunk);
            }));
            let mut pending = Vec::new();
            if processed.is_err() {
                let (rows, cols) = st.parser.screen().size();
                let alternate = st.parser.screen().alternate_screen();
                st.parser = vt100::Parser::new_with_callbacks(rows, cols, 0, Responder::default());
                if alternate {
                    st.parser.process(b"\x1b[?1049h");
                }
                pending.extend_from_slice(b"\x1b[I");
            }
            pending.extend(st.parser.callbacks_mut().take_pending());
            pending
        };
        shared.changed.notify_all();
        if !replies.is_empty() {
            let mut w = lock(writer);
            // The program may already be gone; nothing to do about a failed reply then.
            let _ = w.write_all(&replies).and_then(|()| w.flush());
        }
    }
    lock(&shared.state).closed = true;
    shared.changed.notify_all();
}

/// A program running in a pseudo-terminal. Dropping it kills the program if it still runs.
pub struct Session {
    label: String,
    master: Box<dyn MasterPty + Send>,
    writer: Writer,
    child: Box<dyn Child + Send + Sync>,
    shared: Arc<Shared>,
    /// Detached on drop: a grandchild may keep the terminal open after the child is gone.
    _reader: JoinHandle<()>,
    exit: Option<ExitStatus>,
    _sandbox: tempfile::TempDir,
}

impl Session {
    /// Runs the `warroom` binary with `args` in a `cols` x `rows` terminal, with an isolated
    /// environment (see [`SessionBuilder`]).
    pub fn spawn(args: &[&str], cols: u16, rows: u16) -> Session {
        SessionBuilder::warroom()
            .args(args)
            .size(cols, rows)
            .spawn()
    }

    /// Like [`spawn`](Self::spawn), with extra environment variables.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Session {
        env.iter()
            .fold(
                SessionBuilder::warroom().args(args).size(cols, rows),
                |b, (k, v)| b.env(k, v),
            )
            .spawn()
    }

    /// Runs any program (the harness's own tests use `/bin/sh -c ...`).
    pub fn builder(program: impl AsRef<OsStr>) -> SessionBuilder {
        SessionBuilder::new(program)
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the child has a process id")
    }

    /// Sends a signal by name (`"TERM"`, `"HUP"`, `"INT"`, ...) with kill(1).
    pub fn signal(&self, sig: &str) {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(&pid)
            .status()
            .unwrap_or_else(|e| panic!("run `kill -{sig} {pid}`: {e}"));
        assert!(status.success(), "`kill -{sig} {pid}` failed: {status}");
    }

    /// Writes bytes to the program's terminal, as if typed.
    pub fn send(&self, bytes: impl AsRef<[u8]>) {
        let mut w = lock(&self.writer);
        w.write_all(bytes.as_ref())
            .and_then(|()| w.flush())
            .unwrap_or_else(|e| panic!("write to the pty of `{}`: {e}", self.label));
    }

    pub fn send_key(&self, key: Key) {
        let app_cursor = self.with_screen(vt100::Screen::application_cursor);
        self.send(key.bytes(app_cursor));
    }

    pub fn send_keys(&self, keys: &[Key]) {
        for key in keys {
            self.send_key(*key);
        }
    }

    /// Resizes the terminal (the kernel sends SIGWINCH) and the emulated screen together.
    pub fn resize(&self, cols: u16, rows: u16) {
        let mut st = lock(&self.shared.state);
        // vt100 0.16 underflows when a two-column character meets a one-column screen (a
        // frame drawn for the previous size can arrive after the resize). Two columns are
        // the least that holds any character; the program still sees `cols`.
        st.parser.screen_mut().set_size(rows, cols.max(2));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("resize the pty to {cols}x{rows}: {e:#}"));
    }

    /// `(cols, rows)` of the emulated screen.
    pub fn size(&self) -> (u16, u16) {
        let (rows, cols) = self.with_screen(vt100::Screen::size);
        (cols, rows)
    }

    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(lock(&self.shared.state).parser.screen())
    }

    /// A snapshot of the emulated screen.
    pub fn screen(&self) -> vt100::Screen {
        self.with_screen(Clone::clone)
    }

    /// The text on the screen, rows separated by newlines, trailing blanks trimmed.
    pub fn screen_text(&self) -> String {
        self.with_screen(vt100::Screen::contents)
    }

    /// Everything the program wrote to the terminal so far.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.shared.state).raw.clone()
    }

    /// How many terminal queries the harness has answered.
    pub fn queries_answered(&self) -> usize {
        lock(&self.shared.state).parser.callbacks().answered()
    }

    /// Waits until `pred` holds for the screen; panics after `timeout` with `description`
    /// and the whole screen.
    pub fn wait_for(
        &self,
        description: &str,
        timeout: Duration,
        pred: impl Fn(&vt100::Screen) -> bool,
    ) {
        self.wait_until(description, timeout, |st| pred(st.parser.screen()));
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for_text(&self, text: &str) {
        self.wait_for(&format!("the screen to show {text:?}"), TIMEOUT, |s| {
            s.contents().contains(text)
        });
    }

    /// Waits until `pred` holds for the raw output so far.
    pub fn wait_for_output(
        &self,
        description: &str,
        timeout: Duration,
        pred: impl Fn(&[u8]) -> bool,
    ) {
        self.wait_until(description, timeout, |st| pred(&st.raw));
    }

    fn wait_until(&self, description: &str, timeout: Duration, pred: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.shared.state);
        loop {
            if pred(&st) {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                let report = report(&st);
                drop(st);
                panic!(
                    "timed out after {timeout:?} waiting for {description}\n\
                     program: {}\n{report}",
                    self.label
                );
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, (deadline - now).min(POLL * 4))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The exit status if the program has exited, without waiting.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self
                .child
                .try_wait()
                .unwrap_or_else(|e| panic!("try_wait on `{}`: {e}", self.label));
        }
        self.exit.clone()
    }

    pub fn is_running(&mut self) -> bool {
        self.try_exit().is_none()
    }

    /// Waits for the program to exit, then (within the same deadline) for the reader to drain
    /// the terminal, so [`raw_output`](Self::raw_output) holds everything the program wrote.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.try_exit() {
                break status;
            }
            if Instant::now() >= deadline {
                let report = report(&lock(&self.shared.state));
                panic!(
                    "timed out after {timeout:?} waiting for `{}` (pid {}) to exit\n{report}",
                    self.label,
                    self.pid()
                );
            }
            std::thread::sleep(POLL);
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut st = lock(&self.shared.state);
        if !st.closed {
            st = self
                .shared
                .changed
                .wait_timeout_while(st, remaining.max(POLL * 40), |st| !st.closed)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        assert!(
            st.closed,
            "`{}` exited ({status}) but something still holds its terminal open",
            self.label
        );
        status
    }

    /// Whether the terminal is back in cooked mode (canonical input and echo on), as a shell
    /// expects it; `None` if the terminal attributes cannot be read.
    pub fn cooked_mode(&self) -> Option<bool> {
        let termios = self.master.get_termios()?;
        let lflag: u32 = termios.local_flags.bits();
        Some(lflag & (ICANON | ECHO) == (ICANON | ECHO))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.exit.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            // SIGHUP, then SIGKILL after a short grace period.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The status a shell would report in `$?`: the exit code, or 128 + the signal number.
pub fn shell_status(status: &ExitStatus) -> Option<u32> {
    match status.signal() {
        None => Some(status.exit_code()),
        // portable-pty gives the strsignal(3) description, not the number.
        Some(name) => {
            let number = match name {
                "Hangup" => 1,
                "Interrupt" => 2,
                "Quit" => 3,
                "Aborted" => 6,
                "Killed" => 9,
                "Segmentation fault" => 11,
                "Terminated" => 15,
                _ => return None,
            };
            Some(128 + number)
        }
    }
}

/// The position of the last occurrence of `needle` in `haystack`.
pub fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Escapes terminal output for a readable assertion message.
pub fn escape(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

fn report(st: &State) -> String {
    let screen = st.parser.screen();
    let (rows, cols) = screen.size();
    let mut out = format!(
        "--- screen {cols}x{rows}, {} bytes received, terminal {} ---\n",
        st.raw.len(),
        if st.closed {
            "closed (program gone)"
        } else {
            "open"
        },
    );
    for (i, line) in screen.rows(0, cols).enumerate() {
        let _ = writeln!(out, "{i:>3}|{line}");
    }
    let tail = &st.raw[st.raw.len().saturating_sub(400)..];
    let _ = write!(
        out,
        "--- last {} raw bytes ---\n{}",
        tail.len(),
        escape(tail)
    );
    out
}
