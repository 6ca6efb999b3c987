//! The live pre-checks the gate runs before a prompt: a PromQL condition, a read-only
//! command's exit status, and Kubernetes questions (current replicas, PDB headroom).
//! A check that cannot be answered fails, so a missing Prometheus never reads as "fine".

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::PreCheck;
use super::gate::{CheckResult, PreChecks};
use super::kube::KubeRunner;
use super::plan::{Plan, describe_check};
use super::process;
use super::sim::SimCluster;
use crate::sources::prometheus::Prometheus;
use std::sync::{Arc, Mutex};

/// How long one pre-check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

pub struct LiveChecks {
    pub kube: Option<KubeRunner>,
    /// The configured Prometheus (the SLO panel's), with its token and CA settings.
    pub prometheus: Option<Prometheus>,
    /// The demo: PromQL and Kubernetes conditions are answered from the simulated
    /// cluster's state (its series, replicas and PDBs) and say so, since there is no
    /// server to ask.
    pub simulated: Option<Arc<Mutex<SimCluster>>>,
}

impl PreChecks for LiveChecks {
    async fn run(
        &self,
        check: &PreCheck,
        plan: &Plan,
        _labels: &BTreeMap<String, String>,
    ) -> CheckResult {
        let (ok, detail) = match (check, &self.simulated) {
            (
                PreCheck::Promql { .. } | PreCheck::Replicas { .. } | PreCheck::PdbHeadroom { .. },
                Some(sim),
            ) => simulated(sim, check, plan),
            (check, _) => self.live(check, plan).await,
        };
        CheckResult {
            check: describe_check(check),
            ok,
            detail,
        }
    }
}

/// A demo pre-check, answered from the simulated cluster as it is now.
fn simulated(sim: &Mutex<SimCluster>, check: &PreCheck, plan: &Plan) -> (bool, String) {
    let Ok(c) = sim.lock() else {
        return (false, "the simulated cluster is unavailable".into());
    };
    let ns = |n: &Option<String>| {
        n.clone()
            .or_else(|| plan.namespace.clone())
            .unwrap_or_default()
    };
    let (ok, detail) = match check {
        PreCheck::Promql { query } => match c.promql(query) {
            Ok(v) => (!v.is_empty(), format!("{} series", v.len())),
            Err(e) => (false, e),
        },
        PreCheck::Replicas {
            kind,
            name,
            namespace,
            min,
        } => match c.available(*kind, &ns(namespace), name) {
            Ok(n) => (n >= *min, format!("{n} available")),
            Err(e) => (false, e),
        },
        PreCheck::PdbHeadroom { name, namespace } => match c.pdb_headroom(&ns(namespace), name) {
            Ok(n) => (n >= 1, format!("{n} disruptions allowed")),
            Err(e) => (false, e),
        },
        _ => (false, "not simulated".into()),
    };
    (ok, format!("{detail} (simulated cluster)"))
}

impl LiveChecks {
    async fn live(&self, check: &PreCheck, plan: &Plan) -> (bool, String) {
        match check {
            PreCheck::Unsupported { text } => {
                (false, format!("`{text}` cannot be checked automatically"))
            }
            PreCheck::Promql { query } => self.promql(query).await,
            PreCheck::Command { argv, .. } if argv.is_empty() => {
                (false, "the command was not rendered by the gate".into())
            }
            PreCheck::Command { argv, .. } => command(argv).await,
            PreCheck::Replicas {
                kind,
                name,
                namespace,
                min,
            } => match (
                &self.kube,
                namespace.as_deref().or(plan.namespace.as_deref()),
            ) {
                (Some(k), Some(ns)) => match k.available_replicas(*kind, ns, name).await {
                    Ok(n) => (n >= *min, format!("{n} available")),
                    Err(e) => (false, e.to_string()),
                },
                _ => (false, "no cluster or namespace to ask".into()),
            },
            PreCheck::PdbHeadroom { name, namespace } => {
                match (
                    &self.kube,
                    namespace.as_deref().or(plan.namespace.as_deref()),
                ) {
                    (Some(k), Some(ns)) => match k.pdb_headroom(ns, name).await {
                        Ok(n) => (n >= 1, format!("{n} disruptions allowed")),
                        Err(e) => (false, e.to_string()),
                    },
                    _ => (false, "no cluster or namespace to ask".into()),
                }
            }
        }
    }

