//! Whole-process measurements of a TUI in a pseudo-terminal, the way a person meets it:
//! time to first frame and to settled content, peak RSS (VmHWM), CPU and terminal bytes
//! while idle, write syscalls per second, and key-to-frame latency. Medians over runs.
//!
//! `cargo bench --bench tty -- [--runs N] [--idle SECS] [--bin PATH] [-- ARGS...]`
//! (default: the release `warroom --demo`). Answers the cursor-position query a real
//! terminal answers, so programs that ask do not stall.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

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

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit(')').next()?;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn ticks_per_sec() -> f64 {
    // Linux's USER_HZ is 100 on every mainstream architecture.
    100.0
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Run {
    first_frame_ms: f64,
    settled_ms: f64,
    rss_kib: u64,
    idle_cpu_ms_per_10s: f64,
    idle_bytes_per_s: f64,
    idle_writes_per_s: f64,
    key_to_frame_ms: f64,
}

fn one_run(bin: &str, args: &[String], idle: Duration, settle_text: &[&str]) -> Run {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(bin);
    cmd.args(args);
    let home = tempfile::tempdir().expect("tempdir");
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home.path());
    for (k, d) in [
        ("XDG_CONFIG_HOME", "c"),
        ("XDG_DATA_HOME", "d"),
        ("XDG_STATE_HOME", "s"),
        ("XDG_CACHE_HOME", "k"),
    ] {
        cmd.env(k, home.path().join(d));
    }
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("spawn");
    let pid = child.process_id().expect("pid");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let writer = Arc::new(Mutex::new(pty.master.take_writer().expect("writer")));
    let cap = Arc::new(Mutex::new(Captured {
        bytes: Vec::new(),
        chunks: Vec::new(),
    }));
    {
        let cap = cap.clone();
        let writer = writer.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut c = cap.lock().unwrap();
                c.bytes.extend_from_slice(&buf[..n]);
                let end = c.bytes.len();
                c.chunks.push((Instant::now(), end));
                if find(&buf[..n], b"\x1b[6n").is_some() {
                    let _ = writer.lock().unwrap().write_all(b"\x1b[1;1R");
                }
            }
        });
    }
    let wait = |pred: &dyn Fn(&Captured) -> bool| -> Instant {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if pred(&cap.lock().unwrap()) {
                return Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the program"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    // First frame: the first chunk with visible drawing (cursor moves or text after setup).
    wait(&|c: &Captured| c.bytes.len() > 64);
    let first_frame = {
        let c = cap.lock().unwrap();
        c.chunks
            .iter()
            .find(|(_, end)| *end > 64)
            .map(|(t, _)| *t)
            .unwrap_or_else(Instant::now)
    };
    let mut parser = vt100::Parser::new(40, 120, 0);
    let settled = wait(&|c: &Captured| {
        let mut p = vt100::Parser::new(40, 120, 0);
        p.process(&c.bytes);
        let text = p.screen().contents();
        settle_text.iter().all(|t| text.contains(t))
    });
    std::thread::sleep(Duration::from_millis(500));

    // Idle window.
    let (b0, w0, c0) = (
        cap.lock().unwrap().bytes.len(),
        proc_field(pid, "io", "syscw:"),
        cpu_ticks(pid),
    );
    std::thread::sleep(idle);
    let (b1, w1, c1) = (
        cap.lock().unwrap().bytes.len(),
        proc_field(pid, "io", "syscw:"),
        cpu_ticks(pid),
    );
    let secs = idle.as_secs_f64();

    // Key to frame: a key that redraws (help), time until the terminal has new output.
    let before = cap.lock().unwrap().bytes.len();
    let sent = Instant::now();
    writer.lock().unwrap().write_all(b"?").expect("send key");
    let shown =
        wait(&|c: &Captured| c.bytes.len() > before && find(&c.bytes[before..], b"Help").is_some());
    let rss = proc_field(pid, "status", "VmHWM:").unwrap_or(0);
    let _ = writer.lock().unwrap().write_all(b"\x1b");
    let _ = child.kill();
    let _ = child.wait();
    parser.process(&cap.lock().unwrap().bytes);
    Run {
        first_frame_ms: (first_frame - start).as_secs_f64() * 1000.0,
        settled_ms: (settled - start).as_secs_f64() * 1000.0,
        rss_kib: rss,
        idle_cpu_ms_per_10s: match (c0, c1) {
            (Some(a), Some(b)) => (b - a) as f64 / ticks_per_sec() * 1000.0 * 10.0 / secs,
            _ => f64::NAN,
        },
        idle_bytes_per_s: (b1 - b0) as f64 / secs,
        idle_writes_per_s: match (w0, w1) {
            (Some(a), Some(b)) => (b - a) as f64 / secs,
            _ => f64::NAN,
        },
        key_to_frame_ms: (shown - sent).as_secs_f64() * 1000.0,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn main() {
    let mut runs = 5;
    let mut idle = 10u64;
    let mut bin = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/warroom").to_string();
    let mut prog_args: Vec<String> = vec!["--demo".into()];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--idle" => idle = args.next().and_then(|v| v.parse().ok()).unwrap_or(idle),
            "--bin" => bin = args.next().unwrap_or(bin),
            "--" => {
                prog_args = args.by_ref().collect();
            }
            "--bench" => {}
            _ => {}
        }
    }
    if !std::path::Path::new(&bin).exists() {
        eprintln!("{bin} not found: build it first (cargo build --release)");
        std::process::exit(2);
    }
    let settle = ["Alerts", "Runbook", "SLO", "Drill"];
    let results: Vec<Run> = (0..runs)
        .map(|_| one_run(&bin, &prog_args, Duration::from_secs(idle), &settle))
        .collect();
    let col = |f: fn(&Run) -> f64| median(results.iter().map(f).collect());
    println!(
        "{bin} {} ({runs} runs, {idle} s idle each; medians)",
        prog_args.join(" ")
    );
    println!(
        "  time to first frame      {:8.1} ms",
        col(|r| r.first_frame_ms)
    );
    println!(
        "  time to settled content  {:8.1} ms",
        col(|r| r.settled_ms)
    );
    println!(
        "  peak RSS (VmHWM)         {:8.1} MiB",
        col(|r| r.rss_kib as f64) / 1024.0
    );
    println!(
        "  idle CPU                 {:8.1} ms per 10 s",
        col(|r| r.idle_cpu_ms_per_10s)
    );
    println!(
        "  idle terminal output     {:8.1} bytes/s",
        col(|r| r.idle_bytes_per_s)
    );
    println!(
        "  idle write syscalls      {:8.2} per s",
        col(|r| r.idle_writes_per_s)
    );
    println!(
        "  key to frame             {:8.2} ms",
        col(|r| r.key_to_frame_ms)
    );
}
