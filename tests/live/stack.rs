//! The console against a real stack: two Alertmanagers, one Prometheus with six hours of
//! backfilled SLO history, live counters, and a burn-rate rule that fires a real alert.
//! Pollers, `update` and rendering run in-process; one run of the real binary at the end.

use std::time::Duration;

use chrono::Utc;
use warroom::app;
use warroom::keymap::Keymap;
use warroom::slo::PolicyTier;
use warroom::sources::alertmanager::{Alertmanager, SeverityMap};
use warroom::sources::http::HttpSettings;
use warroom::sources::prometheus::{Prometheus, load_sloth};
use warroom::state::{
    AlertState, Effect, Event, Mode, Overlay, Severity, SourceHealth, State, update,
};

use super::harness::{self, PrometheusSetup, eventually, require, wait_ready};
use super::series::{self, BURN_RATIO, Series};
use crate::common::{press, screen};
use crate::support::pty::{Session, TIMEOUT};

const ALERT: &str = "ErrorBudgetBurnFast";
const OBJECTIVE: f64 = 0.999;
const WINDOW: Duration = Duration::from_secs(30 * 86_400);
/// Relative tolerance between Prometheus' numbers and the closed-form ones: rate()
/// extrapolation and up to one scrape (1 s) of timing skew.
const TOLERANCE: f64 = 0.02;

fn settings() -> HttpSettings {
    HttpSettings {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        ..HttpSettings::default()
    }
}

fn close(what: &str, got: f64, want: f64) {
    let err = (got - want).abs() / want.abs().max(1e-9);
    assert!(
        err <= TOLERANCE,
        "{what}: got {got}, closed form says {want} (off by {:.2} %, tolerance {:.0} %)",
        err * 100.0,
        TOLERANCE * 100.0
    );
}

fn fold(state: &mut State, events: Vec<Event>) -> Vec<Effect> {
    events.into_iter().flat_map(|e| update(state, e)).collect()
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, &[&c.to_string()]);
    }
}

fn prometheus_config(dir: &std::path::Path, metrics: &str, ams: &[&str]) -> std::path::PathBuf {
    let rules = dir.join("rules.yml");
    std::fs::write(
        &rules,
        format!(
            r#"groups:
  - name: slo
    interval: 1s
    rules:
      - alert: {ALERT}
        expr: (sum(rate(slo_errors_total[1m])) / sum(rate(slo_requests_total[1m]))) / 0.001 > 14.4
        for: 5s
        labels:
          severity: critical
          service: checkout
          tenant: acme
          region: eu-west-1
        annotations:
          summary: checkout is burning its error budget fast
          runbook_url: https://runbooks.example.invalid/slo/error-budget-burn
"#
        ),
    )
    .expect("write rules");
    let targets: Vec<String> = ams
        .iter()
        .map(|u| format!("'{}'", u.trim_start_matches("http://")))
        .collect();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            r#"global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['{}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: [{}]
scrape_configs:
  - job_name: slo
    static_configs:
      - targets: ['{metrics}']
"#,
            rules.display(),
            targets.join(", ")
        ),
    )
    .expect("write prometheus.yml");
    cfg
}

const SLOTH: &str = r#"version: prometheus/v1
service: checkout
labels:
  owner: payments-team
