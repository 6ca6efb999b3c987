//! Read-only `kubectl` checks answered through the API (kube-rs) instead of a `kubectl`
//! process: `get pods`, `rollout status` and `get events` read the very context the console
//! checked, need no binary on the machine, and come back as a short text the output pane
//! shows after sanitizing. Other read-only forms still run as a pinned `kubectl` process.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};

use super::plan::Workload;

/// A read the console answers from the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeRead {
    /// `kubectl -n NS get pods [-l SELECTOR]`
    Pods {
        namespace: String,
        selector: Option<String>,
    },
    /// `kubectl -n NS rollout status deployment|statefulset/NAME`
    RolloutStatus {
        workload: Workload,
        namespace: String,
        name: String,
    },
    /// `kubectl -n NS get events [--field-selector involvedObject.name=NAME]`
    Events {
        namespace: String,
        object: Option<String>,
    },
}

impl KubeRead {
    /// One line for the plan.
    pub fn describe(&self) -> String {
        match self {
            KubeRead::Pods {
                namespace,
                selector,
            } => match selector {
                Some(s) => format!("list pods in {namespace} matching {s}"),
                None => format!("list pods in {namespace}"),
            },
            KubeRead::RolloutStatus {
                workload,
                namespace,
                name,
            } => format!(
                "rollout status of {}/{name} in {namespace}",
                workload.as_str()
            ),
            KubeRead::Events { namespace, object } => match object {
                Some(o) => format!("list events in {namespace} about {o}"),
                None => format!("list events in {namespace}"),
            },
        }
    }

    /// The `kubectl` words this stands for: what a check record names, and what the demo's
    /// simulated cluster answers.
    pub fn argv(&self) -> Vec<String> {
        let mut v: Vec<String> = vec!["kubectl".into(), "-n".into()];
        match self {
            KubeRead::Pods {
                namespace,
                selector,
            } => {
                v.extend([namespace.clone(), "get".into(), "pods".into()]);
                if let Some(s) = selector {
                    v.extend(["-l".into(), s.clone()]);
                }
            }
            KubeRead::RolloutStatus {
                workload,
                namespace,
                name,
            } => v.extend([
                namespace.clone(),
                "rollout".into(),
                "status".into(),
                format!("{}/{name}", workload.as_str()),
            ]),
            KubeRead::Events { namespace, object } => {
                v.extend([namespace.clone(), "get".into(), "events".into()]);
                if let Some(o) = object {
                    v.push(format!("--field-selector=involvedObject.name={o}"));
                }
            }
        }
        v
    }

    pub fn namespace(&self) -> &str {
        match self {
            KubeRead::Pods { namespace, .. }
            | KubeRead::RolloutStatus { namespace, .. }
            | KubeRead::Events { namespace, .. } => namespace,
        }
    }
}

/// Recognises the forms answered through the API in an argv already known to be a
/// read-only `kubectl`. Anything else (other flags, other resources, no `-n`) is `None`
/// and runs as a process.
pub fn parse(argv: &[String]) -> Option<KubeRead> {
    let mut namespace = None;
    let mut selector = None;
    let mut field = None;
    let mut words: Vec<&str> = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        let value = |i: usize| argv.get(i + 1).cloned();
        match a {
            "-n" | "--namespace" => {
                namespace = Some(value(i)?);
                i += 1;
            }
            "-l" | "--selector" => {
                selector = Some(value(i)?);
                i += 1;
            }
            "--field-selector" => {
                field = Some(value(i)?);
                i += 1;
            }
            // Output formats change only how kubectl prints; the console prints its own.
            "-o" => i += 1,
            _ if a.starts_with("--namespace=") => namespace = Some(a[12..].to_string()),
            _ if a.starts_with("--selector=") => selector = Some(a[11..].to_string()),
            _ if a.starts_with("--field-selector=") => field = Some(a[17..].to_string()),
            _ if a.starts_with("-o")
                || a.starts_with("--output=")
                || a.starts_with("--timeout=") => {}
            _ if a.starts_with('-') => return None,
            _ => words.push(a),
        }
        i += 1;
    }
    let namespace = namespace?;
    match words.as_slice() {
        ["get", "pods" | "pod" | "po"] if field.is_none() => Some(KubeRead::Pods {
            namespace,
            selector,
        }),
        ["get", "events" | "event" | "ev"] | ["events"] if selector.is_none() => {
            let object = match field {
                None => None,
                Some(f) => Some(f.strip_prefix("involvedObject.name=")?.to_string()),
            };
            Some(KubeRead::Events { namespace, object })
        }
        ["rollout", "status", target] if selector.is_none() && field.is_none() => {
            let (kind, name) = target.split_once('/')?;
            let workload = match kind {
                "deployment" | "deployments" | "deploy" => Workload::Deployment,
                "statefulset" | "statefulsets" | "sts" => Workload::StatefulSet,
                _ => return None,
            };
            Some(KubeRead::RolloutStatus {
                workload,
                namespace,
                name: name.to_string(),
            })
        }
        _ => None,
    }
}

