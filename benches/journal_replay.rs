//! Resume after a crash: read a 100 000-record incident journal from disk and fold it into
//! the console's state, the path a restarted console takes. Target: under 200 ms.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::incident::{Journal, RecordKind};
use warroom::keymap::Keymap;
use warroom::sources::demo::Scenario;
use warroom::state::{Event, Mode, State, update};

const RECORDS: usize = 100_000;

/// A journal shaped like a long incident: mostly runbook walking and notes, some alerts.
fn write_journal(dir: &std::path::Path) {
    let (mut j, _) = Journal::open(dir).expect("journal");
    let t0 = Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap();
    let by = Some("alice".to_string());
    j.append(
        t0,
        by.clone(),
        RecordKind::IncidentOpened {
            id: "inc-bench".into(),
            title: "bench".into(),
            severity: "P1".into(),
            commander: "alice".into(),
        },
    )
    .expect("append");
    let steps = [
        "is-it-real",
        "where-is-the-time-going",
        "catalog-saturated",
        "scale-out-the-catalog",
    ];
    for n in 1..RECORDS {
        let at = t0 + chrono::Duration::milliseconds(n as i64 * 100);
        let kind = match n % 10 {
            0 => RecordKind::AlertSeen {
                fingerprint: format!("fp{}", n % 500),
                name: "CatalogP99LatencyHigh".into(),
                severity: "P1".into(),
                labels: [("tenant".to_string(), "acme-books".to_string())].into(),
                starts_at: t0,
            },
            1 => RecordKind::AlertAcked {
                fingerprint: format!("fp{}", n % 500),
            },
            2 => RecordKind::RunbookOpened {
                runbook: "catalog-p99-latency".into(),
                alert: None,
            },
            3..=6 => RecordKind::StepViewed {
                runbook: "catalog-p99-latency".into(),
                step: steps[n % 4].into(),
            },
            7 => RecordKind::StepBack {
                runbook: "catalog-p99-latency".into(),
            },
            _ => RecordKind::Note {
                text: format!("observation {n}: p99 still above target"),
                action_item: None,
            },
        };
        j.append(at, by.clone(), kind).expect("append");
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let inc = dir.path().join("inc-bench");
    write_journal(&inc);
    let runbooks = Scenario::embedded().expect("scenario").runbooks;
    let mut group = c.benchmark_group("journal");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("replay 100k records (read + fold)", |b| {
        b.iter(|| {
            let (_j, replay) = Journal::open(&inc).expect("open");
            let mut state = State::new(Mode::Live, Keymap::default(), false, Utc::now());
            update(&mut state, Event::RunbooksLoaded(runbooks.clone()));
            for r in replay.records {
                update(&mut state, Event::Journaled(r));
            }
            black_box(state.incident.map(|i| i.records.len()))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
