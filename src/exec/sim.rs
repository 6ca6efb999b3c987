//! An in-process simulated cluster for the demo, so the whole mitigation flow (prompt,
//! typed confirmation, output, journal) can be tried without touching a real one. It keeps
//! just enough state to answer like an API server: replicas, restarts, cordons, pods and
//! custom resources, with dry-run, 404 and 409. For a demo game-day it also plays the
//! service's error ratio, which chaos experiments in it raise, so the abort can trip.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::kube::KubeError;
use super::plan::{KubeAction, Workload};

/// The context name the demo's cluster answers to.
pub const SIM_CONTEXT: &str = "demo-sim";

#[derive(Debug, Clone, Default)]
pub struct SimCluster {
    /// (kind, namespace, name) → replicas.
    pub workloads: BTreeMap<(Workload, String, String), i32>,
    pub restarts: BTreeMap<(Workload, String, String), u32>,
    pub nodes: BTreeMap<String, bool>,
    pub pods: BTreeSet<(String, String)>,
    pub custom: BTreeSet<(String, String, String)>,
    /// Chaos experiments in the cluster: when created, and their `spec.duration`.
    pub chaos: BTreeMap<(String, String, String), (Instant, Option<Duration>)>,
    /// PodDisruptionBudgets: (namespace, name) → `minAvailable` of the deployment of the
    /// same name.
    pub pdbs: BTreeMap<(String, String), i32>,
}

fn not_found(what: &str, name: &str) -> KubeError {
    KubeError::Api {
        code: 404,
        reason: "NotFound".into(),
        message: format!("{what} \"{name}\" not found"),
    }
}

impl SimCluster {
    /// The demo's services, as the demo scenario names them.
    pub fn demo() -> SimCluster {
        let mut c = SimCluster::default();
        for (ns, name, n) in [
            ("catalog", "catalog", 8),
            ("payments", "payments", 6),
            ("search", "search-indexer", 3),
        ] {
            c.workloads
                .insert((Workload::Deployment, ns.into(), name.into()), n);
            for i in 0..n.min(3) {
                c.pods.insert((ns.into(), format!("{name}-7d9f8-{i}")));
            }
        }
        for n in ["node-a", "node-b", "node-c"] {
            c.nodes.insert(n.into(), false);
        }
        c.pdbs.insert(("catalog".into(), "catalog".into()), 6);
        c.pdbs.insert(("payments".into(), "payments".into()), 5);
        c
    }

    /// A workload's available replicas (every simulated replica is available).
    pub fn available(&self, kind: Workload, namespace: &str, name: &str) -> Result<i32, String> {
        self.workloads
            .get(&(kind, namespace.to_string(), name.to_string()))
            .copied()
            .ok_or_else(|| not_found(kind.as_str(), name).to_string())
    }

    /// A PodDisruptionBudget's `disruptionsAllowed`: its deployment's available replicas
    /// above `minAvailable`.
    pub fn pdb_headroom(&self, namespace: &str, name: &str) -> Result<i32, String> {
        let min = self
            .pdbs
            .get(&(namespace.to_string(), name.to_string()))
            .ok_or_else(|| not_found("poddisruptionbudgets.policy", name).to_string())?;
        let up = self
            .available(Workload::Deployment, namespace, name)
            .unwrap_or(0);
        Ok((up - min).max(0))
    }

