//! Faults injected into the real binary in a pseudo-terminal: Prometheus and Alertmanager
//! killed and restarted mid-session, a server that accepts and never answers, garbage,
//! HTML and a 100 MB body, and a full disk under the incident journal. Each test asserts
//! what the person at the console sees (a clear error, the last data kept), that nothing
//! recorded is lost, and that the terminal is given back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::e2e::assert_terminal_restored;
use crate::live::harness::{PrometheusSetup, alertmanager_on, free_port, require};
use crate::support::pty::{Key, Session, SessionBuilder, TIMEOUT};
use crate::support::stub::{Reply, Stub};

/// Long enough for a poller in backoff (1 s, 2 s, 4 s, 8 s) to come back on a slow machine.
const RECOVERY: Duration = Duration::from_secs(45);

const ALERT: &str = r#"[{"labels":{"alertname":"FaultDrill","severity":"page","tenant":"acme"},"annotations":{"summary":"kept through the outage"},"fingerprint":"f1","startsAt":"2026-01-01T00:00:00Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]"#;

/// A plain HTTP/1.0 request over loopback; `None` when nothing answers.
fn http(method: &str, url: &str, body: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, out))
}

fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while http("GET", &format!("{url}/-/ready"), "").is_none_or(|(s, _)| s != 200) {
        assert!(Instant::now() < deadline, "{url} never became ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The console's config file, written into the session's config directory.
fn live(b: SessionBuilder, config: &str) -> Session {
    let dir = b.config_home().join("warroom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.yaml"), format!("user: tester\n{config}")).unwrap();
    b.size(120, 40).spawn()
}

fn count(s: &Session, text: &str) -> usize {
    s.screen_text().matches(text).count()
}

fn quit(mut s: Session) {
    s.send("q");
    let status = s.wait_exit(TIMEOUT);
    assert!(status.success(), "exit status {status:?}");
    assert_terminal_restored(&s);
}

#[test]
fn prometheus_and_alertmanager_killed_and_restarted_mid_session() {
    require("prometheus");
    require("prometheus-alertmanager");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let am_port = free_port();
    let (mut am, am_url) = alertmanager_on(dir, "am", am_port, &[]);
    let prom = PrometheusSetup {
        dir: dir.to_path_buf(),
        port: free_port(),
        config: dir.join("prometheus.yml"),
        data: dir.join("prom-data"),
    };
    std::fs::write(
        &prom.config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: self\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
            prom.port
        ),
    )
    .unwrap();
    let slo = dir.join("slo.yaml");
    std::fs::write(
        &slo,
        "version: prometheus/v1\nservice: self\nslos:\n  - name: self-availability\n    objective: 99.9\n    sli:\n      events:\n        error_query: sum(rate(prometheus_http_requests_total{code=~\"5..\"}[{{.window}}]))\n        total_query: sum(rate(prometheus_http_requests_total[{{.window}}]))\n",
    )
    .unwrap();
    let mut prometheus = prom.start();
    wait_ready(&am_url);
    wait_ready(&prom.url());
    let post = || {
        let r = http(
            "POST",
            &format!("{am_url}/api/v2/alerts"),
            &format!(
                r#"[{{"labels":{{"alertname":"FaultDrill","severity":"page"}},"annotations":{{"summary":"kept through the outage"}},"endsAt":"{}"}}]"#,
                (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()
            ),
        );
        assert_eq!(r.map(|r| r.0), Some(200), "post an alert to Alertmanager");
    };
    post();

    let s = live(
        SessionBuilder::warroom(),
        &format!(
            "alertmanager:\n  urls: [{am_url}]\n  interval: 1s\n  timeout: 2s\nprometheus:\n  url: {}\n  interval: 1s\n  timeout: 2s\nslo_specs: [{}]\n",
            prom.url(),
            slo.display()
        ),
    );
    s.wait_for("the alert and both sources fresh", TIMEOUT, |sc| {
        let t = sc.contents();
        t.contains("FaultDrill") && t.contains("alertmanager ✓") && t.contains("prometheus ✓")
    });
    s.wait_for_text("self-availability");

    am.kill();
    prometheus.kill();
    s.wait_for("a stale banner on both panes", RECOVERY, |sc| {
        sc.contents().matches("stale since").count() >= 2
    });
    let screen = s.screen_text();
    assert!(
        screen.contains("FaultDrill"),
        "the last alerts are kept:\n{screen}"
    );
    assert!(
        screen.contains("self-availability"),
        "the last SLOs are kept:\n{screen}"
    );
    assert!(
        screen.contains("cannot connect"),
        "the banner says why:\n{screen}"
    );

    let (_am, _) = alertmanager_on(dir, "am", am_port, &[]);
    let _prometheus = prom.start();
    wait_ready(&am_url);
    wait_ready(&prom.url());
    post();
    s.wait_for("both sources fresh again", RECOVERY, |sc| {
        let t = sc.contents();
        !t.contains("stale since") && t.contains("alertmanager ✓") && t.contains("prometheus ✓")
    });
    assert!(count(&s, "FaultDrill") >= 1);
    quit(s);
}

#[test]
fn a_server_that_never_answers_times_out_and_the_console_stays_responsive() {
    let am = Stub::start(|_| Reply::json(ALERT));
    let s = live(
        SessionBuilder::warroom(),
        &format!(
            "alertmanager:\n  urls: [{}]\n  interval: 1s\n  timeout: 1s\n",
            am.url()
        ),
    );
    s.wait_for_text("FaultDrill");
    am.set(|_| Reply::Hang);
    s.wait_for("the timeout on screen", RECOVERY, |sc| {
        sc.contents().contains("timed out")
    });
    // Responsive while requests hang: the help opens and closes, focus moves.
    s.send("?");
    s.wait_for("the help", TIMEOUT, crate::e2e::help_open);
    s.send("?");
    s.wait_for("the help to close", TIMEOUT, |sc| {
        !crate::e2e::help_open(sc)
    });
    s.send_key(Key::Tab);
    s.wait_for("the Runbook pane focused", TIMEOUT, |sc| {
        sc.contents().contains("▶ Runbook")
    });
    assert!(count(&s, "FaultDrill") >= 1, "the last alerts are kept");
    am.set(|_| Reply::json(ALERT));
    s.wait_for("fresh again", RECOVERY, |sc| {
        !sc.contents().contains("stale since")
    });
    quit(s);
}

/// Peak resident memory of a process, in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[test]
fn garbage_html_and_a_100_mb_body_keep_the_last_data_and_bounded_memory() {
    let am = Stub::start(|_| Reply::json(ALERT));
    // The default size cap (16 MiB): what a person running it gets.
    let s = live(
        SessionBuilder::warroom(),
        &format!("alertmanager:\n  urls: [{}]\n  interval: 1s\n", am.url()),
    );
    s.wait_for_text("FaultDrill");
    let fresh = |s: &Session| {
        am.set(|_| Reply::json(ALERT));
        s.wait_for("fresh again", RECOVERY, |sc| {
            !sc.contents().contains("stale since")
        });
    };
    let cases: [(&str, Reply); 6] = [
        ("not JSON", Reply::json(b"\x00\xff{{{ garbage".to_vec())),
        // Cut off mid-alert: the decoder, reading as the body arrives, meets its end.
        (
            "truncated JSON",
            Reply::json(b"[{\"labels\": {\"alertname\": \"Fa".to_vec()),
        ),
        // A login page served as 200 with a JSON content type: caught by its first byte.
        (
            "HTML page",
            Reply::json(b"  <!doctype html><p>Please log in</p>".to_vec()),
        ),
        (
            "HTML page",
            Reply::Body {
                status: 200,
                content_type: "text/html",
                body: b"<html><body>Please log in</body></html>".to_vec(),
            },
        ),
        (
            "KiB cap",
            Reply::Stream {
                prefix: b"[".to_vec(),
                fill: b' ',
                len: 100 << 20,
            },
        ),
        (
            "KiB cap",
            Reply::Body {
                status: 200,
                content_type: "application/json",
                body: [b"[".as_slice(), &vec![b' '; 100 << 20], b"]"].concat(),
            },
        ),
    ];
    for (says, reply) in cases {
        am.set(move |_| reply.clone());
        s.wait_for(&format!("the error {says:?}"), RECOVERY, |sc| {
            sc.contents().contains(says)
        });
        let screen = s.screen_text();
        assert!(
            screen.contains("FaultDrill"),
            "last data kept after {says}:\n{screen}"
        );
        fresh(&s);
    }
    let hwm = vm_hwm_kib(s.pid());
    eprintln!("peak memory after the 100 MB bodies: {hwm} KiB");
    assert!(
        hwm < 60 * 1024,
        "peak memory {hwm} KiB after 100 MB bodies: the cap must bound it"
    );
    quit(s);
}

/// Runs the demo in the PTY with its data directory on a nearly full filesystem: a 64 KiB
/// tmpfs in a private mount namespace when this process may mount (CI runs as root), else
/// a file-size limit (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so the write fails with
/// `EFBIG` as it would with `ENOSPC`). When the console exits, the journal is copied out to
/// `keep` (the tmpfs dies with the namespace).
fn demo_on_a_full_disk(keep: &Path) -> (Session, &'static str) {
    let b = SessionBuilder::new("sh");
    let data = b.sandbox().join("data");
    let warroom = env!("CARGO_BIN_EXE_warroom");
    // WARROOM_TEST_FSIZE=1 forces the fallback, to check it where mounting works.
    let tmpfs_ok = std::env::var_os("WARROOM_TEST_FSIZE").is_none()
        && std::process::Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c"])
            .arg(format!(
                "mount -t tmpfs -o size=64k tmpfs '{}'",
                data.display()
            ))
            .status()
            .is_ok_and(|s| s.success());
    let copy_out = format!("cp -r '{}/warroom' '{}/'", data.display(), keep.display());
    let (script, how) = if tmpfs_ok {
        (
            format!(
                "unshare -m --propagation private sh -c \"mount -t tmpfs -o size=64k tmpfs '{d}' && head -c 45056 /dev/zero > '{d}/filler' && '{warroom}' --demo; rc=\\$?; {copy_out}; exit \\$rc\"",
                d = data.display()
            ),
            "tmpfs",
        )
    } else {
        (
            format!(
                "trap '' XFSZ; ulimit -f 16; '{warroom}' --demo; rc=$?; ulimit -f unlimited; {copy_out}; exit $rc"
            ),
            "RLIMIT_FSIZE",
        )
    };
    let config = b.config_home().join("warroom");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.yaml"), "user: tester\n").unwrap();
    (b.args(["-c", &script]).size(120, 40).spawn(), how)
}

#[test]
fn a_full_disk_under_the_journal_refuses_recording_and_loses_nothing() {
    let keep = tempfile::tempdir().unwrap();
    let (mut s, how) = demo_on_a_full_disk(keep.path());
    s.wait_for("the demo incident", TIMEOUT, |sc| {
        let t = sc.contents();
        t.contains("INCIDENT") && t.contains("T+ ")
    });
    // Notes of 600 characters until the disk is full.
    let mut shown = 0;
    let mut failed = false;
    for n in 1..=60 {
        s.send("i");
        s.wait_for_text("Note for the incident journal");
        s.send(format!("note {n} {}", "x".repeat(600)));
        s.send_key(Key::Enter);
        let want = format!("notes {n} ");
        s.wait_for("the note recorded or the journal failed", TIMEOUT, |sc| {
            let t = sc.contents();
            t.contains(&want) || t.contains("Journal write failed")
        });
        if s.screen_text().contains("Journal write failed") {
            failed = true;
            break;
        }
        shown = n;
    }
    assert!(failed, "the disk ({how}) never filled");
    assert!(
        shown >= 1,
        "some notes were recorded before the disk filled ({how})"
    );
    let screen = s.screen_text();
    assert!(
        screen.contains("Journal write failed"),
        "the console says the journal failed:\n{screen}"
    );
    // Any further recorded action is refused, and says why: a note before it is typed,
    // an ack at once.
    s.send("i");
    s.wait_for("the refusal", TIMEOUT, |sc| {
        sc.contents()
            .contains("Refused: the journal cannot be written")
    });
    assert!(
        !s.screen_text().contains("Note for the incident journal"),
        "no note box opens for a note that cannot be recorded"
    );
    s.send("q");
    s.wait_for_text("Quit?");
    s.send("y");
    let status = s.wait_exit(TIMEOUT);
    assert!(status.success(), "clean exit ({how}): {status:?}");
    assert_terminal_restored(&s);

    eprintln!("full disk via {how}: {shown} notes recorded before it filled");
    // Every note the console showed as recorded is on disk.
    let lines = crate::e2e_incident::journal_lines(keep.path());
    let notes: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"type\":\"note\""))
        .collect();
    for n in 1..=shown {
        assert!(
            notes.iter().any(|l| l.contains(&format!("\"note {n} x"))),
            "note {n} was shown as recorded but is not in the journal ({how})"
        );
    }
}
