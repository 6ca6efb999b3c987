//! Whole-process measurements of TUIs in a pseudo-terminal, the way a person meets them:
//! time to first frame and to settled content, peak RSS (VmHWM), CPU and terminal output
//! while idle, frames and write syscalls per second, and key-to-frame latency.
//!
//! warroom (the demo, and live with 10 000 alerts served over loopback) is measured beside
//! peer TUIs (bottom, kdash, gitui) run by run, interleaved, so a noisy shared machine
//! slows every program alike; the summary prints medians and warroom / peer ratios.
//!
//! `cargo bench --bench tty -- [--runs N] [--idle SECS] [--peers DIR] [--only a,b]
//! [--dump DIR] [--baseline WARROOM] [--bin PATH [-- ARGS...]]` (docs/performance.md).

#[path = "tty/subjects.rs"]
mod subjects;
#[path = "tty/terminal.rs"]
mod terminal;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use subjects::Subject;

const ROWS: u16 = 40;
const COLS: u16 = 120;
/// Output chunks closer than this belong to one frame.
const FRAME_GAP: Duration = Duration::from_millis(5);

struct Captured {
    bytes: Vec<u8>,
    /// When each chunk arrived, and the byte offset it ends at.
    chunks: Vec<(Instant, usize)>,
}

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// utime + stime in clock ticks (USER_HZ, 100 on every mainstream Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit(')').next()?;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Nanoseconds on CPU of each of the process's threads: the tick counter above has 10 ms
/// steps, too coarse for a program that idles at a few milliseconds per 10 s.
fn thread_cpu_ns(pid: u32) -> std::collections::HashMap<String, u64> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in dir.flatten() {
        let ns = std::fs::read_to_string(t.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(ns) = ns {
            out.insert(t.file_name().to_string_lossy().into_owned(), ns);
        }
    }
    out
}

/// CPU time of a process's threads over `window`, sampled every 100 ms so that a thread
/// ending inside the window (a runtime's blocking pool lets idle threads go after 10 s)
/// still counts for what it ran before it ended, instead of taking its whole past with it.
fn cpu_ns_over(pid: u32, window: Duration) -> u64 {
    let start = thread_cpu_ns(pid);
    let mut last = start.clone();
    let end = Instant::now() + window;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100).min(end - Instant::now()));
        last.extend(thread_cpu_ns(pid));
    }
    last.iter()
        .map(|(tid, ns)| ns.saturating_sub(start.get(tid).copied().unwrap_or(0)))
        .sum()
}

#[derive(Default, Clone)]
struct Run {
    first_frame_ms: f64,
    settled_ms: f64,
    rss_kib: f64,
    idle_cpu_ms_per_10s: f64,
    idle_ticks_ms_per_10s: f64,
    idle_bytes_per_s: f64,
    idle_frames_per_s: f64,
    idle_writes_per_s: f64,
    key_to_frame_ms: f64,
}

/// Feeds captured output into a screen model chunk by chunk, so a condition on the screen
/// is dated by the chunk that made it true.
struct Screen {
    parser: vt100::Parser,
    fed_chunks: usize,
    fed_bytes: usize,
}

impl Screen {
    fn new() -> Screen {
        Screen {
            parser: vt100::Parser::new(ROWS, COLS, 0),
            fed_chunks: 0,
            fed_bytes: 0,
        }
    }

