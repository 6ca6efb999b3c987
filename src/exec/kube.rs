//! Carries out [`KubeAction`]s through the Kubernetes API (kube-rs), each with a server-side
//! dry-run, and answers the read-only questions pre-checks ask (current replicas, a
//! PodDisruptionBudget's headroom). Going through the API rather than a `kubectl` binary
//! means the context is the one the gate checked and dry-run is the server's own.

use std::path::Path;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use super::plan::{KubeAction, Workload};
use crate::sanitize;

/// The annotation `kube-rs`'s `restart` sets; a changed pod template makes the controller
/// roll every pod.
pub const RESTARTED_AT: &str = "kube.kubernetes.io/restartedAt";

/// An API failure, as a person should read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    /// The server answered with a `Status`: 404 not found, 409 conflict, 403, 422 ...
    #[error("{code} {reason}: {message}")]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

impl From<kube::Error> for KubeError {
    fn from(e: kube::Error) -> KubeError {
        match e {
            kube::Error::Api(s) => KubeError::Api {
                code: s.code,
                reason: sanitize::escape(&s.reason).into_owned(),
                message: sanitize::escape(&s.message).into_owned(),
            },
            other => KubeError::Other(sanitize::escape(&other.to_string()).into_owned()),
        }
    }
}

/// The context names a kubeconfig offers, and its current context.
pub fn contexts(path: Option<&Path>) -> Result<(Vec<String>, Option<String>), KubeError> {
    let kc = match path {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| KubeError::Other(e.to_string()))?;
    let names = kc.contexts.iter().map(|c| c.name.clone()).collect();
    Ok((names, kc.current_context.clone()))
}

/// One API client, bound to one context.
#[derive(Clone)]
pub struct KubeRunner {
    client: kube::Client,
}

impl KubeRunner {
    pub fn new(client: kube::Client) -> KubeRunner {
        KubeRunner { client }
    }

    /// A client for `context` from the kubeconfig at `path` (or the usual places).
    pub async fn for_context(path: Option<&Path>, context: &str) -> Result<KubeRunner, KubeError> {
        let kc = match path {
            Some(p) => Kubeconfig::read_from(p),
            None => Kubeconfig::read(),
        }
        .map_err(|e| KubeError::Other(e.to_string()))?;
        let opts = KubeConfigOptions {
            context: Some(context.to_string()),
            ..KubeConfigOptions::default()
        };
        let cfg = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(|e| KubeError::Other(e.to_string()))?;
        let client = kube::Client::try_from(cfg).map_err(KubeError::from)?;
        Ok(KubeRunner { client })
    }

