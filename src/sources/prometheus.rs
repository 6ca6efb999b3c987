//! Prometheus HTTP API (and the backends that speak it: Thanos, Mimir, VictoriaMetrics):
//! instant and range queries, and the SLO poller that turns Sloth SLO definitions into the
//! numbers the SLO panel shows. Parsing is pure and separate from the I/O.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::http::{self, Body, FetchError, Fetcher, HttpSettings};
use crate::config::{ConfigError, yaml_error};
use crate::sanitize;
use crate::slo::{self, SloStatus};
use crate::state::Event;

pub const SOURCE: &str = "prometheus";

/// One SLO to compute, from a Sloth spec (plus an optional latency query from the config).
#[derive(Debug, Clone, PartialEq)]
pub struct SloDef {
    pub name: String,
    pub service: String,
    /// As a fraction, e.g. 0.999 (Sloth writes 99.9).
    pub objective: f64,
    /// PromQL with `{{.window}}` where the range goes.
    pub error_query: String,
    pub total_query: String,
    /// PromQL giving p99 latency in seconds, optional.
    pub latency_query: Option<String>,
}

impl SloDef {
    /// The error-ratio expression over `window` (a PromQL duration like `5m` or `30d`).
    pub fn ratio_query(&self, window: &str) -> String {
        format!(
            "({}) / ({})",
            with_window(&self.error_query, window),
            with_window(&self.total_query, window)
        )
    }
}

