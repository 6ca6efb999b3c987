//! One full frame of the real `ui::draw` at 120x40 on ratatui's TestBackend, with the demo's
//! incident and drill running, 10 000 alerts loaded and six SLOs with sparklines: the work
//! every redraw does, and the cost of the 1 Hz tick that redraws the clocks. And an idle
//! second of the demo as the console draws it (regions cached, only damage compared and
//! sent) beside the same second drawn whole and diffed whole.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::keymap::Keymap;
use warroom::slo::SloStatus;
use warroom::sources::demo::{DemoPlayer, Scenario};
use warroom::state::{Alert, AlertState, Event, Mode, Severity, State, update};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap()
}

fn at(s: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(s)
}

fn alerts(n: usize) -> Vec<Alert> {
    let sev = [Severity::P0, Severity::P1, Severity::P2];
    (0..n)
        .map(|i| {
            let labels: warroom::state::Labels = [
                ("alertname", format!("Alert{}", i % 50)),
                ("cluster", "prod-1".into()),
                ("region", "eu-west-1".into()),
                ("service", format!("svc-{}", i % 20)),
                ("tenant", format!("tenant-{}", i % 100)),
                ("pod", format!("pod-{i}")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            Alert {
                fingerprint: format!("{i:016x}"),
                name: format!("Alert{}", i % 50).into(),
                severity: sev[i % 3],
                state: AlertState::Active,
                starts_at: at(-(i as i64 % 7200)),
                labels,
                annotations: [(
                    "summary".to_string(),
                    format!("checkout burning error budget {i}.5x"),
                )]
                .into_iter()
                .collect(),
                runbook: None,
                silenced_by: Vec::new(),
                inhibited_by: Vec::new(),
                generator_url: None,
                seen_by: vec!["am1".into()],
                group: None,
            }
        })
        .collect()
}

fn slos(n: usize) -> Vec<SloStatus> {
    (0..n)
        .map(|i| SloStatus {
            name: format!("slo-{i}"),
            service: format!("svc-{i}"),
            objective: 0.999,
            window: Duration::from_secs(30 * 86_400),
            error_ratio_now: 0.002,
            series: (0..120)
                .map(|k| 0.001 * (1.0 + ((k + i) % 17) as f64 / 4.0))
                .collect(),
            step: Duration::from_secs(60),
            burn_1h: 2.0,
            burn_6h: 1.2,
            budget_remaining: 0.6,
            series_end: Some(at(90)),
            ..SloStatus::default()
        })
        .collect()
}

/// The demo 90 s in, with its incident open.
fn demo_state() -> State {
    let mut state = State::new(Mode::Demo, Keymap::default(), false, t0());
    let mut player = DemoPlayer::new(Scenario::embedded().expect("demo scenario"), t0());
    let effects = state.open_incident("demo".into(), Severity::P1);
    journal(&mut state, effects);
    for s in 0..=90 {
        for ev in player.advance(at(s)) {
            let effects = update(&mut state, ev);
            journal(&mut state, effects);
        }
        update(&mut state, Event::Tick(at(s)));
    }
    state
}

/// The journal's part, in memory: each record is handed back as if written.
fn journal(state: &mut State, effects: Vec<warroom::state::Effect>) {
    use warroom::incident::Record;
    use warroom::state::{Effect, JournalStatus};
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        let seq = state
            .incident
            .as_ref()
            .map_or(1, |i| i.records.len() as u64 + 1);
        let record = match e {
            Effect::OpenIncident { opened, by, .. } => {
                queue.extend(update(state, Event::JournalReady(JournalStatus::Writable)));
                Record::new(1, state.now, by, opened)
            }
            Effect::Journal { kind, by } => Record::new(seq, state.now, by, kind),
            _ => continue,
        };
        queue.extend(update(state, Event::Journaled(record)));
    }
}

/// The demo 90 s in, then 10 000 alerts and six SLOs from a live source.
fn loaded_state() -> State {
    let mut state = State::new(Mode::Demo, Keymap::default(), false, t0());
    let mut player = DemoPlayer::new(Scenario::embedded().expect("demo scenario"), t0());
    for s in 0..=90 {
        for ev in player.advance(at(s)) {
            update(&mut state, ev);
        }
        update(&mut state, Event::Tick(at(s)));
    }
    update(
        &mut state,
        Event::Alerts {
            source: "alertmanager".into(),
            at: at(90),
            alerts: alerts(10_000)
                .into_iter()
                .map(std::sync::Arc::new)
                .collect(),
        },
    );
    update(
        &mut state,
        Event::Slos {
            source: "prometheus".into(),
            at: at(90),
            slos: slos(6),
        },
    );
    state
}

fn bench(c: &mut Criterion) {
    let theme = warroom::theme::load("dark", None).expect("theme");
    let mut state = loaded_state();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut g = c.benchmark_group("render");
    g.bench_function("full_frame_120x40_10k_alerts_6_slos", |b| {
        b.iter(|| {
            // A full frame: the previous buffer is forgotten, so every cell is drawn and sent.
            term.clear().expect("clear");
            term.draw(|f| warroom::ui::draw(f, black_box(&state), &theme))
                .expect("draw");
        })
    });
    let mut s = 90;
    g.bench_function("tick_and_redraw_120x40_10k_alerts_6_slos", |b| {
        b.iter(|| {
            s += 1;
            update(&mut state, Event::Tick(at(s)));
            term.draw(|f| warroom::ui::draw(f, black_box(&state), &theme))
                .expect("draw");
        })
    });
    // The demo alone, as `warroom --demo` runs: one second ticks, the clocks redraw.
    let mut demo = demo_state();
    let mut screen = warroom::term::screen::Screen::new(TestBackend::new(120, 40));
    let mut cache = warroom::ui::Cache::default();
    let mut s = 90;
    g.bench_function("demo_idle_second_cached_regions_damage_only", |b| {
        b.iter(|| {
            s += 1;
            update(&mut demo, Event::Tick(at(s)));
            screen
                .draw(|buf, holds_last| {
                    warroom::ui::draw_into(buf, black_box(&demo), &theme, &mut cache, holds_last)
                })
                .expect("draw");
        })
    });
    let mut demo = demo_state();
    let mut s = 90;
    g.bench_function("demo_idle_second_whole_frame", |b| {
        b.iter(|| {
            s += 1;
            update(&mut demo, Event::Tick(at(s)));
            term.draw(|f| warroom::ui::draw(f, black_box(&demo), &theme))
                .expect("draw");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
