//! The runbook model: five sections of steps, each with text, commands and branches that
//! point at other steps, so the on-call can walk a diagnose tree by keypress.

use serde::Deserialize;

/// The five sections every runbook has, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    Alert,
    Check,
    Diagnose,
    Mitigate,
    Postmortem,
}

impl SectionKind {
    pub const ALL: [SectionKind; 5] = [
        SectionKind::Alert,
        SectionKind::Check,
        SectionKind::Diagnose,
        SectionKind::Mitigate,
        SectionKind::Postmortem,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Alert => "Alert",
            SectionKind::Check => "Check",
            SectionKind::Diagnose => "Diagnose",
            SectionKind::Mitigate => "Mitigate",
            SectionKind::Postmortem => "Postmortem",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// File stem, e.g. `catalog-p99-latency`.
    pub id: String,
    pub title: String,
    /// Alert names this runbook answers.
    pub alerts: Vec<String>,
    pub steps: Vec<Step>,
}

impl Runbook {
    pub fn step_index(&self, anchor: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.anchor == anchor)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// GitHub-style heading anchor, the target of branches.
    pub anchor: String,
    pub title: String,
    pub section: SectionKind,
    #[serde(default)]
    pub body: Vec<String>,
    #[serde(default)]
    pub commands: Vec<CommandBlock>,
    #[serde(default)]
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    pub label: String,
    /// Anchor of the step this choice leads to.
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommandKind {
    Check,
    Mitigation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Danger {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandBlock {
    pub name: String,
    pub kind: CommandKind,
    #[serde(default = "low")]
    pub danger: Danger,
    pub code: String,
    /// The question a human must answer before a mitigation runs.
    #[serde(default)]
    pub safety_question: Option<String>,
}

fn low() -> Danger {
    Danger::Low
}