slos:
  - name: checkout-availability
    objective: 99.9
    description: Checkout requests that do not fail.
    sli:
      events:
        error_query: sum(rate(slo_errors_total[{{.window}}]))
        total_query: sum(rate(slo_requests_total[{{ .window }}]))
    alerting:
      name: CheckoutAvailability
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_against_real_prometheus_and_alertmanager() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    for p in ["prometheus", "promtool", "prometheus-alertmanager"] {
        require(p);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();

    // History and live counters from the same functions.
    let t0 = series::now().floor();
    let s = Series {
        start: t0 - 6.0 * 3600.0,
        jump: t0 - 480.0,
    };
    let metrics_port = series::serve_metrics(s).await;
    let instance = format!("127.0.0.1:{metrics_port}");
    let data = dir.join("prom-data");
    series::backfill(&s, t0, &instance, dir, &data);

    let (am1, am1_url) = harness::alertmanager(dir, "am1");
    let (mut am2, am2_url) = harness::alertmanager(dir, "am2");
    let setup = PrometheusSetup {
        dir: dir.to_path_buf(),
        port: harness::free_port(),
        config: prometheus_config(dir, &instance, &[&am1_url, &am2_url]),
        data,
    };
    let mut prom = setup.start();
    wait_ready(&format!("{am1_url}/-/ready"), &am1).await;
    wait_ready(&format!("{am2_url}/-/ready"), &am2).await;
    wait_ready(&format!("{}/-/ready", setup.url()), &prom).await;

    // The console, in-process.
    let mut state = State::new(Mode::Live, Keymap::default(), false, Utc::now());
    state.user = "alice".into();
    state.sources = vec![
        SourceHealth::new("alertmanager", Duration::from_secs(1)),
        SourceHealth::new("prometheus", Duration::from_secs(1)),
    ];
    let am = Alertmanager::new(
        vec![am1_url.clone(), am2_url.clone()],
        settings(),
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    let am1_only = Alertmanager::new(
        vec![am1_url.clone()],
        settings(),
        Duration::from_secs(1),
        SeverityMap::default(),
    )
    .expect("client");
    let spec = dir.join("checkout-slo.yaml");
    std::fs::write(&spec, SLOTH).expect("write spec");
    let mut defs = load_sloth(&spec).expect("the Sloth spec parses");
    // An optional latency query, as `latency_queries` in the config adds it.
    defs[0].latency_query = Some("vector(0.25)".into());
    let prom_client = Prometheus::new(
        &setup.url(),
        settings(),
        Duration::from_secs(1),
        defs,
        WINDOW,
    )
    .expect("client");

    // 1. The real alert reaches both Alertmanagers and the feed, with its labels.
    let alert = eventually(
        "the burn-rate alert in both Alertmanagers",
        Duration::from_secs(60),
        || {
            let am = &am;
            async move {
                let (events, _) = am.poll(Utc::now()).await;
                events.into_iter().find_map(|e| match e {
                    Event::Alerts { alerts, .. } => alerts
                        .into_iter()
                        .find(|a| &*a.name == ALERT && a.seen_by.len() == 2),
                    _ => None,
                })
            }
        },
    )
    .await;
    let (events, _) = am.poll(Utc::now()).await;
    fold(&mut state, events);
    update(&mut state, Event::Tick(Utc::now()));
    assert_eq!(alert.severity, Severity::P0, "critical maps to P0");
    let group = state.alerts.alerts[0].group.clone().unwrap_or_default();
    assert!(
        group.starts_with("blackhole {"),
        "Alertmanager group: {group}"
    );
    assert_eq!(alert.label("service"), "checkout");
    assert_eq!(alert.label("tenant"), "acme");
    assert_eq!(alert.label("severity"), "critical");
    assert_eq!(
        &alert.annotations["summary"],
        "checkout is burning its error budget fast"
    );
    assert!(
        alert
            .generator_url
            .as_deref()
            .is_some_and(|u| u.starts_with(&setup.url())),
        "{:?}",
        alert.generator_url
    );
    let text = screen(&state, 120, 40);
    assert!(text.contains(ALERT) && text.contains("P0"), "{text}");
    assert!(text.contains("UNACKED") && text.contains("acme"), "{text}");
    assert!(text.contains("2/2 up"), "{text}");

    // 2. Ack: who and since when.
    let effects = press(&mut state, &["a"]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Journal { kind: warroom::incident::RecordKind::AlertAcked { .. }, by: Some(b) } if b == "alice")), "{effects:?}");
    assert!(crate::common::journal_in_memory(&mut state, effects).is_empty());
    assert!(screen(&state, 120, 40).contains("✓ alice"));

    // 3. Silence from the console: a stray Enter at the question does not confirm...
    press(&mut state, &["s"]);
    type_text(&mut state, "looking into it");
    let effects = press(&mut state, &["enter", "enter"]);
    assert!(effects.is_empty(), "enter must not confirm: {effects:?}");
    assert!(state.overlay.is_none());
    // ...y does.
    press(&mut state, &["s"]);
    type_text(&mut state, "looking into it");
    press(&mut state, &["enter"]);
    assert!(screen(&state, 120, 40).contains("Create this silence"));
    let mut effects = press(&mut state, &["y"]);
    assert_eq!(effects.len(), 1, "{effects:?}");
    let Some(Effect::CreateSilence { request, .. }) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(request.created_by, "alice");
    assert_eq!(request.comment, "looking into it");
    let outcome = app::perform(Some(&am), effects.remove(0)).await;
    let Some(Event::Silenced {
        silence_id: text, ..
    }) = outcome.clone()
    else {
        panic!("silence failed: {outcome:?}");
    };
    // During the incident (opened by the ack above) the silence becomes a journal record.
    let more = update(&mut state, outcome.unwrap());
    assert!(
        more.iter().any(|e| matches!(
            e,
            Effect::Journal {
                kind: warroom::incident::RecordKind::AlertSilenced { .. },
                ..
            }
        )),
        "{more:?}"
    );
    crate::common::journal_in_memory(&mut state, more);
    // Alertmanager itself now holds the alert silenced.
    let silence_id = eventually(
        "the alert silenced in Alertmanager",
        Duration::from_secs(20),
        || {
            let am1_only = &am1_only;
            async move {
                let alerts = am1_only.fetch_all().await.pop()?.ok()?;
                alerts
                    .into_iter()
                    .find(|a| &*a.name == ALERT && a.state == AlertState::Silenced)
                    .and_then(|a| a.silenced_by.first().cloned())
            }
        },
    )
    .await;
    assert!(text.contains(&silence_id), "{text} vs {silence_id}");
    let (events, _) = am1_only.poll(Utc::now()).await;
    fold(&mut state, events);
    assert!(screen(&state, 120, 40).contains("silenced"));

    // Expire it from the console again.
    press(&mut state, &["U"]);
    assert!(matches!(
        state.overlay,
        Some(Overlay::Confirm {
            on_yes: warroom::state::Pending::ExpireSilence { .. },
            ..
        })
    ));
    let mut effects = press(&mut state, &["y"]);
    let outcome = app::perform(Some(&am), effects.remove(0)).await;
    assert!(
        matches!(outcome, Some(Event::Outcome { ok: true, .. })),
        "{outcome:?}"
    );
    eventually("the alert active again", Duration::from_secs(20), || {
        let am1_only = &am1_only;
        async move {
            let alerts = am1_only.fetch_all().await.pop()?.ok()?;
            alerts
                .iter()
                .any(|a| &*a.name == ALERT && a.state == AlertState::Active)
                .then_some(())
        }
    })
    .await;

    // 4. SLO numbers equal the closed-form ones.
    let (at, slo) = eventually(
        "SLO numbers from Prometheus",
        Duration::from_secs(30),
        || {
            let p = &prom_client;
            async move {
                let at = Utc::now();
                // Wait for live scrapes (Prometheus starts scraping about 5 s after start),
                // so the numbers cover history and live data joined.
                let last = p.instant("timestamp(slo_requests_total)", at).await.ok()?;
                let age = at.timestamp_millis() as f64 / 1000.0 - last.values.first()?;
                if age > 2.5 {
                    return None;
                }
                match p.poll(at).await {
                    Event::Slos { slos, .. }
                        if slos
                            .first()
                            .is_some_and(|s| s.error.is_none() && s.error_ratio_now > 0.0) =>
                    {
                        Some((at, slos[0].clone()))
                    }
                    _ => None,
                }
            }
        },
    )
    .await;
    let q = at.timestamp_millis() as f64 / 1000.0;
    // History and live samples form one series per counter, without a reset at the join.
    let n = prom_client
        .instant("count(slo_requests_total)", at)
        .await
        .expect("count");
    assert_eq!(
        n.values,
        vec![1.0],
        "backfill and scrape must join into one series"
    );
    let resets = prom_client
        .instant(
            "resets(slo_errors_total[1h]) + resets(slo_requests_total[1h])",
            at,
        )
        .await
        .expect("resets");
    assert_eq!(
        resets.values,
        vec![0.0],
        "no counter reset where history meets live data"
    );
    let budget = 1.0 - OBJECTIVE;
    close("error ratio 5m", slo.error_ratio_now, s.ratio(q - 300.0, q));
    close(
        "error ratio 5m is the burn",
        slo.error_ratio_now,
        BURN_RATIO,
    );
    close("burn 1h", slo.burn_1h, s.ratio(q - 3600.0, q) / budget);
    close("burn 6h", slo.burn_6h, s.ratio(q - 21_600.0, q) / budget);
    let want_budget = 1.0 - s.ratio(q - WINDOW.as_secs_f64(), q) / budget;
    close("budget remaining", slo.budget_remaining, want_budget);
    close(
        "availability",
        slo.availability(),
        1.0 - s.ratio(s.start, q),
    );
    assert_eq!(slo.tier(), PolicyTier::for_remaining(want_budget));
    assert_eq!(slo.tier(), PolicyTier::SlowDown);
    let burn_1h = s.ratio(q - 3600.0, q) / budget;
    let want_exhaust = WINDOW.as_secs_f64() * want_budget / burn_1h;
    close(
        "time to exhaustion",
        slo.exhaustion()
            .expect("burning faster than earning")
            .as_secs_f64(),
        want_exhaust,
    );
    // The sparkline: 6 h of 5-minute error ratios, each equal to the closed form (points
    // whose window straddles the jump are skipped: 15 s samples blur it).
    assert!(slo.series.len() >= 150, "{} points", slo.series.len());
    let mut checked = 0;
    for (v, t) in slo.series.iter().zip(slo.series_times()) {
        let t = t.expect("range points carry times").timestamp() as f64;
        if t - 300.0 < s.start + 15.0 || (t + 15.0 > s.jump && t - 300.0 < s.jump + 15.0) {
            continue;
        }
        close(
            &format!("sparkline point at {t}"),
            *v,
            s.ratio(t - 300.0, t),
        );
        checked += 1;
    }
    assert!(checked >= 140, "{checked} sparkline points checked");
    update(
        &mut state,
        Event::Slos {
            source: "prometheus".into(),
            at,
            slos: vec![slo.clone()],
        },
    );
    update(&mut state, Event::Tick(Utc::now()));
    let text = screen(&state, 120, 40);
    assert!(text.contains("checkout-availability"), "{text}");
    assert!(text.contains("SLOW RELEASES"), "{text}");
    assert_eq!(slo.latency_p99, Some(0.25));
    assert!(text.contains("p99 250ms"), "{text}");
    assert!(text.contains('█'), "sparkline drawn: {text}");
    // Selecting the SLO shows the numbers behind the sparkline.
    press(&mut state, &["tab", "tab"]);
    press(&mut state, &["enter"]);
    let text = screen(&state, 120, 40);
    assert!(text.contains("newest first"), "{text}");
    assert!(
        text.contains(&format!("{:.6}", slo.series[slo.series.len() - 1])),
        "{text}"
    );
    press(&mut state, &["esc"]);

    // 5. The real binary, pointed at the stack by a config file.
    let config = dir.join("warroom.yaml");
    std::fs::write(
        &config,
        format!(
            "user: bob\nalertmanager:\n  urls: [{am1_url}, {am2_url}]\n  interval: 1s\nprometheus:\n  url: {}\n  interval: 2s\nslo_specs: [{}]\n",
            setup.url(),
            spec.display()
        ),
    )
    .expect("write config");
    {
        let session = Session::builder(env!("CARGO_BIN_EXE_warroom"))
            .arg("--config")
            .arg(&config)
            .size(140, 40)
            .spawn();
        session.wait_for("the real alert and the SLO on screen", TIMEOUT * 2, |sc| {
            let t = sc.contents();
            t.contains(ALERT)
                && t.contains("checkout-availability")
                && t.contains('█')
                && t.contains("2/2 up")
        });
    }

    // 6. Prometheus dies: the panel keeps its numbers, says since when and why...
    prom.kill();
    let ev = prom_client.poll(Utc::now()).await;
    assert!(matches!(ev, Event::SourceFailed { .. }), "{ev:?}");
    update(&mut state, ev);
    update(&mut state, Event::Tick(Utc::now()));
    let text = screen(&state, 120, 40);
    assert!(text.contains("stale since"), "{text}");
    assert!(text.contains("cannot connect"), "{text}");
    assert!(
        text.contains("checkout-availability"),
        "last data kept: {text}"
    );
    assert_eq!(state.slos[0], slo);
    // ...and recovers by itself when it is back.
    let mut prom = setup.start();
    wait_ready(&format!("{}/-/ready", setup.url()), &prom).await;
    let ev = eventually(
        "Prometheus answering again",
        Duration::from_secs(30),
        || {
            let p = &prom_client;
            async move {
                match p.poll(Utc::now()).await {
                    ev @ Event::Slos { .. } => Some(ev),
                    _ => None,
                }
            }
        },
    )
    .await;
    update(&mut state, ev);
    update(&mut state, Event::Tick(Utc::now()));
    let text = screen(&state, 120, 40);
    assert!(!text.contains("stale since"), "{text}");
    prom.kill();

    // 7. One Alertmanager of two down: "1/2", the alerts stay.
    am2.kill();
    let (events, failed) = am.poll(Utc::now()).await;
    assert!(!failed);
    fold(&mut state, events);
    let text = screen(&state, 120, 40);
    assert!(text.contains("1/2 up"), "{text}");
    assert!(text.contains(ALERT), "{text}");
    drop(am1);
}