/// Substitutes Sloth's `{{.window}}` (any spacing inside the braces).
pub fn with_window(query: &str, window: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        match after.find("}}") {
            Some(j) if after[..j].trim() == ".window" => {
                out.push_str(&rest[..i]);
                out.push_str(window);
                rest = &after[j + 2..];
            }
            _ => {
                out.push_str(&rest[..i + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// PromQL duration text for a window: whole days, hours, minutes or seconds.
pub fn promql_duration(d: Duration) -> String {
    let s = d.as_secs().max(1);
    if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3_600) {
        format!("{}h", s / 3_600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Sloth's format. Fields the console does not use are accepted (a real spec has them) and
/// ignored; anything else is an error, so a typo is caught.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothFile {
    version: String,
    service: String,
    #[serde(default)]
    #[allow(dead_code)]
    labels: Option<serde::de::IgnoredAny>,
    slos: Vec<SlothSlo>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: String,
    objective: f64,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    labels: Option<serde::de::IgnoredAny>,
    sli: SlothSli,
    #[serde(default)]
    #[allow(dead_code)]
    alerting: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSli {
    events: Option<SlothEvents>,
    #[serde(default)]
    #[allow(dead_code)]
    raw: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    plugin: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    error_query: String,
    total_query: String,
}

/// Parses a Sloth spec (`version: prometheus/v1`); `path` names the file in errors.
pub fn parse_sloth(path: &Path, text: &str) -> Result<Vec<SloDef>, ConfigError> {
    let err = |m: String| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        message: m,
    };
    let f: SlothFile = serde_yaml::from_str(text).map_err(|e| yaml_error(path, &e))?;
    if f.version != "prometheus/v1" {
        return Err(err(format!(
            "version `{}` is not supported (expected prometheus/v1)",
            f.version
        )));
    }
    let mut out = Vec::new();
    for s in f.slos {
        if !(0.0..100.0).contains(&s.objective) || s.objective <= 0.0 {
            return Err(err(format!(
                "slo `{}`: objective {} must be a percentage between 0 and 100 (e.g. 99.9)",
                s.name, s.objective
            )));
        }
        let Some(ev) = s.sli.events else {
            return Err(err(format!(
                "slo `{}`: only `sli.events` (error_query and total_query) is supported",
                s.name
            )));
        };
        out.push(SloDef {
            name: sanitize::escape_truncated(&s.name, 128),
            service: sanitize::escape_truncated(&f.service, 128),
            objective: s.objective / 100.0,
            error_query: ev.error_query,
            total_query: ev.total_query,
            latency_query: None,
        });
    }
    Ok(out)
}

pub fn load_sloth(path: &Path) -> Result<Vec<SloDef>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read the SLO spec: {e}"),
    })?;
    parse_sloth(path, &text)
}

/// A parsed query answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Instant: one value per series. Range: the first series' points.
    pub values: Vec<f64>,
    /// Range: (unix seconds, value) of the first series.
    pub points: Vec<(f64, f64)>,
    pub warnings: Vec<String>,
}

impl QueryResult {
    /// The first value, with NaN (0/0, no traffic) and no data both read as 0.
    pub fn first_or_zero(&self) -> f64 {
        self.values
            .first()
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    }
}

#[derive(Debug, Deserialize)]
struct PromResponse {
    status: String,
    #[serde(default)]
    data: Option<PromData>,
    #[serde(default)]
    error: Option<String>,
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum PromData {
    Vector(Vec<VectorSample>),
    Matrix(Vec<MatrixSeries>),
    Scalar((f64, String)),
    String(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
struct VectorSample {
    value: (f64, String),
}

#[derive(Debug, Deserialize)]
struct MatrixSeries {
    #[serde(default)]
    values: Vec<(f64, String)>,
}

fn number(s: &str) -> f64 {
    s.trim().parse::<f64>().unwrap_or(f64::NAN)
}

/// Parses a `/api/v1/query` or `/api/v1/query_range` body (any status: error bodies carry
/// the server's message).
pub fn parse_query(body: &Body) -> Result<QueryResult, FetchError> {
    if !(200..300).contains(&body.status) && !(400..500).contains(&body.status) {
        return Err(http::check_status(body.clone())
            .err()
            .unwrap_or(FetchError::Server {
                status: body.status,
                message: "(no message)".into(),
            }));
    }
    let r: PromResponse = match http::decode(body) {
        Ok(r) => r,
        Err(e) if body.status >= 400 => {
            return Err(http::check_status(body.clone()).err().unwrap_or(e));
        }
        Err(e) => return Err(e),
    };
    let warnings: Vec<String> = r
        .warnings
        .iter()
        .map(|w| sanitize::escape_truncated(w, 300))
        .collect();
    if r.status != "success" {
        let msg = match (r.error_type, r.error) {
            (Some(t), Some(e)) => format!("{t}: {e}"),
            (None, Some(e)) => e,
            _ => "the server answered an error without a message".into(),
        };
        let msg = sanitize::escape_truncated(&msg, 300);
        return Err(if body.status >= 400 {
            FetchError::Client {
                status: body.status,
                message: msg,
            }
        } else {
            FetchError::Api(msg)
        });
    }
    let mut out = QueryResult {
        warnings,
        ..QueryResult::default()
    };
    match r.data {
        Some(PromData::Vector(v)) => out.values = v.iter().map(|s| number(&s.value.1)).collect(),
        Some(PromData::Scalar((_, v))) => out.values = vec![number(&v)],
        Some(PromData::Matrix(m)) => {
            if let Some(first) = m.first() {
                out.points = first.values.iter().map(|(t, v)| (*t, number(v))).collect();
            }
            out.values = m
                .iter()
                .filter_map(|s| s.values.last().map(|(_, v)| number(v)))
                .collect();
        }
        Some(PromData::String(_)) | None => {}
    }
    Ok(out)
}

/// A Prometheus-compatible HTTP API.
#[derive(Debug, Clone)]
pub struct Prometheus {
    pub url: String,
    pub fetcher: Fetcher,
    pub settings: HttpSettings,
    pub interval: Duration,
    pub slos: Vec<SloDef>,
    /// The SLO window (availability and budget), e.g. 30 days.
    pub window: Duration,
    /// Sparkline history and resolution.
    pub history: Duration,
    pub step: Duration,
}

impl Prometheus {
    pub fn new(
        url: &str,
        settings: HttpSettings,
        interval: Duration,
        slos: Vec<SloDef>,
        window: Duration,
    ) -> Result<Prometheus, FetchError> {
        Ok(Prometheus {
            url: url.trim_end_matches('/').to_string(),
            fetcher: Fetcher::for_urls(&settings, [url])?,
            settings,
            interval,
            slos,
            window,
            history: Duration::from_secs(6 * 3600),
            step: Duration::from_secs(120),
        })
    }

    pub async fn instant(&self, query: &str, at: DateTime<Utc>) -> Result<QueryResult, FetchError> {
        let time = format!("{:.3}", at.timestamp_millis() as f64 / 1000.0);
        let qs = http::query_string(&[("query", query), ("time", time.as_str())]);
        let req = self.fetcher.request(
            reqwest::Method::GET,
            &format!("{}/api/v1/query?{qs}", self.url),
        );
        parse_query(&self.fetcher.send(req).await?)
    }

    pub async fn range(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<QueryResult, FetchError> {
        let s = start.timestamp().to_string();
        let e = end.timestamp().to_string();
        let st = format!("{}s", step.as_secs().max(1));
        let qs = http::query_string(&[
            ("query", query),
            ("start", s.as_str()),
            ("end", e.as_str()),
            ("step", st.as_str()),
        ]);
        let req = self.fetcher.request(
            reqwest::Method::GET,
            &format!("{}/api/v1/query_range?{qs}", self.url),
        );
        parse_query(&self.fetcher.send(req).await?)
    }

    /// Every number of one SLO at `at`.
    pub async fn slo_status(
        &self,
        def: &SloDef,
        at: DateTime<Utc>,
    ) -> Result<SloStatus, FetchError> {
        let win = promql_duration(self.window);
        let q5 = def.ratio_query("5m");
        let q1 = def.ratio_query("1h");
        let q6 = def.ratio_query("6h");
        let qw = def.ratio_query(&win);
        // Align the range to the step so successive polls show the same points.
        let step_s = self.step.as_secs().max(1) as i64;
        let end_ts = at.timestamp() - at.timestamp().rem_euclid(step_s);
        let end = DateTime::from_timestamp(end_ts, 0).unwrap_or(at);
        let start = end - chrono::Duration::from_std(self.history).unwrap_or_default();
        let latency = async {
            match &def.latency_query {
                Some(q) => self.instant(q, at).await.map(Some),
                None => Ok(None),
            }
        };
        let (r5, r1, r6, rw, series, lat) = futures::join!(
            self.instant(&q5, at),
            self.instant(&q1, at),
            self.instant(&q6, at),
            self.instant(&qw, at),
            self.range(&q5, start, end, self.step),
            latency,
        );
        let (r5, r1, r6, rw, series, lat) = (r5?, r1?, r6?, rw?, series?, lat?);
        let mut warnings = Vec::new();
        for r in [&r5, &r1, &r6, &rw, &series] {
            for w in &r.warnings {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
        }
        if let Some(l) = &lat {
            warnings.extend(l.warnings.iter().cloned());
        }
        let window_ratio = rw.first_or_zero();
        let series_end = series
            .points
            .last()
            .and_then(|(t, _)| DateTime::from_timestamp(*t as i64, 0));
        Ok(SloStatus {
            name: def.name.clone(),
            service: def.service.clone(),
            objective: def.objective,
            window: self.window,
            error_ratio_now: r5.first_or_zero(),
            series: series
                .points
                .iter()
                .map(|(_, v)| if v.is_finite() { *v } else { 0.0 })
                .collect(),
            step: self.step,
            burn_1h: slo::burn_rate(r1.first_or_zero(), def.objective),
            burn_6h: slo::burn_rate(r6.first_or_zero(), def.objective),
            budget_remaining: 1.0 - window_ratio / slo::budget_ratio(def.objective),
            partial: !warnings.is_empty(),
            warnings,
            series_end,
            error: None,
            latency_p99: lat.map(|l| l.first_or_zero()),
        })
    }

    /// One poll: `Slos` (with per-SLO errors for bad queries), or `SourceFailed` when the
    /// server itself is unwell (the panel then keeps its last good numbers).
    pub async fn poll(&self, at: DateTime<Utc>) -> Event {
        let results =
            futures::future::join_all(self.slos.iter().map(|d| self.slo_status(d, at))).await;
        let mut slos = Vec::new();
        for (def, r) in self.slos.iter().zip(results) {
            match r {
                Ok(s) => slos.push(s),
                Err(e) if e.is_query_error() => slos.push(SloStatus {
                    name: def.name.clone(),
                    service: def.service.clone(),
                    objective: def.objective,
                    window: self.window,
                    step: self.step,
                    budget_remaining: 1.0,
                    error: Some(e.to_string()),
                    ..SloStatus::default()
                }),
                Err(e) => {
                    return Event::SourceFailed {
                        source: SOURCE.into(),
                        at,
                        error: e.to_string(),
                    };
                }
            }
        }
        Event::Slos {
            source: SOURCE.into(),
            at,
            slos,
        }
    }

    pub fn spawn(self, tx: mpsc::Sender<Event>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let ev = self.poll(Utc::now()).await;
                let failed = matches!(ev, Event::SourceFailed { .. });
                if tx.send(ev).await.is_err() {
                    return;
                }
                failures = if failed { failures + 1 } else { 0 };
                let wait = self.settings.next_wait(failures, self.interval);
                tokio::time::sleep(wait).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str, status: u16) -> Body {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        Body {
            status,
            content_type: "application/json".into(),
            bytes: std::fs::read(path).unwrap(),
        }
    }

    #[test]
    fn window_substitution() {
        assert_eq!(
            with_window(
                "sum(rate(x[{{.window}}])) / sum(rate(y[{{ .window }}]))",
                "1h"
            ),
            "sum(rate(x[1h])) / sum(rate(y[1h]))"
        );
        assert_eq!(with_window("{{.other}} {{", "1h"), "{{.other}} {{");
        assert_eq!(promql_duration(Duration::from_secs(30 * 86_400)), "30d");
        assert_eq!(promql_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(promql_duration(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn parses_instant_and_range_fixtures() {
        let r = parse_query(&fixture("prom_query_instant_at_time.json", 200)).unwrap();
        assert!((r.first_or_zero() - 670.8456140350877).abs() < 1e-9);
        let r = parse_query(&fixture("prom_query_availability_instant.json", 200)).unwrap();
        assert!(r.values.len() > 4);
        let r = parse_query(&fixture("prom_query_range_error_ratio_6h.json", 200)).unwrap();
        assert!(r.points.len() > 50);
        assert_eq!(r.points[0].0, 1795267719.0);
        assert!((r.points[0].1 - 0.0015055801221309758).abs() < 1e-12);
        for f in [
            "prom_query_range_burn_rate_1h_by_service.json",
            "prom_query_range_p99_by_service_6h.json",
            "prom_query_raw_counter_vector.json",
            "prom_query_recording_rule_p99.json",
        ] {
            assert!(parse_query(&fixture(f, 200)).is_ok(), "{f}");
        }
    }

    #[test]
    fn bad_promql_shows_the_server_message() {
        let e = parse_query(&fixture("prom_query_error_bad_syntax.json", 400)).unwrap_err();
        assert!(e.is_query_error());
        assert!(
            e.to_string()
                .contains("parse error: unclosed left parenthesis"),
            "{e}"
        );
    }

    #[test]
    fn warnings_are_kept() {
        let body = Body {
            status: 200,
            content_type: "application/json".into(),
            bytes: br#"{"status":"success","warnings":["store gateway down: partial\u001b[31m"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#.to_vec(),
        };
        let r = parse_query(&body).unwrap();
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("\\u{001B}"));
        assert_eq!(r.first_or_zero(), 0.0);
    }

    #[test]
    fn sloth_spec() {
        let text = r#"
version: prometheus/v1
service: checkout
labels: {owner: team-a}
slos:
  - name: requests-availability
    objective: 99.9
    description: "x"
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: CheckoutAvailability
"#;
        let defs = parse_sloth(Path::new("s.yaml"), text).unwrap();
        assert_eq!(defs.len(), 1);
        assert!((defs[0].objective - 0.999).abs() < 1e-12);
        assert_eq!(
            defs[0].ratio_query("5m"),
            "(sum(rate(http_requests_total{code=~\"5..\"}[5m]))) / (sum(rate(http_requests_total[5m])))"
        );
        let err = parse_sloth(
            Path::new("s.yaml"),
            "version: prometheus/v1\nservice: x\nslo: []\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let err =
            parse_sloth(Path::new("s.yaml"), "version: v2\nservice: x\nslos: []\n").unwrap_err();
        assert!(err.message.contains("prometheus/v1"));
    }
}
