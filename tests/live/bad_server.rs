//! A small loopback server the test controls answers garbage, HTML, truncated JSON, an
//! over-size body, a 5xx and nothing at all: each gives a clear error, the console keeps
//! its last good data and says why.

use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warroom::keymap::Keymap;
use warroom::sources::alertmanager::{Alertmanager, SeverityMap};
use warroom::sources::http::{HttpSettings, TokenSource};
use warroom::sources::prometheus::{Prometheus, SloDef};
use warroom::state::{Event, Mode, SourceHealth, State, update};

use crate::common::screen;

const GOOD: &str = r#"[{"labels":{"alertname":"DiskFull","severity":"warning"},"annotations":{},"fingerprint":"f1","startsAt":"2026-01-01T00:00:00Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]"#;

/// Answers by the first path segment: /good, /garbage, /html, /truncated, /big, /500,
/// /hang, /badquery.
async fn serve() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let seg = path.trim_start_matches('/').split('/').next().unwrap_or("");
                let authorized = req
                    .lines()
                    .any(|l| l.eq_ignore_ascii_case("authorization: Bearer s3cret-t0ken"));
                let (status, ct, body) = match seg {
                    "good" => ("200 OK", "application/json", GOOD.to_string()),
                    "auth" if authorized => ("200 OK", "application/json", GOOD.to_string()),
                    "auth" => (
                        "401 Unauthorized",
                        "application/json",
                        r#"{"error":"missing or bad bearer token"}"#.to_string(),
                    ),
                    "garbage" => ("200 OK", "application/json", "\u{1b}[2J}{ not json".to_string()),
                    "html" => (
                        "200 OK",
                        "text/html",
                        "<html><body>Please log in</body></html>".to_string(),
                    ),
                    "truncated" => ("200 OK", "application/json", GOOD[..60].to_string()),
                    "big" => ("200 OK", "application/json", format!("[{}]", " ".repeat(200_000))),
                    "500" => (
                        "503 Service Unavailable",
                        "text/html",
                        "<h1>upstream down</h1>".to_string(),
                    ),
                    "badquery" => (
                        "400 Bad Request",
                        "application/json",
                        r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:9: parse error: unexpected end of input"}"#.to_string(),
                    ),
                    "hang" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    _ => ("404 Not Found", "text/plain", "no".to_string()),
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn settings() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        max_body_bytes: 64 * 1024,
        ..HttpSettings::default()
    }
}

async fn error_for(base: &str, seg: &str) -> String {
    let am = Alertmanager::new(
        vec![format!("{base}/{seg}")],
        settings(),
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    let (events, failed) = am.poll(Utc::now()).await;
    assert!(failed, "{seg} should fail: {events:?}");
    match &events[0] {
        Event::SourceFailed { error, .. } => error.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_give_clear_errors_and_keep_last_data() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = serve().await;
    for (seg, want) in [
        ("garbage", "not JSON"),
        ("html", "HTML page instead of JSON"),
        ("truncated", "truncated JSON"),
        ("big", "larger than the 64 KiB cap"),
        ("500", "server error 503"),
        ("hang", "timed out"),
    ] {
        let e = error_for(&base, seg).await;
        assert!(e.contains(want), "{seg}: {e}");
        assert!(
            !e.contains('\u{1b}'),
            "{seg}: escape reached the message: {e:?}"
        );
    }

    // A bearer token from a file or the environment is sent, and never shown.
    let unauth = error_for(&base, "auth").await;
    assert!(
        unauth.contains("HTTP 401: missing or bad bearer token"),
        "{unauth}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-t0ken\n").expect("write");
    // SAFETY: no other test reads this variable.
    unsafe { std::env::set_var("WARROOM_TEST_AM_TOKEN", "s3cret-t0ken") };
    for token in [
        TokenSource::File(token_file),
        TokenSource::Env("WARROOM_TEST_AM_TOKEN".into()),
    ] {
        let am = Alertmanager::new(
            vec![format!("{base}/auth")],
            HttpSettings {
                token: Some(token),
                ..settings()
            },
            Duration::from_secs(1),
            SeverityMap::default(),
        )
        .expect("client");
        assert!(!format!("{am:?}").contains("s3cret"));
        let (events, failed) = am.poll(Utc::now()).await;
        assert!(!failed, "{events:?}");
    }

    // The console: good data, then HTML from a proxy; the list stays, with the reason.
    let mut state = State::new(Mode::Live, Keymap::default(), false, Utc::now());
    state.sources = vec![SourceHealth::new("alertmanager", Duration::from_secs(1))];
    let good = Alertmanager::new(
        vec![format!("{base}/good")],
        settings(),
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    for ev in good.poll(Utc::now()).await.0 {
        update(&mut state, ev);
    }
    let bad = Alertmanager::new(
        vec![format!("{base}/html")],
        settings(),
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    for ev in bad.poll(Utc::now()).await.0 {
        update(&mut state, ev);
    }
    let text = screen(&state, 120, 40);
    assert!(text.contains("DiskFull"), "{text}");
    assert!(text.contains("stale since"), "{text}");
    assert!(text.contains("HTML page"), "{text}");

    // Bad PromQL: the SLO shows the server's message, the source is not "down".
    let prom = Prometheus::new(
        &format!("{base}/badquery"),
        settings(),
        Duration::from_secs(1),
        vec![SloDef {
            name: "checkout".into(),
            service: "checkout".into(),
            objective: 0.999,
            error_query: "sum(rate(x[{{.window}}]".into(),
            total_query: "sum(rate(y[{{.window}}]))".into(),
            latency_query: None,
        }],
        Duration::from_secs(30 * 86_400),
    )
    .expect("client");
    let ev = prom.poll(Utc::now()).await;
    let Event::Slos { slos, .. } = &ev else {
        panic!("{ev:?}");
    };
    let err = slos[0].error.as_deref().unwrap_or_default();
    assert!(
        err.contains("parse error: unexpected end of input"),
        "{err}"
    );
    update(&mut state, ev);
    let text = screen(&state, 120, 40);
    assert!(text.contains("QUERY FAILED"), "{text}");
}

/// A mistake in an SLO spec stops the start with the spec's file, line and column.
#[test]
fn bad_slo_spec_points_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("slo.yaml");
    std::fs::write(
        &spec,
        "version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objectiv: 99\n",
    )
    .expect("write");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "prometheus:\n  url: http://127.0.0.1:9\nslo_specs: [slo.yaml]\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("--config")
        .arg(&config)
        .env_remove("WARROOM_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run warroom");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:5:5: slos[0]: unknown field `objectiv`",
            spec.display()
        )),
        "{err}"
    );
}
