//! Alertmanager API v2: the alert poller (several endpoints of an HA pair, merged by
//! fingerprint), silences (create, expire) and groups. Parsing is pure and separate from
//! the I/O so captured responses test it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::http::{self, Body, FetchError, Fetcher, HttpSettings};
use crate::sanitize;
use crate::state::alerts::runbook_id_from_url;
use crate::state::labels::{Interner, Labels};
use crate::state::{Alert, AlertState, Event, Severity};

/// The source name alerts arrive under; the status bar and the Alerts pane use it.
pub const SOURCE: &str = "alertmanager";
/// Longest label or annotation value kept; longer ones end with a visible marker.
pub const VALUE_MAX: usize = 2048;

/// Which label holds the severity, and what its values mean.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityMap {
    pub label: String,
    /// Label value (compared case-insensitively) → console severity.
    pub map: BTreeMap<String, Severity>,
}

impl Default for SeverityMap {
    fn default() -> Self {
        let map = [
            ("critical", Severity::P0),
            ("page", Severity::P1),
            ("error", Severity::P1),
            ("warning", Severity::P2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        SeverityMap {
            label: "severity".into(),
            map,
        }
    }
}

impl SeverityMap {
    /// The mapped value, else the value itself when it reads as P0/P1/P2, else P2.
    pub fn severity(&self, labels: &BTreeMap<String, String>) -> Severity {
        let Some(v) = labels.get(&self.label) else {
            return Severity::P2;
        };
        let lower = v.trim().to_ascii_lowercase();
        self.map
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase() == lower)
            .map(|(_, s)| *s)
            .or_else(|| Severity::parse(v))
            .unwrap_or(Severity::P2)
    }
}

#[derive(Debug, Deserialize)]
struct AmAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    fingerprint: String,
    #[serde(rename = "startsAt")]
    starts_at: DateTime<Utc>,
    status: AmStatus,
    #[serde(rename = "generatorURL", default)]
    generator_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AmStatus {
    state: String,
    #[serde(rename = "silencedBy", default)]
    silenced_by: Option<Vec<String>>,
    #[serde(rename = "inhibitedBy", default)]
    inhibited_by: Option<Vec<String>>,
}

/// Sanitizes an owned string, keeping it (no copy) when it is already safe and short.
fn clean(s: String, max: usize) -> String {
    if s.len() <= max && !s.chars().any(sanitize::is_hazard) {
        s
    } else {
        sanitize::escape_truncated(&s, max)
    }
}

fn clean_map(m: BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.into_iter()
        .map(|(k, v)| (clean(k, 256), clean(v, VALUE_MAX)))
        .collect()
}

/// [`clean_map`] into the alert's compact form, keys and values shared through `names`.
fn clean_labels(m: BTreeMap<String, String>, names: &mut Interner) -> Labels {
    Labels::from_pairs(
        m.into_iter()
            .map(|(k, v)| {
                (
                    names.intern(&clean(k, 256)),
                    names.intern(&clean(v, VALUE_MAX)),
                )
            })
            .collect(),
    )
}

/// How many distinct strings one response shares. Enough for the keys and the values that
/// repeat (names, clusters, tenants, severities, runbook URLs), which appear early; values
/// unique to each alert (pods, summaries) fill it and are then stored unshared.
const SHARED_STRINGS: usize = 4096;

fn clean_list(v: Option<Vec<String>>) -> Vec<String> {
    v.unwrap_or_default()
        .iter()
        .map(|s| sanitize::escape_truncated(s, 128))
        .collect()
}

/// Parses a `GET /api/v2/alerts` body into console alerts; every text is sanitized here.
pub fn parse_alerts(
    body: &Body,
    severity: &SeverityMap,
    endpoint: &str,
) -> Result<Vec<Arc<Alert>>, FetchError> {
    // Each alert is converted as soon as it is read, so the decoded response and the
    // console's alerts never both exist in full (10 000 alerts are megabytes each way).
    let seed = Convert::new(severity, endpoint, &Previous::default());
    let alerts: Converted = http::decode_seed(body, seed)?;
    Ok(alerts.0)
}

struct Converted(Vec<Arc<Alert>>);

/// The last poll's alerts, sorted by fingerprint: an alert reported again unchanged is
/// handed over as the same shared value, so a poll of 10 000 unchanged alerts allocates
/// none of them while the last poll's are still on screen.
pub type Previous = Arc<Vec<Arc<Alert>>>;

/// Reads a list of Alertmanager alerts into console alerts, one at a time.
struct Convert {
    severity: SeverityMap,
    endpoint: Arc<str>,
    previous: Previous,
}

impl Convert {
    fn new(severity: &SeverityMap, endpoint: &str, previous: &Previous) -> Convert {
        Convert {
            severity: severity.clone(),
            endpoint: Arc::from(endpoint),
            previous: Arc::clone(previous),
        }
    }