/// Pods as `NAME READY STATUS RESTARTS NODE`, one line each.
pub fn render_pods(pods: &[Pod]) -> Vec<String> {
    let mut out = vec![format!(
        "{:<32} {:<6} {:<18} {:<8} NODE",
        "NAME", "READY", "STATUS", "RESTARTS"
    )];
    if pods.is_empty() {
        return vec!["No pods found.".into()];
    }
    for p in pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        let total = p.spec.as_ref().map_or(0, |s| s.containers.len());
        let statuses = p
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.clone())
            .unwrap_or_default();
        let ready = statuses.iter().filter(|c| c.ready).count();
        let restarts: i32 = statuses.iter().map(|c| c.restart_count).sum();
        // A waiting container's reason (CrashLoopBackOff) says more than the phase.
        let waiting = statuses.iter().find_map(|c| {
            c.state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.clone())
        });
        let phase = p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        let node = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| "-".into());
        out.push(format!(
            "{name:<32} {:<6} {:<18} {restarts:<8} {node}",
            format!("{ready}/{total}"),
            waiting.unwrap_or(phase)
        ));
    }
    out
}

/// kubectl's own wording for a deployment's rollout; exit 0 only when it is complete.
pub fn render_deployment_rollout(d: &Deployment) -> (Vec<String>, i32) {
    let name = d.metadata.name.clone().unwrap_or_default();
    let want = d.spec.replicas.unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    let generation = d.metadata.generation.unwrap_or(0);
    let waiting = |what: String| {
        (
            vec![format!(
                "Waiting for deployment \"{name}\" rollout to finish: {what}"
            )],
            1,
        )
    };
    if st.observed_generation.unwrap_or(0) < generation {
        return (
            vec!["Waiting for deployment spec update to be observed...".into()],
            1,
        );
    }
    let updated = st.updated_replicas.unwrap_or(0);
    let replicas = st.replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    if updated < want {
        return waiting(format!(
            "{updated} out of {want} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return waiting(format!(
            "{} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return waiting(format!(
            "{available} of {updated} updated replicas are available..."
        ));
    }
    (
        vec![format!("deployment \"{name}\" successfully rolled out")],
        0,
    )
}

/// The same for a statefulset (rolling update): every replica updated and ready.
pub fn render_statefulset_rollout(s: &StatefulSet) -> (Vec<String>, i32) {
    let name = s.metadata.name.clone().unwrap_or_default();
    let want = s.spec.replicas.unwrap_or(1);
    let st = s.status.clone().unwrap_or_default();
    let updated = st.updated_replicas.unwrap_or(0);
    let ready = st.ready_replicas.unwrap_or(0);
    if updated < want || ready < want {
        return (
            vec![format!(
                "Waiting for statefulset \"{name}\" rollout to finish: {updated} of {want} updated, {ready} ready..."
            )],
            1,
        );
    }
    (
        vec![format!(
            "statefulset rolling update complete {want} pods at revision {}...",
            st.update_revision.unwrap_or_default()
        )],
        0,
    )
}

/// Events as `TYPE REASON OBJECT MESSAGE`, oldest first, repeats counted.
pub fn render_events(events: &[Event]) -> Vec<String> {
    if events.is_empty() {
        return vec!["No events found.".into()];
    }
    let mut out = vec![format!(
        "{:<8} {:<18} {:<36} MESSAGE",
        "TYPE", "REASON", "OBJECT"
    )];
    for e in events {
        let obj = format!(
            "{}/{}",
            e.involved_object
                .kind
                .clone()
                .unwrap_or_default()
                .to_lowercase(),
            e.involved_object.name.clone().unwrap_or_default()
        );
        let count = match e.count {
            Some(n) if n > 1 => format!(" (x{n})"),
            _ => String::new(),
        };
        out.push(format!(
            "{:<8} {:<18} {obj:<36} {}{count}",
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().replace('\n', " ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_three_forms_are_recognised_and_others_are_left_to_kubectl() {
        assert_eq!(
            parse(&argv("kubectl -n shop get pods -l app=cart -o wide")),
            Some(KubeRead::Pods {
                namespace: "shop".into(),
                selector: Some("app=cart".into())
            })
        );
        assert_eq!(
            parse(&argv(
                "kubectl rollout status deployment/cart --namespace=shop"
            )),
            Some(KubeRead::RolloutStatus {
                workload: Workload::Deployment,
                namespace: "shop".into(),
                name: "cart".into()
            })
        );
        assert_eq!(
            parse(&argv(
                "kubectl -n shop get events --field-selector involvedObject.name=cart-1"
            )),
            Some(KubeRead::Events {
                namespace: "shop".into(),
                object: Some("cart-1".into())
            })
        );
        for other in [
            "kubectl get pods",
            "kubectl -n shop get deployments",
            "kubectl -n shop logs cart-1",
            "kubectl -n shop get pods --watch",
            "kubectl -n shop get events --field-selector type=Warning",
            "kubectl -n shop rollout status daemonset/x",
        ] {
            assert_eq!(parse(&argv(other)), None, "{other}");
        }
        let r = parse(&argv("kubectl -n shop get pods -l app=cart")).unwrap();
        assert_eq!(parse(&r.argv()), Some(r));
    }
}