    /// Does what the API server would; with `dry_run`, only answers.
    pub fn apply(&mut self, action: &KubeAction, dry_run: bool) -> Result<String, KubeError> {
        let suffix = if dry_run { " (server dry run)" } else { "" };
        match action {
            KubeAction::Scale {
                workload,
                namespace,
                name,
                replicas,
            } => {
                let key = (*workload, namespace.clone(), name.clone());
                let Some(cur) = self.workloads.get_mut(&key) else {
                    return Err(not_found(workload.as_str(), name));
                };
                let from = *cur;
                if !dry_run {
                    *cur = *replicas;
                }
                Ok(format!(
                    "{}/{name} scaled from {from} to {replicas} replicas{suffix}",
                    workload.as_str()
                ))
            }
            KubeAction::Restart {
                workload,
                namespace,
                name,
            } => {
                let key = (*workload, namespace.clone(), name.clone());
                if !self.workloads.contains_key(&key) {
                    return Err(not_found(workload.as_str(), name));
                }
                if !dry_run {
                    *self.restarts.entry(key).or_default() += 1;
                }
                Ok(format!(
                    "{}/{name} restart requested{suffix}",
                    workload.as_str()
                ))
            }
            KubeAction::Cordon { node } | KubeAction::Uncordon { node } => {
                let cordon = matches!(action, KubeAction::Cordon { .. });
                let Some(u) = self.nodes.get_mut(node) else {
                    return Err(not_found("nodes", node));
                };
                if !dry_run {
                    *u = cordon;
                }
                Ok(format!(
                    "node/{node} {}{suffix}",
                    if cordon { "cordoned" } else { "uncordoned" }
                ))
            }
            KubeAction::DeletePod { namespace, name } => {
                let key = (namespace.clone(), name.clone());
                if !self.pods.contains(&key) {
                    return Err(not_found("pods", name));
                }
                if !dry_run {
                    self.pods.remove(&key);
                }
                Ok(format!("pod/{name} deleted{suffix}"))
            }
            KubeAction::CreateCustom {
                kind,
                namespace,
                manifest,
            } => {
                let name = action.target_name();
                let key = (kind.plural.clone(), namespace.clone(), name.clone());
                if name.is_empty() || manifest.is_null() {
                    return Err(KubeError::Api {
                        code: 422,
                        reason: "Invalid".into(),
                        message: "metadata.name is required".into(),
                    });
                }
                if self.custom.contains(&key) {
                    return Err(KubeError::Api {
                        code: 409,
                        reason: "AlreadyExists".into(),
                        message: format!("{} \"{name}\" already exists", kind.plural),
                    });
                }
                if !dry_run {
                    let duration = manifest
                        .pointer("/spec/duration")
                        .and_then(|d| d.as_str())
                        .and_then(|d| crate::gameday::boundary::parse_go_duration(d).ok());
                    self.chaos.insert(key.clone(), (Instant::now(), duration));
                    self.custom.insert(key);
                }
                Ok(format!("{}/{name} created{suffix}", kind.kind))
            }
            KubeAction::DeleteCustom {
                kind,
                namespace,
                name,
            } => {
                let key = (kind.plural.clone(), namespace.clone(), name.clone());
                if !self.custom.contains(&key) {
                    return Err(not_found(&kind.plural, name));
                }
                if !dry_run {
                    self.chaos.remove(&key);
                    self.custom.remove(&key);
                }
                Ok(format!("{}/{name} deleted{suffix}", kind.kind))
            }
        }
    }
}

impl SimCluster {
    /// The simulated 5xx ratio of the services at `now`: a small baseline, plus what each
    /// chaos experiment still within its duration adds. A killed pod is a short blip, CPU
    /// stress and DNS errors cost a little, 200 ms of network delay builds up timeouts
    /// until it passes 5 % after about 15 s, and aborted HTTP calls pass it at once.
    pub fn error_ratio(&self, now: Instant) -> f64 {
        let mut ratio = 0.004;
        for ((plural, _, _), (created, duration)) in &self.chaos {
            let age = now.saturating_duration_since(*created).as_secs_f64();
            if duration.is_some_and(|d| age >= d.as_secs_f64()) {
                continue;
            }
            ratio += match plural.as_str() {
                "podchaos" => 0.03 * (1.0 - age / 20.0).max(0.0),
                "networkchaos" => 0.10 * ((age - 5.0) / 20.0).clamp(0.0, 1.0),
                "httpchaos" if age >= 3.0 => 0.15,
                "dnschaos" => 0.02,
                _ => 0.01,
            };
        }
        ratio
    }

    /// Answers a read-only `kubectl` command (the demo's checks) from the simulated state:
    /// `get pods`, `top pods`, `get deployments`; anything else says it is not simulated.
    /// Returns the output lines and the exit status.
    /// A read-only check answered through the API, as the demo's cluster answers it.
    pub fn read(&self, r: &super::read::KubeRead) -> (Vec<String>, i32) {
        if let super::read::KubeRead::RolloutStatus {
            workload,
            namespace,
            name,
        } = r
        {
            return match self
                .workloads
                .get(&(*workload, namespace.clone(), name.clone()))
            {
                Some(_) => (
                    vec![format!(
                        "{} \"{name}\" successfully rolled out",
                        workload.as_str()
                    )],
                    0,
                ),
                None => (
                    vec![format!("{} \"{name}\" not found", workload.as_str())],
                    1,
                ),
            };
        }
        self.kubectl_read(&r.argv())
    }

