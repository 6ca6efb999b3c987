//! Running runbook commands and Kubernetes actions safely: a command block plus the
//! selected alert's labels become a [`plan::Plan`], every mutating plan passes the single
//! [`gate::gate`], and only a confirmation bound to the plan's fingerprint lets it run.
//!
//! The input is [`ActionSpec`], not the runbook model, so the runbook format can change
//! without touching the safety path; [`ActionSpec::from_block`] adapts today's model.

pub mod checks;
pub mod gate;
pub mod interrupt;
pub mod kube;
pub mod manifest;
pub mod plan;
pub mod process;
pub mod read;
pub mod runtime;
pub mod sim;
pub mod sim_promql;
pub mod template;
pub mod tools;

use std::time::Duration;

use crate::runbook::{CommandBlock, CommandKind};

/// Default time limit for a command or kube action that does not set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether a block only looks or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// Read-only: may run without a prompt, even in read-only mode.
    Check,
    /// Changes something: always goes through the gate and the prompt.
    Mitigation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Danger {
    Low,
    Medium,
    High,
}

impl Danger {
    pub fn as_str(self) -> &'static str {
        match self {
            Danger::Low => "low",
            Danger::Medium => "medium",
            Danger::High => "high",
        }
    }
}

/// What a manifest block does with its manifest (` ```yaml {kube=create} `).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestVerb {
    Create,
    Delete,
}

/// A condition checked automatically before the prompt; a failing one refuses the action.
/// Names and namespaces are templates until the gate renders and validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreCheck {
    /// A PromQL expression that must return at least one series (a condition such as
    /// `up{job="cart"} == 1`). Placeholders are allowed and validated.
    Promql { query: String },
    /// A read-only command (a template, run without a shell) that must exit 0. `argv` is
    /// what the gate rendered (pinned to the checked cluster for `kubectl`); empty before.
    Command { code: String, argv: Vec<String> },
    /// The workload has at least `min` available replicas (`status.availableReplicas`).
    Replicas {
        kind: plan::Workload,
        name: String,
        /// `-n NS` in the check; the plan's namespace when absent.
        namespace: Option<String>,
        min: i32,
    },
    /// The PodDisruptionBudget allows at least one more disruption
    /// (`status.disruptionsAllowed`).
    PdbHeadroom {
        name: String,
        namespace: Option<String>,
    },
    /// A check the runbook declares that the console cannot evaluate: it fails, so the
    /// action stays refused rather than running on an unchecked condition.
    Unsupported { text: String },
}

/// Everything the safety path needs to know about one runbook command block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSpec {
    pub runbook: String,
    pub name: String,
    pub kind: ActionKind,
    pub danger: Danger,
    /// The command template (`{{label}}` placeholders).
    pub code: String,
    /// The block's own preview command, for processes (kube actions use server-side dry-run).
    pub dry_run: Option<String>,
    pub timeout: Option<Duration>,
    /// The block needs `sh -c`; values are then quoted (and still validated).
    pub shell: bool,
    pub safety_question: Option<String>,
    /// Labels the runbook allows placeholders to use.
    pub declared_labels: Vec<String>,
    pub prechecks: Vec<PreCheck>,
    /// Set when `code` is a Kubernetes manifest to create or delete through the API.
    pub manifest: Option<ManifestVerb>,
    /// A chaos game-day's experiment: the gate checks the manifest against the boundary
    /// and the plan creates it; `code` is then only a description.
    pub experiment: Option<crate::gameday::ChaosRequest>,
    /// An emergency stop, with why (`abort`, `kill switch`, `game-day ended`): the
    /// deletion of a game-day's experiment. It passes the whole gate and is journaled
    /// before and after like any action, but runs without the interactive prompt
    /// ([`gate::GatedPlan::confirm_emergency`]); the gate refuses it for anything but the
    /// deletion of a chaos experiment. Never set from a runbook.
    pub emergency: Option<String>,
}

impl ActionSpec {
    /// Adapts a runbook command block: placeholders may use only the labels the runbook's
    /// front matter declares (`labels:`), and its pre-checks come along.
    pub fn from_block(runbook: &crate::runbook::Runbook, block: &CommandBlock) -> ActionSpec {
        ActionSpec {
            runbook: runbook.id.clone(),
            name: block.name.clone(),
            kind: match block.kind {
                CommandKind::Mitigation => ActionKind::Mitigation,
                // Pre-check and expected-output blocks never change anything.
                CommandKind::Check | CommandKind::Precheck | CommandKind::Expected => {
                    ActionKind::Check
                }
            },
            danger: match block.danger {
                crate::runbook::Danger::Low => Danger::Low,
                crate::runbook::Danger::Medium => Danger::Medium,
                crate::runbook::Danger::High => Danger::High,
            },
            code: block.code.clone(),
            dry_run: block.dry_run.clone(),
            timeout: Some(block.timeout),
            shell: block.shell,
            safety_question: block.safety_question.clone(),
            declared_labels: runbook.meta.labels.clone(),
            prechecks: block.prechecks.iter().map(precheck).collect(),
            manifest: block.kube.map(|v| match v {
                crate::runbook::KubeVerb::Create => ManifestVerb::Create,
                crate::runbook::KubeVerb::Delete => ManifestVerb::Delete,
            }),
            experiment: None,
            emergency: None,
        }
    }