    fn text(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until `pred` holds for the screen; returns the arrival time of the chunk
    /// that made it hold.
    fn wait(
        &mut self,
        cap: &Mutex<Captured>,
        limit: Duration,
        pred: &dyn Fn(&str) -> bool,
    ) -> Result<Instant, String> {
        let deadline = Instant::now() + limit;
        loop {
            {
                let c = cap.lock().unwrap();
                while self.fed_chunks < c.chunks.len() {
                    let (t, end) = c.chunks[self.fed_chunks];
                    self.feed(&c.bytes[self.fed_bytes..end]);
                    self.fed_bytes = end;
                    self.fed_chunks += 1;
                    if pred(&self.text()) {
                        return Ok(t);
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!("screen not as expected after {limit:?}"));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        // vt100 can panic on rare sequences (a wide character in the last column); a
        // frame it cannot model must not end the measurement.
        let parser = &mut self.parser;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.process(bytes))).is_err()
        {
            self.parser = vt100::Parser::new(ROWS, COLS, 0);
        }
    }
}

fn one_run(s: &Subject, idle: Duration, dump: Option<&Path>) -> Result<Run, String> {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| e.to_string())?;
    let mut cmd = CommandBuilder::new(&s.bin);
    cmd.args(&s.args);
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home.path());
    cmd.env_remove("NO_COLOR");
    for (k, d) in [
        ("XDG_CONFIG_HOME", "c"),
        ("XDG_DATA_HOME", "d"),
        ("XDG_STATE_HOME", "s"),
        ("XDG_CACHE_HOME", "k"),
    ] {
        cmd.env(k, home.path().join(d));
    }
    for (k, v) in &s.env {
        cmd.env(k, v);
    }
    cmd.cwd(s.cwd.clone().unwrap_or_else(|| home.path().to_path_buf()));
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).map_err(|e| e.to_string())?;
    let pid = child.process_id().ok_or("no pid")?;
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().map_err(|e| e.to_string())?;
    let writer = Arc::new(Mutex::new(
        pty.master.take_writer().map_err(|e| e.to_string())?,
    ));
    let cap = Arc::new(Mutex::new(Captured {
        bytes: Vec::new(),
        chunks: Vec::new(),
    }));
    {
        let cap = cap.clone();
        let writer = writer.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            let mut queries = terminal::Queries::new(ROWS, COLS);
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                {
                    let mut c = cap.lock().unwrap();
                    c.bytes.extend_from_slice(&buf[..n]);
                    let end = c.bytes.len();
                    c.chunks.push((now, end));
                }
                let reply = queries.answer(&buf[..n]);
                if !reply.is_empty() {
                    let _ = writer.lock().unwrap().write_all(&reply);
                }
            }
        });
    }
    let mut result = measure(s, &cap, &writer, pid, start, idle, dump);
    if let Ok(r) = &mut result {
        r.rss_kib = proc_field(pid, "status", "VmHWM:").unwrap_or(0) as f64;
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn measure(
    s: &Subject,
    cap: &Mutex<Captured>,
    writer: &Mutex<Box<dyn Write + Send>>,
    pid: u32,
    start: Instant,
    idle: Duration,
    dump: Option<&Path>,
) -> Result<Run, String> {
    let mut screen = Screen::new();
    let limit = Duration::from_secs(30);
    // First frame: the first output after which anything is visible.
    let first_frame = screen.wait(cap, limit, &|t| t.chars().any(|c| !c.is_whitespace()))?;
    let settled = screen
        .wait(cap, limit, &|t| s.settle.iter().all(|w| t.contains(w)))
        .map_err(|e| {
            if let Some(d) = dump {
                let _ = std::fs::write(d.join(format!("{}.unsettled.txt", s.name)), screen.text());
            }
            format!("{e}: waiting for {:?}", s.settle)
        })?;
    // Let start-up work (first polls, first sample) finish before the idle window.
    std::thread::sleep(Duration::from_millis(1500));

    let snap = || {
        let c = cap.lock().unwrap();
        (
            c.bytes.len(),
            c.chunks.len(),
            proc_field(pid, "io", "syscw:"),
            cpu_ticks(pid),
        )
    };
    let (b0, k0, w0, t0) = snap();
    let cpu_ns = cpu_ns_over(pid, idle);
    let (b1, k1, w1, t1) = snap();
    let secs = idle.as_secs_f64();
    let frames = {
        let c = cap.lock().unwrap();
        let mut frames = 0;
        let mut last: Option<Instant> = None;
        for (t, _) in &c.chunks[k0..k1] {
            if last.is_none_or(|l| *t - l > FRAME_GAP) {
                frames += 1;
            }
            last = Some(*t);
        }
        if let Some(dir) = dump {
            let _ = std::fs::write(dir.join(format!("{}.idle.bin", s.name)), &c.bytes[b0..b1]);
        }
        frames
    };

    // Key to frame: a key that opens a view, until the view is on the screen.
    screen.wait(cap, Duration::ZERO, &|_| false).ok();
    let before = screen.text().matches(s.key_shows).count();
    let sent = Instant::now();
    writer
        .lock()
        .unwrap()
        .write_all(s.key)
        .map_err(|e| e.to_string())?;
    if let Some(d) = dump {
        let _ = std::fs::write(d.join(format!("{}.idle.txt", s.name)), screen.text());
    }
    let shown = screen
        .wait(cap, Duration::from_secs(10), &|t| {
            t.matches(s.key_shows).count() > before
        })
        .map_err(|e| {
            if let Some(d) = dump {
                let _ = std::fs::write(d.join(format!("{}.key.txt", s.name)), screen.text());
            }
            format!("{e}: waiting for {:?} after the key", s.key_shows)
        })?;
    let per10 = |d: f64| d * 10.0 / secs;
    Ok(Run {
        first_frame_ms: (first_frame - start).as_secs_f64() * 1000.0,
        settled_ms: (settled - start).as_secs_f64() * 1000.0,
        rss_kib: 0.0,
        idle_cpu_ms_per_10s: per10(cpu_ns as f64 / 1e6),
        idle_ticks_ms_per_10s: match (t0, t1) {
            (Some(a), Some(b)) => per10((b - a) as f64 * 10.0),
            _ => f64::NAN,
        },
        idle_bytes_per_s: (b1 - b0) as f64 / secs,
        idle_frames_per_s: frames as f64 / secs,
        idle_writes_per_s: match (w0, w1) {
            (Some(a), Some(b)) => (b - a) as f64 / secs,
            _ => f64::NAN,
        },
        key_to_frame_ms: shown.saturating_duration_since(sent).as_secs_f64() * 1000.0,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

type Metric = (&'static str, &'static str, fn(&Run) -> f64);

const METRICS: [Metric; 9] = [
    ("time to first frame", "ms", |r| r.first_frame_ms),
    ("time to settled content", "ms", |r| r.settled_ms),
    ("peak RSS (VmHWM)", "MiB", |r| r.rss_kib / 1024.0),
    ("idle CPU (schedstat)", "ms/10s", |r| r.idle_cpu_ms_per_10s),
    ("idle CPU (utime+stime)", "ms/10s", |r| {
        r.idle_ticks_ms_per_10s
    }),
    ("idle terminal output", "bytes/s", |r| r.idle_bytes_per_s),
    ("idle frames (output bursts)", "per s", |r| {
        r.idle_frames_per_s
    }),
    ("idle write syscalls (all fds)", "per s", |r| {
        r.idle_writes_per_s
    }),
    ("key to frame", "ms", |r| r.key_to_frame_ms),
];

fn main() {
    let mut runs = 5;
    let mut idle = 10u64;
    let mut peers: Option<PathBuf> = std::env::var_os("WARROOM_PEERS").map(PathBuf::from);
    let mut only: Option<Vec<String>> = None;
    let mut dump: Option<PathBuf> = None;
    let mut custom: Option<(String, Vec<String>)> = None;
    let mut baseline: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--idle" => idle = args.next().and_then(|v| v.parse().ok()).unwrap_or(idle),
            "--peers" => peers = args.next().map(PathBuf::from),
            "--only" => {
                only = args
                    .next()
                    .map(|v| v.split(',').map(str::to_string).collect())
            }
            "--dump" => dump = args.next().map(PathBuf::from),
            "--baseline" => baseline = args.next(),
            "--bin" => custom = args.next().map(|b| (b, Vec::new())),
            "--" => {
                let rest: Vec<String> = args.by_ref().collect();
                if let Some((_, a)) = &mut custom {
                    *a = rest;
                }
            }
            _ => {}
        }
    }
    let warroom = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/warroom");
    let fixtures = subjects::Fixtures::new().expect("bench fixtures");
    let (mut list, missing) = match custom {
        Some((bin, args)) => (vec![subjects::custom(bin, args)], Vec::new()),
        None => subjects::all(warroom, peers.as_deref(), &fixtures),
    };
    if let Some(b) = baseline {
        // Another warroom build (e.g. before a change), measured beside this one, in
        // both set-ups: the demo and 10 000 live alerts.
        let mut base = subjects::all(&b, None, &fixtures).0.into_iter();
        for (at, name) in [(1, "warroom-base"), (3, "warroom-base-10k")] {
            if let Some(mut s) = base.next() {
                s.name = name;
                list.insert(at.min(list.len()), s);
            }
        }
    }
    if let Some(only) = &only {
        list.retain(|s| only.iter().any(|o| o == s.name));
    }
    for s in &list {
        if !s.bin.exists() {
            eprintln!("{} not found: build it first", s.bin.display());
            std::process::exit(2);
        }
    }
    if let Some(d) = &dump {
        std::fs::create_dir_all(d).expect("dump dir");
    }
    let idle = Duration::from_secs(idle);
    let mut results: Vec<Vec<Run>> = vec![Vec::new(); list.len()];
    let mut failures: Vec<Vec<String>> = vec![Vec::new(); list.len()];
    for run in 0..runs {
        for (i, s) in list.iter().enumerate() {
            let d = if run == 0 { dump.as_deref() } else { None };
            match one_run(s, idle, d) {
                Ok(r) => {
                    eprintln!(
                        "run {} {:<12} first {:6.1} ms  rss {:6.1} MiB  idle {:7.1} B/s {:5.2} frames/s cpu {:6.1} ms/10s  key {:6.2} ms",
                        run + 1,
                        s.name,
                        r.first_frame_ms,
                        r.rss_kib / 1024.0,
                        r.idle_bytes_per_s,
                        r.idle_frames_per_s,
                        r.idle_cpu_ms_per_10s,
                        r.key_to_frame_ms
                    );
                    results[i].push(r);
                }
                Err(e) => {
                    eprintln!("run {} {:<12} failed: {e}", run + 1, s.name);
                    failures[i].push(e);
                }
            }
        }
    }
    report(&list, &results, &failures, &missing, runs, idle);
}

fn report(
    list: &[Subject],
    results: &[Vec<Run>],
    failures: &[Vec<String>],
    missing: &[String],
    runs: usize,
    idle: Duration,
) {
    println!(
        "{runs} runs interleaved, {} s idle each, {COLS}x{ROWS}; medians",
        idle.as_secs()
    );
    for s in list {
        println!("  {:<12} {} {}", s.name, s.bin.display(), s.args.join(" "));
    }
    let med: Vec<Vec<f64>> = results
        .iter()
        .map(|rs| {
            METRICS
                .iter()
                .map(|(_, _, f)| median(rs.iter().map(f).collect()))
                .collect()
        })
        .collect();
    print!("\n| measure | unit |");
    for s in list {
        print!(" {} |", s.name);
    }
    // Ratios: warroom's demo against every program that is not warroom.
    let base = list.iter().position(|s| s.name == "warroom");
    let peers: Vec<usize> = (0..list.len())
        .filter(|&i| !list[i].name.starts_with("warroom"))
        .collect();
    if base.is_some() {
        for &p in &peers {
            print!(" warroom / {} |", list[p].name);
        }
    }
    println!();
    print!("|---|---|");
    for _ in 0..list.len() + if base.is_some() { peers.len() } else { 0 } {
        print!("---:|");
    }
    println!();
    for (m, (name, unit, _)) in METRICS.iter().enumerate() {
        print!("| {name} | {unit} |");
        for (i, _) in list.iter().enumerate() {
            let v = med[i][m];
            if v.is_nan() {
                print!(" n/a |");
            } else {
                print!(" {} |", fmt(v));
            }
        }
        if let Some(b) = base {
            for &p in &peers {
                let (a, c) = (med[b][m], med[p][m]);
                if a.is_nan() || c.is_nan() || c == 0.0 {
                    print!(" n/a |");
                } else {
                    print!(" {:.2} |", a / c);
                }
            }
        }
        println!();
    }
    for (i, s) in list.iter().enumerate() {
        if !failures[i].is_empty() {
            println!(
                "\n{}: {} of {runs} runs failed, e.g. {}",
                s.name,
                failures[i].len(),
                failures[i][0]
            );
        }
    }
    for m in missing {
        println!("\nnot measured: {m}");
    }
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