    /// The last poll's alert when this one is the same report of it, else this one.
    fn share(&self, a: Alert) -> Arc<Alert> {
        match self
            .previous
            .binary_search_by(|p| p.fingerprint.as_str().cmp(&a.fingerprint))
        {
            Ok(i) if self.previous[i].same_report(&a) => Arc::clone(&self.previous[i]),
            _ => Arc::new(a),
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Convert {
    type Value = Converted;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Converted, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Convert {
    type Value = Converted;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of alerts")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Converted, A::Error> {
        // Room for as many as the last poll had: a streamed list does not announce its
        // length, and growing by doubling would hold up to twice the pointers.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(self.previous.len()));
        let mut names = Interner::new(SHARED_STRINGS);
        while let Some(a) = seq.next_element::<AmAlert>()? {
            let a = convert(a, &self.severity, &self.endpoint, &mut names);
            out.push(self.share(a));
        }
        // Fewer than expected (or more, after doubling): no spare capacity kept.
        out.shrink_to_fit();
        Ok(Converted(out))
    }
}

fn convert(a: AmAlert, severity: &SeverityMap, endpoint: &Arc<str>, names: &mut Interner) -> Alert {
    let sev = severity.severity(&a.labels);
    let labels = clean_labels(a.labels, names);
    let annotations = clean_labels(a.annotations, names);
    let silenced_by = clean_list(a.status.silenced_by);
    let inhibited_by = clean_list(a.status.inhibited_by);
    let state = match a.status.state.as_str() {
        "suppressed" if !silenced_by.is_empty() => AlertState::Silenced,
        "suppressed" => AlertState::Inhibited,
        _ => AlertState::Active,
    };
    Alert {
        fingerprint: clean(a.fingerprint, 64),
        name: labels
            .get_shared("alertname")
            .map_or_else(|| "(no alertname)".into(), Arc::clone),
        severity: sev,
        state,
        starts_at: a.starts_at,
        runbook: annotations
            .get("runbook_url")
            .and_then(runbook_id_from_url)
            .map(|id| names.intern(&id)),
        labels,
        annotations,
        silenced_by,
        inhibited_by,
        generator_url: a
            .generator_url
            .map(|u| names.intern(&sanitize::escape_truncated(&u, VALUE_MAX))),
        seen_by: vec![Arc::clone(endpoint)],
        group: None,
    }
}

/// Merges what each endpoint of an HA pair sees: one alert per fingerprint, with every
/// endpoint that reported it. When they disagree about state, the alert shows as active
/// (a silence not yet gossiped must not hide an alert), and silences are united.
pub fn merge(mut per_endpoint: Vec<Vec<Arc<Alert>>>) -> Vec<Arc<Alert>> {
    if per_endpoint.len() == 1 {
        // One endpoint: nothing to merge, and no second copy of every fingerprint.
        let mut alerts = per_endpoint.pop().unwrap_or_default();
        // Unstable: no scratch copy of half the alerts; of a repeated fingerprint (which one
        // Alertmanager does not send) any one copy is as good as another.
        alerts.sort_unstable_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        alerts.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        return alerts;
    }
    let mut by_fp: BTreeMap<String, Arc<Alert>> = BTreeMap::new();
    for alerts in per_endpoint {
        for a in alerts {
            match by_fp.get_mut(&a.fingerprint) {
                None => {
                    by_fp.insert(a.fingerprint.clone(), a);
                }
                Some(have) => {
                    // Copied only when the second report changes the first.
                    let have = Arc::make_mut(have);
                    for s in &a.seen_by {
                        if !have.seen_by.contains(s) {
                            have.seen_by.push(Arc::clone(s));
                        }
                    }
                    for s in &a.silenced_by {
                        if !have.silenced_by.contains(s) {
                            have.silenced_by.push(s.clone());
                        }
                    }
                    if a.state == AlertState::Active || have.state == AlertState::Active {
                        have.state = AlertState::Active;
                    }
                    have.starts_at = have.starts_at.min(a.starts_at);
                }
            }
        }
    }
    by_fp.into_values().collect()
}

/// One alert group from `GET /api/v2/alerts/groups`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    pub labels: BTreeMap<String, String>,
    pub receiver: String,
    pub fingerprints: Vec<String>,
}

#[derive(Deserialize)]
struct AmReceiver {
    name: String,
}

/// A group repeats every alert in full; only the fingerprint is kept (the rest is skipped
/// while reading, never allocated: 10 000 alerts' labels twice over otherwise).
#[derive(Deserialize)]
struct AmMember {
    fingerprint: String,
}

#[derive(Deserialize)]
struct AmGroup {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    receiver: AmReceiver,
    alerts: Vec<AmMember>,
}

pub fn parse_groups(body: &Body) -> Result<Vec<AlertGroup>, FetchError> {
    Ok(convert_groups(http::decode(body)?))
}

fn convert_groups(raw: Vec<AmGroup>) -> Vec<AlertGroup> {
    raw.into_iter()
        .map(|g| AlertGroup {
            labels: clean_map(g.labels),
            receiver: sanitize::escape_truncated(&g.receiver.name, 256),
            fingerprints: g
                .alerts
                .iter()
                .map(|a| sanitize::escape_truncated(&a.fingerprint, 64))
                .collect(),
        })
        .collect()
}

impl AlertGroup {
    /// How the console names the group: `receiver {label="value", ...}`.
    pub fn key(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        format!("{} {{{}}}", self.receiver, labels.join(", "))
    }
}

/// Marks each alert with the first Alertmanager group that holds it. One name per group,
/// shared by its alerts, found through a map: 10 000 alerts in as many groups would be
/// 10^8 comparisons a poll by scanning.
pub fn apply_groups(alerts: &mut [Arc<Alert>], groups: &[AlertGroup]) {
    let mut by_fp: std::collections::HashMap<&str, Arc<str>> = std::collections::HashMap::new();
    for g in groups {
        let key: Arc<str> = g.key().into();
        for fp in &g.fingerprints {
            by_fp.entry(fp.as_str()).or_insert_with(|| Arc::clone(&key));
        }
    }
    for a in alerts {
        let group = by_fp.get(a.fingerprint.as_str());
        // An alert shared with the last poll is copied only if its group changed.
        if a.group.as_ref() != group {
            Arc::make_mut(a).group = group.cloned();
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(rename = "isRegex")]
    pub is_regex: bool,
    #[serde(rename = "isEqual")]
    pub is_equal: bool,
}

/// A silence to create, as Alertmanager's `POST /api/v2/silences` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilenceRequest {
    pub matchers: Vec<Matcher>,
    #[serde(rename = "startsAt")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "endsAt")]
    pub ends_at: DateTime<Utc>,
    #[serde(rename = "createdBy")]
    pub created_by: String,
    pub comment: String,
}

impl SilenceRequest {
    /// A silence matching exactly the given labels.
    pub fn for_labels(
        labels: &BTreeMap<String, String>,
        starts_at: DateTime<Utc>,
        duration: Duration,
        created_by: &str,
        comment: &str,
    ) -> SilenceRequest {
        let ends_at = starts_at
            + chrono::Duration::from_std(duration).unwrap_or_else(|_| chrono::Duration::hours(1));
        SilenceRequest {
            matchers: labels
                .iter()
                .map(|(k, v)| Matcher {
                    name: k.clone(),
                    value: v.clone(),
                    is_regex: false,
                    is_equal: true,
                })
                .collect(),
            starts_at,
            ends_at,
            created_by: created_by.to_string(),
            comment: comment.to_string(),
        }
    }
}

pub fn parse_silence_id(body: &Body) -> Result<String, FetchError> {
    #[derive(Deserialize)]
    struct Created {
        #[serde(rename = "silenceID")]
        silence_id: String,
    }
    let c: Created = http::decode(body)?;
    Ok(sanitize::escape_truncated(&c.silence_id, 128))
}

/// Polling and silences against one or more Alertmanager endpoints.
#[derive(Debug, Clone)]
pub struct Alertmanager {
    pub urls: Vec<String>,
    pub fetcher: Fetcher,
    pub settings: HttpSettings,
    pub interval: Duration,
    pub severity: SeverityMap,
    /// The last poll's alerts, to share what is reported again unchanged.
    pub previous: Arc<std::sync::Mutex<Previous>>,
}

impl Alertmanager {
    pub fn new(
        urls: Vec<String>,
        settings: HttpSettings,
        interval: Duration,
        severity: SeverityMap,
    ) -> Result<Alertmanager, FetchError> {
        let fetcher = Fetcher::for_urls(&settings, urls.iter().map(String::as_str))?;
        let urls = urls
            .into_iter()
            .map(|u| u.trim_end_matches('/').to_string())
            .collect();
        Ok(Alertmanager {
            urls,
            fetcher,
            settings,
            interval,
            severity,
            previous: Arc::default(),
        })
    }

    /// Short endpoint names for the console: host:port.
    pub fn endpoint_name(url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_string()
    }

    /// The last poll's alerts (empty after a poor lock, which only costs sharing).
    fn previous(&self) -> Previous {
        self.previous
            .lock()
            .map(|p| Arc::clone(&p))
            .unwrap_or_default()
    }

    async fn fetch_one(&self, url: &str) -> Result<Vec<Arc<Alert>>, FetchError> {
        let req = self.fetcher.request(
            reqwest::Method::GET,
            &format!(
                "{url}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true"
            ),
        );
        // Decoded as it arrives: the body (6 MB for 10 000 alerts) is never held whole.
        let seed = Convert::new(&self.severity, &Self::endpoint_name(url), &self.previous());
        Ok(self.fetcher.send_decoded(req, seed).await?.0)
    }

    /// Asks every endpoint at once; one result per endpoint, in `urls` order.
    pub async fn fetch_all(&self) -> Vec<Result<Vec<Arc<Alert>>, FetchError>> {
        futures::future::join_all(self.urls.iter().map(|u| self.fetch_one(u))).await
    }

    /// One poll: the events it produces (`Alerts` when at least one endpoint answered, then
    /// the endpoint count; `SourceFailed` when none did), and whether it counts as a failure.
    pub async fn poll(&self, at: DateTime<Utc>) -> (Vec<Event>, bool) {
        let results = self.fetch_all().await;
        let total = results.len();
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for (url, r) in self.urls.iter().zip(results) {
            match r {
                Ok(a) => ok.push(a),
                Err(e) => errors.push(format!("{}: {e}", Self::endpoint_name(url))),
            }
        }
        let up = ok.len();
        let mut events = Vec::new();
        if up > 0 {
            let mut alerts = merge(ok);
            // Alertmanager's own grouping, for group-by; the feed works without it.
            if let Ok(groups) = self.groups().await {
                apply_groups(&mut alerts, &groups);
            }
            if let Ok(mut previous) = self.previous.lock() {
                *previous = Arc::new(alerts.clone());
            }
            events.push(Event::Alerts {
                source: SOURCE.into(),
                at,
                alerts,
            });
        } else {
            events.push(Event::SourceFailed {
                source: SOURCE.into(),
                at,
                error: errors.join("; "),
            });
        }
        events.push(Event::Endpoints {
            source: SOURCE.into(),
            up,
            total,
            errors,
        });
        (events, up == 0)
    }

    /// Creates a silence on the first endpoint that takes it (an HA pair gossips it to
    /// the other). Returns the silence id.
    pub async fn create_silence(&self, req: &SilenceRequest) -> Result<String, FetchError> {
        let mut last = FetchError::Setup("no Alertmanager endpoint is configured".into());
        for url in &self.urls {
            let r = self
                .fetcher
                .send(
                    self.fetcher
                        .request(reqwest::Method::POST, &format!("{url}/api/v2/silences"))
                        .json(req),
                )
                .await
                .and_then(http::check_status)
                .and_then(|b| parse_silence_id(&b));
            match r {
                Ok(id) => return Ok(id),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Expires a silence: every endpoint is asked, success on any is success.
    pub async fn expire_silence(&self, id: &str) -> Result<(), FetchError> {
        let mut last = FetchError::Setup("no Alertmanager endpoint is configured".into());
        let mut any = false;
        for url in &self.urls {
            let r = self
                .fetcher
                .send(self.fetcher.request(
                    reqwest::Method::DELETE,
                    &format!("{url}/api/v2/silence/{id}"),
                ))
                .await
                .and_then(http::check_status);
            match r {
                Ok(_) => any = true,
                Err(e) => last = e,
            }
        }
        if any { Ok(()) } else { Err(last) }
    }

    pub async fn groups(&self) -> Result<Vec<AlertGroup>, FetchError> {
        let mut last = FetchError::Setup("no Alertmanager endpoint is configured".into());
        for url in &self.urls {
            let req = self
                .fetcher
                .request(reqwest::Method::GET, &format!("{url}/api/v2/alerts/groups"));
            match self
                .fetcher
                .send_decoded(req, std::marker::PhantomData::<Vec<AmGroup>>)
                .await
            {
                Ok(g) => return Ok(convert_groups(g)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Polls until the receiver is gone: every `interval` while healthy, backing off
    /// (capped, with jitter) while every endpoint fails.
    ///
    /// `wake` cuts a wait short (after a silence, so the feed shows it at once).
    pub fn spawn(
        self,
        tx: mpsc::Sender<Event>,
        wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let (events, failed) = self.poll(Utc::now()).await;
                for ev in events {
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                failures = if failed { failures + 1 } else { 0 };
                let wait = self.settings.next_wait(failures, self.interval);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = wake.notified() => {}
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One endpoint's alerts from `body`, sharing what `previous` already holds.
    fn poll(body: &Body, previous: &Previous) -> Vec<Arc<Alert>> {
        let seed = Convert::new(&SeverityMap::default(), "am", previous);
        let converted: Converted = http::decode_seed(body, seed).unwrap();
        merge(vec![converted.0])
    }

    #[test]
    fn an_alert_reported_again_unchanged_is_shared_not_copied() {
        let body = fixture("am_get_alerts_all.json");
        let groups = parse_groups(&fixture("am_get_alert_groups.json")).unwrap();
        let mut first = poll(&body, &Previous::default());
        apply_groups(&mut first, &groups);
        let first: Previous = Arc::new(first);
        let mut again = poll(&body, &first);
        apply_groups(&mut again, &groups);
        assert_eq!(again.len(), 4);
        for (a, b) in again.iter().zip(first.iter()) {
            assert!(Arc::ptr_eq(a, b), "{} was copied", a.fingerprint);
        }
        // One alert changes (its pod restarted): a new value for it, the rest shared, and
        // every value is what a poll from nothing gives.
        let text = String::from_utf8(body.bytes.clone()).unwrap();
        let at = text.find("2026-11-21T19:24:07.000Z").unwrap();
        let changed = Body {
            bytes: format!(
                "{}2026-11-21T19:30:00.000Z{}",
                &text[..at],
                &text[at + 24..]
            )
            .into_bytes(),
            ..body
        };
        let next = poll(&changed, &first);
        let shared = next
            .iter()
            .zip(first.iter())
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(shared, 3);
        let fresh = poll(&changed, &Previous::default());
        let strip = |v: &[Arc<Alert>]| -> Vec<Alert> {
            v.iter()
                .map(|a| Alert {
                    group: None,
                    ..(**a).clone()
                })
                .collect()
        };
        assert_eq!(strip(&next), strip(&fresh));
    }

    fn fixture(name: &str) -> Body {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        Body {
            status: 200,
            content_type: "application/json".into(),
            bytes: std::fs::read(path).unwrap(),
        }
    }

    #[test]
    fn parses_real_alerts_with_states() {
        let alerts = parse_alerts(
            &fixture("am_get_alerts_from_prometheus.json"),
            &SeverityMap::default(),
            "am1",
        )
        .unwrap();
        assert_eq!(alerts.len(), 2);
        let lat = alerts
            .iter()
            .find(|a| &*a.name == "LatencyP99High")
            .unwrap();
        assert_eq!(lat.state, AlertState::Inhibited);
        assert_eq!(lat.inhibited_by, vec!["54c00e76c4d0dd23"]);
        assert_eq!(lat.severity, Severity::P2);
        let burn = alerts
            .iter()
            .find(|a| &*a.name == "ErrorBudgetBurnFast")
            .unwrap();
        assert_eq!(burn.state, AlertState::Active);
        assert_eq!(burn.severity, Severity::P1);
        assert_eq!(burn.label("tenant"), "acme");
        assert!(
            burn.generator_url
                .as_deref()
                .unwrap()
                .starts_with("http://")
        );
        assert!(burn.annotations["summary"].contains("121.5x"));
    }

    #[test]
    fn all_fixture_files_parse() {
        for f in [
            "am_get_alerts_all.json",
            "am_get_alerts_filter_p1_active.json",
        ] {
            let a = parse_alerts(&fixture(f), &SeverityMap::default(), "am").unwrap();
            assert!(!a.is_empty(), "{f}");
        }
        let groups = parse_groups(&fixture("am_get_alert_groups.json")).unwrap();
        assert!(!groups.is_empty());
        assert!(groups.iter().all(|g| !g.fingerprints.is_empty()));
        let mut alerts = parse_alerts(
            &fixture("am_get_alerts_from_prometheus.json"),
            &SeverityMap::default(),
            "am",
        )
        .unwrap();
        apply_groups(&mut alerts, &groups);
        let burn = alerts
            .iter()
            .find(|a| &*a.name == "ErrorBudgetBurnFast")
            .unwrap();
        let key = burn.group.as_deref().unwrap();
        assert!(key.starts_with("blackhole {"), "{key}");
        assert_eq!(
            parse_silence_id(&fixture("am_post_silence_response.json")).unwrap(),
            "8bc5f694-cdd2-4e0c-aa3f-b8569a9d2847"
        );
    }

    #[test]
    fn severity_map_from_labels() {
        let mut m = SeverityMap::default();
        m.map.insert("sev1".into(), Severity::P0);
        let l = |v: &str| BTreeMap::from([("severity".to_string(), v.to_string())]);
        assert_eq!(m.severity(&l("critical")), Severity::P0);
        assert_eq!(m.severity(&l("Page")), Severity::P1);
        assert_eq!(m.severity(&l("warning")), Severity::P2);
        assert_eq!(m.severity(&l("SEV1")), Severity::P0);
        assert_eq!(m.severity(&l("p1")), Severity::P1);
        assert_eq!(m.severity(&l("info")), Severity::P2);
        assert_eq!(m.severity(&BTreeMap::new()), Severity::P2);
    }

    #[test]
    fn hostile_labels_are_escaped_and_truncated() {
        let huge = "x".repeat(10_000);
        let text = serde_json::json!([{
            "labels": {"alertname": "A\u{1b}]0;PWNED\u{7}", "ns": "kube\u{200B}-system", "big": huge},
            "annotations": {"summary": "abc\u{202E}fed"},
            "fingerprint": "f1", "startsAt": "2026-01-01T00:00:00Z",
            "status": {"state": "active", "silencedBy": null, "inhibitedBy": null}
        }])
        .to_string();
        let body = Body {
            status: 200,
            content_type: "application/json".into(),
            bytes: text.into_bytes(),
        };
        let a = &parse_alerts(&body, &SeverityMap::default(), "am").unwrap()[0];
        assert_eq!(&*a.name, "A\\u{001B}]0;PWNED\\u{0007}");
        assert_eq!(a.label("ns"), "kube\\u{200B}-system");
        assert_eq!(&a.annotations["summary"], "abc\\u{202E}fed");
        assert!(a.label("big").chars().count() < 2100);
        assert!(a.label("big").contains("…[+"));
    }

    #[test]
    fn ha_pair_merges_by_fingerprint() {
        let a = parse_alerts(
            &fixture("am_get_alerts_from_prometheus.json"),
            &SeverityMap::default(),
            "am1",
        )
        .unwrap();
        let mut b = parse_alerts(
            &fixture("am_get_alerts_from_prometheus.json"),
            &SeverityMap::default(),
            "am2",
        )
        .unwrap();
        b.truncate(1);
        let merged = merge(vec![a, b]);
        assert_eq!(merged.len(), 2);
        let both = merged.iter().find(|m| m.seen_by.len() == 2).unwrap();
        let seen: Vec<&str> = both.seen_by.iter().map(|s| &**s).collect();
        assert_eq!(seen, ["am1", "am2"]);
    }

    #[test]
    fn silence_request_matches_the_wire_format() {
        let labels = BTreeMap::from([
            ("alertname".to_string(), "PodCrashLooping".to_string()),
            ("severity".to_string(), "P3".to_string()),
        ]);
        let start = DateTime::parse_from_rfc3339("2026-11-21T19:24:07Z")
            .unwrap()
            .with_timezone(&Utc);
        let req = SilenceRequest::for_labels(
            &labels,
            start,
            Duration::from_secs(7200),
            "warroom-ci",
            "ack: known flaky pod",
        );
        let ours = serde_json::to_value(&req).unwrap();
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/am_post_silence_request.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ours["matchers"], theirs["matchers"]);
        assert_eq!(ours["createdBy"], theirs["createdBy"]);
        assert_eq!(ours["comment"], theirs["comment"]);
        let ends: DateTime<Utc> = serde_json::from_value(ours["endsAt"].clone()).unwrap();
        let theirs_end: DateTime<Utc> = serde_json::from_value(theirs["endsAt"].clone()).unwrap();
        assert_eq!(ends, theirs_end);
    }
}
