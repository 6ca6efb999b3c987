//! Parse and lint of a typical runbook (the shipped catalog one). Target: each under 200 µs.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::runbook::lint::lint;
use warroom::runbook::parse::parse;

const CATALOG: &str = include_str!("../runbooks/catalog-p99-latency.md");

fn bench(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    c.bench_function("parse catalog-p99-latency", |b| {
        b.iter(|| {
            parse(
                "catalog-p99-latency",
                "catalog-p99-latency.md",
                black_box(CATALOG),
            )
            .unwrap()
        })
    });
    let parsed = parse("catalog-p99-latency", "catalog-p99-latency.md", CATALOG).unwrap();
    c.bench_function("lint catalog-p99-latency", |b| {
        b.iter(|| lint(black_box(&parsed), today))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
