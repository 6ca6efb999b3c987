//! Parsing a 10 000-alert Alertmanager `GET /api/v2/alerts` response, as the poller does
//! on every poll of a busy Alertmanager: JSON decoding, severity mapping and sanitizing.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use warroom::sources::alertmanager::{SeverityMap, merge, parse_alerts};
use warroom::sources::http::Body;

fn body(n: usize) -> Body {
    let sev = ["critical", "page", "warning"];
    let alerts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "annotations": {
                    "runbook_url": "https://runbooks.example.invalid/slo/error-budget-burn",
                    "summary": format!("checkout burning error budget {i}.5x (acme/eu-west-1)"),
                },
                "endsAt": "2026-11-21T19:27:45.669Z",
                "fingerprint": format!("{i:016x}"),
                "receivers": [{"name": "blackhole"}],
                "startsAt": "2026-11-21T19:23:45.669Z",
                "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
                "updatedAt": "2026-11-21T19:23:45.672Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=slo%3Aerror_ratio%3Arate5m",
                "labels": {
                    "alertname": format!("Alert{}", i % 50),
                    "cluster": "prod-1",
                    "region": "eu-west-1",
                    "service": format!("svc-{}", i % 20),
                    "severity": sev[i % 3],
                    "tenant": format!("tenant-{}", i % 100),
                    "pod": format!("pod-{i}"),
                },
            })
        })
        .collect();
    Body {
        status: 200,
        content_type: "application/json".into(),
        bytes: serde_json::to_vec(&alerts).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let b = body(10_000);
    let map = SeverityMap::default();
    let mut g = c.benchmark_group("alertmanager");
    g.throughput(Throughput::Bytes(b.bytes.len() as u64));
    g.sample_size(20);
    g.bench_function("parse_10k_alerts", |bench| {
        bench.iter(|| parse_alerts(black_box(&b), &map, "am1").unwrap())
    });
    g.bench_function("parse_and_merge_10k_alerts_ha_pair", |bench| {
        bench.iter(|| {
            let a = parse_alerts(black_box(&b), &map, "am1").unwrap();
            let c = parse_alerts(black_box(&b), &map, "am2").unwrap();
            merge(vec![a, c])
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
