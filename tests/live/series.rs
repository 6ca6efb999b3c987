//! The SLO history as closed-form functions of time: 10 requests a second; an error ratio
//! of 0.02 % until `jump`, then 2 % (a burn rate of 20 against 99.9 %). The same functions
//! are backfilled (OpenMetrics + promtool) and served live on `/metrics`, so Prometheus
//! sees one continuous series, and the tests compute the expected SLO numbers from them.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const RATE: f64 = 10.0;
pub const BASE_RATIO: f64 = 0.0002;
pub const BURN_RATIO: f64 = 0.02;

#[derive(Debug, Clone, Copy)]
pub struct Series {
    /// Both counters are 0 here (unix seconds).
    pub start: f64,
    /// Where the error ratio jumps.
    pub jump: f64,
}

impl Series {
    pub fn total(&self, t: f64) -> f64 {
        RATE * (t - self.start).max(0.0)
    }

    pub fn errors(&self, t: f64) -> f64 {
        let before = (t.min(self.jump) - self.start).max(0.0);
        let after = (t - self.jump).max(0.0);
        RATE * (BASE_RATIO * before + BURN_RATIO * after)
    }

    /// The error ratio between two instants, as `rate(e[w]) / rate(t[w])` sees it.
    pub fn ratio(&self, from: f64, to: f64) -> f64 {
        let from = from.max(self.start);
        (self.errors(to) - self.errors(from)) / (self.total(to) - self.total(from))
    }

    /// OpenMetrics for promtool, every `step` seconds over [start, end).
    pub fn openmetrics(&self, end: f64, step: f64, job: &str, instance: &str) -> String {
        let mut out = String::new();
        for (name, f) in [
            ("slo_requests", Series::total as fn(&Series, f64) -> f64),
            ("slo_errors", Series::errors),
        ] {
            let _ = writeln!(out, "# TYPE {name} counter");
            let mut t = self.start;
            while t < end {
                let _ = writeln!(
                    out,
                    "{name}_total{{job=\"{job}\",instance=\"{instance}\"}} {} {}",
                    f(self, t),
                    t
                );
                t += step;
            }
        }
        out.push_str("# EOF\n");
        out
    }

    pub fn exposition(&self, t: f64) -> String {
        format!(
            "# TYPE slo_requests_total counter\nslo_requests_total {}\n# TYPE slo_errors_total counter\nslo_errors_total {}\n",
            self.total(t),
            self.errors(t)
        )
    }
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

/// Writes the history into a fresh TSDB directory with promtool.
pub fn backfill(series: &Series, end: f64, instance: &str, dir: &Path, data: &Path) {
    let promtool = super::harness::require("promtool");
    let file = dir.join("history.om");
    std::fs::write(&file, series.openmetrics(end, 15.0, "slo", instance)).expect("write");
    let out = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(data)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Serves the live counters on `/metrics`; returns the port. Runs until the runtime ends.
pub async fn serve_metrics(series: Series) -> u16 {
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
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = series.exposition(now());
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    port
}

#[test]
fn closed_form_functions_agree() {
    let s = Series {
        start: 0.0,
        jump: 3600.0,
    };
    assert!((s.ratio(0.0, 3600.0) - BASE_RATIO).abs() < 1e-12);
    assert!((s.ratio(3600.0, 4000.0) - BURN_RATIO).abs() < 1e-12);
    let mid = s.ratio(1800.0, 5400.0);
    assert!((mid - (BASE_RATIO + BURN_RATIO) / 2.0).abs() < 1e-12);
    let om = s.openmetrics(60.0, 15.0, "slo", "x:1");
    assert!(om.ends_with("# EOF\n"));
    assert_eq!(om.matches("slo_errors_total{").count(), 4);
}