    pub fn kubectl_read(&self, argv: &[String]) -> (Vec<String>, i32) {
        let ns = argv
            .iter()
            .position(|a| a == "-n" || a == "--namespace")
            .and_then(|i| argv.get(i + 1))
            .cloned()
            .unwrap_or_else(|| "default".into());
        let words: Vec<&str> = argv
            .iter()
            .skip(1)
            .map(String::as_str)
            .filter(|a| !a.starts_with('-') && *a != ns)
            .collect();
        let pods: Vec<&String> = self
            .pods
            .iter()
            .filter(|(n, _)| *n == ns)
            .map(|(_, p)| p)
            .collect();
        match words.as_slice() {
            ["get", "pods" | "pod" | "po", ..] => {
                let mut out = vec![format!(
                    "{:<28} {:<6} {:<8} {:<9} AGE",
                    "NAME", "READY", "STATUS", "RESTARTS"
                )];
                out.extend(
                    pods.iter()
                        .map(|p| format!("{p:<28} {:<6} {:<8} {:<9} 3d", "1/1", "Running", "0")),
                );
                (out, 0)
            }
            ["top", "pods" | "pod" | "po", ..] => {
                let mut out = vec![format!("{:<28} {:<12} MEMORY(bytes)", "NAME", "CPU(cores)")];
                out.extend(pods.iter().map(|p| format!("{p:<28} {:<12} 612Mi", "958m")));
                (out, 0)
            }
            ["get", "deployments" | "deployment" | "deploy", ..] => {
                let mut out = vec![format!("{:<20} {:<8} AVAILABLE", "NAME", "READY")];
                for ((_, _, name), r) in self.workloads.iter().filter(|((_, n, _), _)| *n == ns) {
                    out.push(format!("{name:<20} {:<8} {r}", format!("{r}/{r}")));
                }
                (out, 0)
            }
            _ => (
                vec![format!(
                    "(simulated cluster: `kubectl {}` is not simulated)",
                    words.join(" ")
                )],
                1,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_raises_the_simulated_error_ratio_until_deleted() {
        let mut c = SimCluster::demo();
        let t = Instant::now();
        assert!(c.error_ratio(t) < 0.05);
        let delay = KubeAction::CreateCustom {
            kind: super::super::plan::chaos_kind("networkchaos").unwrap(),
            namespace: "shop".into(),
            manifest: serde_json::json!({"metadata": {"name": "d"}, "spec": {"duration": "60s"}}),
        };
        c.apply(&delay, true).unwrap();
        assert!(c.chaos.is_empty(), "a dry run creates nothing");
        c.apply(&delay, false).unwrap();
        assert!(c.error_ratio(t + Duration::from_secs(3)) < 0.05);
        assert!(
            c.error_ratio(t + Duration::from_secs(20)) > 0.05,
            "trips the demo abort"
        );
        assert!(
            c.error_ratio(t + Duration::from_secs(61)) < 0.05,
            "over after its duration"
        );
        let delete = KubeAction::DeleteCustom {
            kind: super::super::plan::chaos_kind("networkchaos").unwrap(),
            namespace: "shop".into(),
            name: "d".into(),
        };
        c.apply(&delete, false).unwrap();
        assert!(c.error_ratio(t + Duration::from_secs(20)) < 0.05);
    }

    #[test]
    fn the_simulated_cluster_answers_like_an_api_server() {
        let mut c = SimCluster::demo();
        let scale = KubeAction::Scale {
            workload: Workload::Deployment,
            namespace: "catalog".into(),
            name: "catalog".into(),
            replicas: 12,
        };
        assert_eq!(
            c.apply(&scale, true).unwrap(),
            "deployment/catalog scaled from 8 to 12 replicas (server dry run)"
        );
        assert_eq!(
            c.apply(&scale, false).unwrap(),
            "deployment/catalog scaled from 8 to 12 replicas"
        );
        let pod = KubeAction::DeletePod {
            namespace: "catalog".into(),
            name: "nope".into(),
        };
        assert!(matches!(
            c.apply(&pod, false),
            Err(KubeError::Api { code: 404, .. })
        ));
        let argv: Vec<String> = "kubectl --context=demo-sim -n catalog get pods -l app=catalog"
            .split(' ')
            .map(String::from)
            .collect();
        let (out, code) = c.kubectl_read(&argv);
        assert_eq!(code, 0);
        assert_eq!(out.len(), 4, "{out:?}");
        assert!(out[1].starts_with("catalog-7d9f8-0"));
    }
}
