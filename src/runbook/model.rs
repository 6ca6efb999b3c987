//! The runbook model: front matter, five sections of steps, each with text, commands and
//! branches that point at other steps, so the on-call can walk a diagnose tree by keypress.
//! Every element keeps its source position, so lint and errors can point at `file:line:col`.

use std::time::Duration;

use chrono::NaiveDate;

/// A place in the runbook file, 1-based, counted in characters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// The five sections every runbook has, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

    pub fn from_title(title: &str) -> Option<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .find(|s| s.title().eq_ignore_ascii_case(title.trim()))
    }
}

/// The YAML front matter: what the runbook answers and who keeps it true.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    /// Alert names (Prometheus `alertname`) this runbook answers.
    pub alerts: Vec<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub owner: Option<String>,
    pub last_reviewed: Option<NaiveDate>,
    pub query: Option<String>,
    pub dashboard: Option<String>,
    /// Alert labels the `{{placeholders}}` may use.
    pub labels: Vec<String>,
    /// Where each key was written, for diagnostics about its value.
    pub keys: Vec<(String, Pos)>,
}

impl FrontMatter {
    pub fn pos_of(&self, key: &str) -> Option<Pos> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, p)| *p)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    /// File stem, e.g. `catalog-p99-latency`.
    pub id: String,
    /// The file as it was named when loaded, for messages.
    pub path: String,
    /// The `#` title, or the id when there is none.
    pub title: String,
    pub meta: FrontMatter,
    /// The `##` headings as written, in document order (unknown ones included, for lint).
    pub sections: Vec<SectionHeading>,
    pub steps: Vec<Step>,
}

impl Runbook {
    pub fn step_index(&self, anchor: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.anchor == anchor)
    }

    /// The first step of a section, for section jumps.
    pub fn first_step_of(&self, section: SectionKind) -> Option<usize> {
        self.steps.iter().position(|s| s.section == section)
    }

    /// Days since `last_reviewed`, or `None` when it is missing.
    pub fn review_age_days(&self, today: NaiveDate) -> Option<i64> {
        self.meta.last_reviewed.map(|d| (today - d).num_days())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SectionHeading {
    pub title: String,
    pub kind: Option<SectionKind>,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// GitHub-compatible heading anchor, the target of branches.
    pub anchor: String,
    pub title: String,
    pub section: SectionKind,
    pub pos: Pos,
    /// Prose, lists and commands in document order.
    pub body: Vec<BodyBlock>,
    pub commands: Vec<CommandBlock>,
    pub branches: Vec<Branch>,
}

/// One run of inline text with its emphasis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inline {
    pub text: String,
    pub style: InlineStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineStyle {
    Plain,
    Emphasis,
    Strong,
    Code,
    Link,
}

/// A block of a step's body and where it starts in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyBlock {
    pub pos: Pos,
    pub block: Block,
}

/// A block of a step's body, as the pane draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// A list item that is not a branch; `depth` 0 is top level, `number` for ordered lists.
    Item {
        depth: usize,
        number: Option<u64>,
        text: Vec<Inline>,
    },
    Quote(Vec<Inline>),
    /// A heading below `###` inside a step.
    Heading(Vec<Inline>),
    /// Index into [`Step::commands`].
    Command(usize),
    /// A fenced block without attributes: shown as-is, never runnable.
    Code(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The whole list item's text, e.g. "Replication lag above 30 s: go to DB lag".
    pub label: String,
    /// Anchor of the step this choice leads to.
    pub target: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CommandKind {
    /// Read-only: says whether something is true.
    #[default]
    Check,
    /// Changes the system; needs a safety check.
    Mitigation,
    /// An automatic pre-check guarding the mitigation before it.
    Precheck,
    /// What the command before it prints when things are as expected.
    Expected,
}

impl CommandKind {
    pub fn parse(s: &str) -> Option<CommandKind> {
        match s {
            "check" => Some(CommandKind::Check),
            "mitigation" => Some(CommandKind::Mitigation),
            "precheck" => Some(CommandKind::Precheck),
            "expected" => Some(CommandKind::Expected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Danger {
    #[default]
    Low,
    Medium,
    High,
}

impl Danger {
    pub fn parse(s: &str) -> Option<Danger> {
        match s {
            "low" => Some(Danger::Low),
            "medium" => Some(Danger::Medium),
            "high" => Some(Danger::High),
            _ => None,
        }
    }
}

/// What a manifest block (` ```yaml {kube=create} `) does with its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeVerb {
    Create,
    Delete,
}

impl KubeVerb {
    pub fn parse(s: &str) -> Option<KubeVerb> {
        match s {
            "create" => Some(KubeVerb::Create),
            "delete" => Some(KubeVerb::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KubeVerb::Create => "create",
            KubeVerb::Delete => "delete",
        }
    }
}

/// How an automatic pre-check is evaluated, from the fence's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrecheckKind {
    /// A PromQL expression that must return a non-empty result.
    Promql,
    /// A read-only shell command that must exit 0.
    Command,
    /// A Kubernetes check such as `deployment/catalog available`.
    Kube,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Precheck {
    pub kind: PrecheckKind,
    pub code: String,
    pub pos: Pos,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub struct CommandBlock {
    pub name: String,
    pub kind: CommandKind,
    pub danger: Danger,
    /// The fence's language (`sh`, `promql`, ...).
    pub lang: String,
    /// The command text, lines joined with `\n`, already sanitized.
    pub code: String,
    pub timeout: Duration,
    /// A variant that shows what would change without changing it.
    pub dry_run: Option<String>,
    /// The question a human must answer before a mitigation runs.
    pub safety_question: Option<String>,
    pub prechecks: Vec<Precheck>,
    /// Expected output, from a following `kind=expected` block.
    pub expected: Option<String>,
    pub pos: Pos,
    /// `shell=true`: runs through `/bin/sh`, every value quoted.
    pub shell: bool,
    /// `auto=true`: a read-only check run once when its step is first shown.
    pub auto: bool,
    /// `kube=create|delete`: the block is a manifest, acted on through the API.
    pub kube: Option<KubeVerb>,
}