    /// Plain HTTP to a local API server (tests, the demo's simulated cluster).
    pub fn for_url(url: &str) -> Result<KubeRunner, KubeError> {
        let uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| KubeError::Other(e.to_string()))?;
        let client = kube::Client::try_from(kube::Config::new(uri)).map_err(KubeError::from)?;
        Ok(KubeRunner { client })
    }

    /// Performs the action (or, with `dry_run`, asks the server to validate it without
    /// changing anything) and says what happened in one line.
    pub async fn apply(&self, action: &KubeAction, dry_run: bool) -> Result<String, KubeError> {
        let pp = PatchParams {
            dry_run,
            ..PatchParams::default()
        };
        let suffix = if dry_run { " (server dry run)" } else { "" };
        let c = self.client.clone();
        match action {
            KubeAction::Scale {
                workload,
                namespace,
                name,
                replicas,
            } => {
                let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
                let scale = match workload {
                    Workload::Deployment => {
                        Api::<Deployment>::namespaced(c, namespace)
                            .patch_scale(name, &pp, &patch)
                            .await?
                    }
                    Workload::StatefulSet => {
                        Api::<StatefulSet>::namespaced(c, namespace)
                            .patch_scale(name, &pp, &patch)
                            .await?
                    }
                };
                let now = scale.spec.and_then(|s| s.replicas).unwrap_or_default();
                Ok(format!(
                    "{}/{name} scaled to {now} replicas{suffix}",
                    workload.as_str()
                ))
            }
            KubeAction::Restart {
                workload,
                namespace,
                name,
            } => {
                // What `Api::restart` sends, done by hand so it can carry dryRun.
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
                let mut annotations = serde_json::Map::new();
                annotations.insert(RESTARTED_AT.into(), at.into());
                let patch = Patch::Merge(json!({"spec": {"template": {"metadata": {
                    "annotations": annotations}}}}));
                match workload {
                    Workload::Deployment => {
                        Api::<Deployment>::namespaced(c, namespace)
                            .patch(name, &pp, &patch)
                            .await?;
                    }
                    Workload::StatefulSet => {
                        Api::<StatefulSet>::namespaced(c, namespace)
                            .patch(name, &pp, &patch)
                            .await?;
                    }
                }
                Ok(format!(
                    "{}/{name} restart requested{suffix}",
                    workload.as_str()
                ))
            }
            KubeAction::Cordon { node } | KubeAction::Uncordon { node } => {
                let cordon = matches!(action, KubeAction::Cordon { .. });
                let patch = Patch::Merge(json!({"spec": {"unschedulable": cordon}}));
                Api::<Node>::all(c).patch(node, &pp, &patch).await?;
                Ok(format!(
                    "node/{node} {}{suffix}",
                    if cordon { "cordoned" } else { "uncordoned" }
                ))
            }
            KubeAction::DeletePod { namespace, name } => {
                let dp = DeleteParams {
                    dry_run,
                    ..DeleteParams::default()
                };
                Api::<Pod>::namespaced(c, namespace)
                    .delete(name, &dp)
                    .await?;
                Ok(format!("pod/{name} deleted{suffix}"))
            }
            KubeAction::CreateCustom {
                kind,
                namespace,
                manifest,
            } => {
                let ar = api_resource(kind);
                let obj: DynamicObject = serde_json::from_value(manifest.clone())
                    .map_err(|e| KubeError::Other(format!("bad manifest: {e}")))?;
                let pp = PostParams {
                    dry_run,
                    ..PostParams::default()
                };
                let made = Api::<DynamicObject>::namespaced_with(c, namespace, &ar)
                    .create(&pp, &obj)
                    .await?;
                Ok(format!(
                    "{}/{} created{suffix}",
                    kind.kind,
                    made.metadata.name.unwrap_or_default()
                ))
            }
            KubeAction::DeleteCustom {
                kind,
                namespace,
                name,
            } => {
                let ar = api_resource(kind);
                let dp = DeleteParams {
                    dry_run,
                    ..DeleteParams::default()
                };
                Api::<DynamicObject>::namespaced_with(c, namespace, &ar)
                    .delete(name, &dp)
                    .await?;
                Ok(format!("{}/{name} deleted{suffix}", kind.kind))
            }
        }
    }

    /// Answers a read-only check from the API: the lines to show and an exit code (0 when
    /// the answer is good, e.g. a finished rollout).
    pub async fn read(&self, r: &super::read::KubeRead) -> Result<(Vec<String>, i32), KubeError> {
        let (lines, code) = self.read_raw(r).await?;
        // Names, reasons and messages come from the cluster: untrusted text.
        let lines = lines
            .iter()
            .map(|l| crate::sanitize::escape_truncated(l, super::process::MAX_LINE_CHARS))
            .collect();
        Ok((lines, code))
    }

    async fn read_raw(&self, r: &super::read::KubeRead) -> Result<(Vec<String>, i32), KubeError> {
        use super::read::{self, KubeRead};
        use kube::api::ListParams;
        let c = self.client.clone();
        match r {
            KubeRead::Pods {
                namespace,
                selector,
            } => {
                let mut lp = ListParams::default();
                if let Some(s) = selector {
                    lp = lp.labels(s);
                }
                let list = Api::<Pod>::namespaced(c, namespace).list(&lp).await?;
                Ok((read::render_pods(&list.items), 0))
            }
            KubeRead::RolloutStatus {
                workload,
                namespace,
                name,
            } => Ok(match workload {
                Workload::Deployment => read::render_deployment_rollout(
                    &Api::<Deployment>::namespaced(c, namespace)
                        .get(name)
                        .await?,
                ),
                Workload::StatefulSet => read::render_statefulset_rollout(
                    &Api::<StatefulSet>::namespaced(c, namespace)
                        .get(name)
                        .await?,
                ),
            }),
            KubeRead::Events { namespace, object } => {
                let mut lp = ListParams::default();
                if let Some(o) = object {
                    lp = lp.fields(&format!("involvedObject.name={o}"));
                }
                let list = Api::<k8s_openapi::api::core::v1::Event>::namespaced(c, namespace)
                    .list(&lp)
                    .await?;
                Ok((read::render_events(&list.items), 0))
            }
        }
    }

    /// Replicas of the workload that are available now (`status.availableReplicas`), not
    /// the number it is asked to run: a pre-check asks whether it is healthy.
    pub async fn available_replicas(
        &self,
        workload: Workload,
        namespace: &str,
        name: &str,
    ) -> Result<i32, KubeError> {
        let c = self.client.clone();
        Ok(match workload {
            Workload::Deployment => Api::<Deployment>::namespaced(c, namespace)
                .get(name)
                .await?
                .status
                .and_then(|s| s.available_replicas),
            Workload::StatefulSet => Api::<StatefulSet>::namespaced(c, namespace)
                .get(name)
                .await?
                .status
                .and_then(|s| s.available_replicas),
        }
        .unwrap_or(0))
    }

    /// How many more pods the PodDisruptionBudget lets go.
    pub async fn pdb_headroom(&self, namespace: &str, name: &str) -> Result<i32, KubeError> {
        let pdb = Api::<PodDisruptionBudget>::namespaced(self.client.clone(), namespace)
            .get(name)
            .await?;
        Ok(pdb.status.and_then(|s| s.disruptions_allowed).unwrap_or(0))
    }
}

fn api_resource(kind: &super::plan::CustomKind) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(&kind.group, &kind.version, &kind.kind),
        &kind.plural,
    )
}