    /// The emergency stop that deletes one game-day experiment, and the values its
    /// template takes (the journal's namespace, kind and object name, validated by the
    /// gate like any label). `None` for anything but the deletion of a chaos experiment.
    pub fn removal(
        runbook: &str,
        experiment: &str,
        reason: &str,
        action: &plan::KubeAction,
    ) -> Option<(ActionSpec, std::collections::BTreeMap<String, String>)> {
        let plan::KubeAction::DeleteCustom {
            kind,
            namespace,
            name,
        } = action
        else {
            return None;
        };
        let labels = [
            ("namespace", namespace.as_str()),
            ("kind", kind.plural.as_str()),
            ("name", name.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let spec = ActionSpec {
            runbook: runbook.to_string(),
            name: format!("remove {experiment}"),
            kind: ActionKind::Mitigation,
            danger: Danger::Low,
            code: "kubectl -n {{namespace}} delete {{kind}} {{name}}".into(),
            dry_run: None,
            timeout: Some(REMOVE_TIMEOUT),
            shell: false,
            safety_question: None,
            declared_labels: vec!["namespace".into(), "kind".into(), "name".into()],
            prechecks: Vec::new(),
            manifest: None,
            experiment: None,
            emergency: Some(reason.to_string()),
        };
        Some((spec, labels))
    }
}

/// How long one attempt at deleting a game-day experiment may take.
pub const REMOVE_TIMEOUT: Duration = Duration::from_secs(10);

/// A runbook pre-check block as the gate runs it. Kube checks are read as
/// `deployment/NAME [-n NS] available [N]` (or `statefulset/...`: at least N, default 1,
/// available replicas) and `pdb/NAME [-n NS] headroom` (the PodDisruptionBudget allows a
/// disruption). Anything else is [`PreCheck::Unsupported`], which always fails.
fn precheck(p: &crate::runbook::Precheck) -> PreCheck {
    use crate::runbook::PrecheckKind;
    match p.kind {
        PrecheckKind::Promql => PreCheck::Promql {
            query: p.code.clone(),
        },
        PrecheckKind::Command => PreCheck::Command {
            code: p.code.clone(),
            argv: Vec::new(),
        },
        PrecheckKind::Kube => kube_precheck(&p.code).unwrap_or_else(|| PreCheck::Unsupported {
            text: p.code.clone(),
        }),
    }
}

/// Parses a ```` ```kube {kind=precheck} ```` block; `None` when it is no known form.
pub fn kube_precheck(code: &str) -> Option<PreCheck> {
    let words: Vec<&str> = code.split_whitespace().collect();
    let (kind, name) = words.first()?.split_once('/')?;
    if name.is_empty() {
        return None;
    }
    let mut namespace = None;
    let mut rest: Vec<&str> = Vec::new();
    let mut i = 1;
    while i < words.len() {
        match words[i] {
            "-n" | "--namespace" => {
                namespace = Some(words.get(i + 1)?.to_string());
                i += 1;
            }
            w if w.starts_with("--namespace=") => {
                namespace = Some(w["--namespace=".len()..].to_string());
            }
            w => rest.push(w),
        }
        i += 1;
    }
    let workload = match kind {
        "deployment" | "deploy" => Some(plan::Workload::Deployment),
        "statefulset" | "sts" => Some(plan::Workload::StatefulSet),
        _ => None,
    };
    match (workload, kind, rest.as_slice()) {
        (Some(kind), _, ["available"]) => Some(PreCheck::Replicas {
            kind,
            name: name.to_string(),
            namespace,
            min: 1,
        }),
        (Some(kind), _, ["available", n]) => {
            let min: i32 = n.parse().ok().filter(|n| (1..=1000).contains(n))?;
            Some(PreCheck::Replicas {
                kind,
                name: name.to_string(),
                namespace,
                min,
            })
        }
        (None, "pdb" | "poddisruptionbudget", ["headroom"]) => Some(PreCheck::PdbHeadroom {
            name: name.to_string(),
            namespace,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_pre_checks_are_parsed_with_their_namespace() {
        assert_eq!(
            kube_precheck("deployment/{{service}} -n {{namespace}} available"),
            Some(PreCheck::Replicas {
                kind: plan::Workload::Deployment,
                name: "{{service}}".into(),
                namespace: Some("{{namespace}}".into()),
                min: 1
            })
        );
        assert_eq!(
            kube_precheck("sts/db available 2"),
            Some(PreCheck::Replicas {
                kind: plan::Workload::StatefulSet,
                name: "db".into(),
                namespace: None,
                min: 2
            })
        );
        assert_eq!(
            kube_precheck("pdb/catalog --namespace=shop headroom"),
            Some(PreCheck::PdbHeadroom {
                name: "catalog".into(),
                namespace: Some("shop".into())
            })
        );
        for bad in [
            "cluster/main -n db fenced",
            "deployment/ available",
            "deployment/x available 0",
            "deployment/x ready",
            "pdb/x available",
            "deployment/x -n",
        ] {
            assert_eq!(kube_precheck(bad), None, "{bad}");
        }
    }
}