    /// True when the instant query returns at least one series.
    async fn promql(&self, query: &str) -> (bool, String) {
        let Some(p) = &self.prometheus else {
            return (
                false,
                "no Prometheus configured (add a `prometheus:` section to the config)".into(),
            );
        };
        match tokio::time::timeout(CHECK_TIMEOUT, p.instant(query, chrono::Utc::now())).await {
            Ok(Ok(r)) => {
                let n = r.values.len();
                (n > 0, format!("{n} series"))
            }
            Ok(Err(e)) => (false, e.to_string()),
            Err(_) => (false, format!("no answer in {}s", CHECK_TIMEOUT.as_secs())),
        }
    }
}

/// Runs a read-only command, as the gate rendered and validated it, and wants exit 0.
async fn command(argv: &[String]) -> (bool, String) {
    let (tx, mut rx) = mpsc::channel(16);
    let (_keep, cancel) = oneshot::channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let fin = process::run(argv, CHECK_TIMEOUT, tx, cancel).await;
    let _ = drain.await;
    (
        fin.succeeded(),
        match fin.exit_code {
            Some(c) => format!("exit {c}"),
            None => fin.outcome.as_str(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::gate::{GateConfig, Refusal, Request, gate};
    use crate::exec::{ActionKind, ActionSpec, Danger};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-answer-per-connection HTTP server that always returns `body`; returns its URL.
    async fn prometheus(body: &'static str) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            }
        });
        url
    }

    fn checks(url: Option<String>) -> LiveChecks {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let prometheus = url.map(|u| {
            Prometheus::new(
                &u,
                crate::sources::http::HttpSettings::default(),
                Duration::from_secs(30),
                Vec::new(),
                Duration::from_secs(30 * 86400),
            )
            .unwrap()
        });
        LiveChecks {
            kube: None,
            prometheus,
            simulated: None,
        }
    }

    async fn gated(
        checks: &LiveChecks,
        pre: Vec<PreCheck>,
    ) -> Result<crate::exec::gate::GatedPlan, Refusal> {
        let spec = ActionSpec {
            runbook: "rb".into(),
            name: "flag-off".into(),
            kind: ActionKind::Mitigation,
            danger: Danger::Low,
            code: "flagctl off {{tenant}}".into(),
            dry_run: None,
            timeout: None,
            shell: false,
            safety_question: None,
            declared_labels: vec!["tenant".into()],
            prechecks: pre,
            manifest: None,
            experiment: None,
            emergency: None,
        };
        let labels: BTreeMap<String, String> = [("tenant".to_string(), "acme".to_string())].into();
        gate_with(checks, spec, labels).await
    }

    async fn gate_with(
        checks: &LiveChecks,
        spec: ActionSpec,
        labels: BTreeMap<String, String>,
    ) -> Result<crate::exec::gate::GatedPlan, Refusal> {
        gate(
            &GateConfig::default(),
            Request {
                spec: &spec,
                alert: None,
                labels: &labels,
                context: "ctx",
            },
            checks,
        )
        .await
    }

    #[tokio::test]
    async fn promql_conditions_pass_with_series_and_fail_without_or_on_error() {
        let ok = checks(Some(
            prometheus(include_str!(
                "../../tests/fixtures/prometheus/prom_query_availability_instant.json"
            ))
            .await,
        ));
        let q = vec![PreCheck::Promql {
            query: "slo:availability{tenant=\"{{tenant}}\"} < 0.99".into(),
        }];
        let g = gated(&ok, q.clone()).await.unwrap();
        assert!(g.checks[0].ok, "{:?}", g.checks);
        assert!(g.prompt_lines().iter().any(|l| l.contains("series")));
        let empty = checks(Some(
            prometheus(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#).await,
        ));
        assert!(matches!(
            gated(&empty, q.clone()).await,
            Err(Refusal::PreCheck(_))
        ));
        let bad = checks(Some(
            prometheus(include_str!(
                "../../tests/fixtures/prometheus/prom_query_error_bad_syntax.json"
            ))
            .await,
        ));
        let err = gated(&bad, q.clone()).await.unwrap_err();
        assert!(err.to_string().contains("parse error"), "{err}");
        assert!(matches!(
            gated(&checks(None), q).await,
            Err(Refusal::PreCheck(_))
        ));
    }

    #[tokio::test]
    async fn command_checks_need_exit_status_zero() {
        let c = checks(None);
        assert!(
            gated(
                &c,
                vec![PreCheck::Command {
                    code: "getent hosts localhost".into(),
                    argv: Vec::new(),
                }]
            )
            .await
            .is_ok()
        );
        let err = gated(
            &c,
            vec![PreCheck::Command {
                code: "getent hosts no-such-host.invalid".into(),
                argv: Vec::new(),
            }],
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("exit 2"), "{err}");
        // A command that might change something is no pre-check.
        for code in ["true", "env getent hosts localhost", "kubectl delete pod x"] {
            let err = gated(
                &c,
                vec![PreCheck::Command {
                    code: code.into(),
                    argv: Vec::new(),
                }],
            )
            .await
            .unwrap_err();
            assert!(
                err.to_string().contains("must be read-only"),
                "{code}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn the_demos_kube_pre_checks_read_the_simulated_cluster() {
        let sim = Arc::new(Mutex::new(SimCluster::demo()));
        let c = LiveChecks {
            kube: None,
            prometheus: None,
            simulated: Some(sim.clone()),
        };
        let spec = ActionSpec {
            runbook: "rb".into(),
            name: "restart".into(),
            kind: ActionKind::Mitigation,
            danger: Danger::Low,
            code: "kubectl -n payments rollout restart deployment/payments".into(),
            dry_run: None,
            timeout: None,
            shell: false,
            safety_question: None,
            declared_labels: Vec::new(),
            prechecks: Vec::new(),
            manifest: None,
            experiment: None,
            emergency: None,
        };
        let plan = gate_with(&c, spec, BTreeMap::new()).await.unwrap().plan;
        let run = |check: PreCheck| {
            let c = &c;
            let plan = &plan;
            async move { c.run(&check, plan, &BTreeMap::new()).await }
        };
        let replicas = |min| PreCheck::Replicas {
            kind: crate::exec::plan::Workload::Deployment,
            name: "payments".into(),
            namespace: None,
            min,
        };
        let r = run(replicas(2)).await;
        assert!(r.ok, "{r:?}");
        assert_eq!(r.detail, "6 available (simulated cluster)");
        assert!(!run(replicas(7)).await.ok);
        let pdb = |name: &str| PreCheck::PdbHeadroom {
            name: name.into(),
            namespace: Some("payments".into()),
        };
        let r = run(pdb("payments")).await;
        assert!(r.ok, "{r:?}");
        assert_eq!(r.detail, "1 disruptions allowed (simulated cluster)");
        // One replica fewer and the budget has no room.
        sim.lock()
            .unwrap()
            .workloads
            .values_mut()
            .for_each(|n| *n = (*n).min(5));
        let r = run(pdb("payments")).await;
        assert!(!r.ok, "{r:?}");
        let r = run(pdb("nope")).await;
        assert!(!r.ok && r.detail.contains("not found"), "{r:?}");
    }
}
