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
pub mod template;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreCheck {
    /// A PromQL expression that must return at least one series (a condition such as
    /// `up{job="cart"} == 1`). Placeholders are allowed and validated.
    Promql { query: String },
    /// A read-only command (a template, run without a shell) that must exit 0.
    Command { code: String },
    /// The workload currently runs at least `min` replicas.
    Replicas {
        kind: plan::Workload,
        name: String,
        min: i32,
    },
    /// The PodDisruptionBudget allows at least one more disruption.
    PdbHeadroom { name: String },
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
        }
    }
}

/// A runbook pre-check block as the gate runs it. Kube checks are read as
/// `deployment/NAME [-n NS] available` (or `statefulset/…`): at least one replica.
fn precheck(p: &crate::runbook::Precheck) -> PreCheck {
    use crate::runbook::PrecheckKind;
    match p.kind {
        PrecheckKind::Promql => PreCheck::Promql {
            query: p.code.clone(),
        },
        PrecheckKind::Command => PreCheck::Command {
            code: p.code.clone(),
        },
        PrecheckKind::Kube => {
            let words: Vec<&str> = p.code.split_whitespace().collect();
            let target = words.first().and_then(|w| w.split_once('/'));
            let kind = match target.map(|t| t.0) {
                Some("deployment" | "deploy") => Some(plan::Workload::Deployment),
                Some("statefulset" | "sts") => Some(plan::Workload::StatefulSet),
                _ => None,
            };
            match (kind, target, words.last()) {
                (Some(kind), Some((_, name)), Some(&"available")) => PreCheck::Replicas {
                    kind,
                    name: name.to_string(),
                    min: 1,
                },
                _ => PreCheck::Unsupported {
                    text: p.code.clone(),
                },
            }
        }
    }
}
