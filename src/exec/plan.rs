//! What an action will do, exactly, before it does it: the argv or the Kubernetes call and
//! its target, the cluster, the danger, the checks and the dry-run. The prompt shows
//! [`Plan::lines`], and the confirmation binds to a hash of those lines.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{ActionKind, Danger, PreCheck};
use crate::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Workload {
    Deployment,
    StatefulSet,
}

impl Workload {
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::Deployment => "deployment",
            Workload::StatefulSet => "statefulset",
        }
    }

    fn parse(s: &str) -> Option<Workload> {
        match s {
            "deployment" | "deployments" | "deploy" => Some(Workload::Deployment),
            "statefulset" | "statefulsets" | "sts" => Some(Workload::StatefulSet),
            _ => None,
        }
    }
}

/// A custom resource type the console knows how to address (Chaos Mesh experiments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomKind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
}

/// Chaos Mesh kinds, by the names `kubectl` accepts for them.
pub fn chaos_kind(name: &str) -> Option<CustomKind> {
    const KINDS: &[(&str, &str)] = &[
        ("PodChaos", "podchaos"),
        ("NetworkChaos", "networkchaos"),
        ("StressChaos", "stresschaos"),
        ("IOChaos", "iochaos"),
        ("TimeChaos", "timechaos"),
        ("DNSChaos", "dnschaos"),
        ("HTTPChaos", "httpchaos"),
    ];
    let lower = name.to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(k, p)| lower == *p || lower == k.to_ascii_lowercase())
        .map(|(k, p)| CustomKind {
            group: "chaos-mesh.org".into(),
            version: "v1alpha1".into(),
            kind: k.to_string(),
            plural: p.to_string(),
        })
}

/// A mutating Kubernetes call, made through the API (kube-rs), never a `kubectl` binary.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeAction {
    Scale {
        workload: Workload,
        namespace: String,
        name: String,
        replicas: i32,
    },
    Restart {
        workload: Workload,
        namespace: String,
        name: String,
    },
    Cordon {
        node: String,
    },
    Uncordon {
        node: String,
    },
    DeletePod {
        namespace: String,
        name: String,
    },
    CreateCustom {
        kind: CustomKind,
        namespace: String,
        /// The manifest, JSON; its `metadata.name` names the object.
        manifest: serde_json::Value,
    },
    DeleteCustom {
        kind: CustomKind,
        namespace: String,
        name: String,
    },
}

impl KubeAction {
    /// One line: the verb and the target object.
    pub fn describe(&self) -> String {
        match self {
            KubeAction::Scale {
                workload,
                namespace,
                name,
                replicas,
            } => format!(
                "scale {}/{name} in {namespace} to {replicas} replicas",
                workload.as_str()
            ),
            KubeAction::Restart {
                workload,
                namespace,
                name,
            } => format!(
                "rollout restart {}/{name} in {namespace}",
                workload.as_str()
            ),
            KubeAction::Cordon { node } => format!("cordon node/{node}"),
            KubeAction::Uncordon { node } => format!("uncordon node/{node}"),
            KubeAction::DeletePod { namespace, name } => {
                format!("delete pod/{name} in {namespace}")
            }
            KubeAction::CreateCustom {
                kind,
                namespace,
                manifest,
            } => format!(
                "create {}/{} in {namespace}",
                kind.kind,
                manifest
                    .pointer("/metadata/name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
            ),
            KubeAction::DeleteCustom {
                kind,
                namespace,
                name,
            } => format!("delete {}/{name} in {namespace}", kind.kind),
        }
    }

    /// The object's name: what a typed confirmation asks for.
    pub fn target_name(&self) -> String {
        match self {
            KubeAction::Scale { name, .. }
            | KubeAction::Restart { name, .. }
            | KubeAction::DeletePod { name, .. }
            | KubeAction::DeleteCustom { name, .. } => name.clone(),
            KubeAction::Cordon { node } | KubeAction::Uncordon { node } => node.clone(),
            KubeAction::CreateCustom { manifest, .. } => manifest
                .pointer("/metadata/name")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        }
    }

    pub fn namespace(&self) -> Option<&str> {
        match self {
            KubeAction::Scale { namespace, .. }
            | KubeAction::Restart { namespace, .. }
            | KubeAction::DeletePod { namespace, .. }
            | KubeAction::CreateCustom { namespace, .. }
            | KubeAction::DeleteCustom { namespace, .. } => Some(namespace),
            KubeAction::Cordon { .. } | KubeAction::Uncordon { .. } => None,
        }
    }
}

/// How [`Plan::lines`] starts the line of an emergency stop (the audit and the postmortem
/// recognise such an intent by it).
pub const EMERGENCY_LINE: &str = "stop:      ";

/// The shell a `shell=true` block runs through, as `SHELL -c SCRIPT`.
pub const SHELL: &str = "/bin/sh";

/// What runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A process, without a shell unless the block declared one (then `sh -c SCRIPT`).
    Process {
        argv: Vec<String>,
    },
    Kube(KubeAction),
    /// A read-only check answered through the API of the checked context.
    KubeRead(super::read::KubeRead),
}

/// The preview a dry-run key shows.
#[derive(Debug, Clone, PartialEq)]
pub enum DryRun {
    /// The same call with `dryRun=All`: the API server validates and answers, nothing changes.
    ServerSide,
    /// The block's declared dry-run command.
    Process { argv: Vec<String> },
    /// Nothing declared: the dry-run key refuses.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub runbook: String,
    pub name: String,
    pub kind: ActionKind,
    pub target: Target,
    pub dry_run: DryRun,
    /// The kube context the action runs against.
    pub context: String,
    pub namespace: Option<String>,
    pub danger: Danger,
    pub timeout: Duration,
    pub safety_question: Option<String>,
    pub prechecks: Vec<PreCheck>,
    /// The alert the plan was made for (its fingerprint), if any.
    pub alert: Option<String>,
    /// The gate judged the block to change something ([`super::gate::is_mutating`]): a
    /// mitigation, or a check whose command is not known to only read.
    pub changes: bool,
    /// An emergency stop and why ([`super::ActionSpec::emergency`]): shown, so the
    /// journal's intent says it ran without a prompt.
    pub emergency: Option<String>,
}

impl Plan {
    /// True when the plan changes something: every kube action, every mitigation, and
    /// every check the gate could not tell is read-only. Such a plan gets the prompt and
    /// the journal's intent and outcome records, whatever its block says it is.
    pub fn mutating(&self) -> bool {
        self.changes
            || matches!(self.target, Target::Kube(_))
            || self.kind == ActionKind::Mitigation
    }

    /// What a typed confirmation must match: the target object's name.
    pub fn target_name(&self) -> String {
        match &self.target {
            Target::Kube(k) => k.target_name(),
            Target::Process { .. } | Target::KubeRead(_) => self.name.clone(),
        }
    }

    /// The plan as shown in the prompt, one fact per line, every value escaped so an
    /// invisible character in a label shows as `\u{...}`.
    pub fn lines(&self) -> Vec<String> {
        let e = |s: &str| sanitize::escape(s).into_owned();
        let mut out = vec![format!(
            "{} / {} ({}, danger {})",
            e(&self.runbook),
            e(&self.name),
            match (self.kind, self.mutating()) {
                (ActionKind::Check, false) => "check",
                (ActionKind::Check, true) => "check, treated as a change",
                (ActionKind::Mitigation, _) => "mitigation",
            },
            self.danger.as_str()
        )];
        match &self.target {
            Target::Process { argv } => {
                let shown: Vec<String> = argv.iter().map(|a| quote_for_display(a)).collect();
                out.push(format!("run:       {}", shown.join(" ")));
                if argv.first().map(String::as_str) == Some(SHELL) {
                    out.push(format!(
                        "shell:     runs through {SHELL}; every value is validated and quoted; kubectl in it is pinned to context {}",
                        e(&self.context)
                    ));
                }
            }
            Target::KubeRead(r) => {
                out.push(format!(
                    "kube:      {} (read-only, through the API)",
                    e(&r.describe())
                ));
            }
            Target::Kube(k) => {
                out.push(format!("kube:      {}", e(&k.describe())));
                if let KubeAction::CreateCustom { manifest, .. } = k {
                    // What is created, exactly: part of what the confirmation binds to.
                    let spec = manifest.get("spec").cloned().unwrap_or_default();
                    out.push(format!("manifest:  spec {}", e(&spec.to_string())));
                }
            }
        }
        out.push(format!("context:   {}", e(&self.context)));
        if let Some(ns) = &self.namespace {
            out.push(format!("namespace: {}", e(ns)));
        }
        out.push(format!("timeout:   {}s", self.timeout.as_secs()));
        out.push(format!(
            "dry-run:   {}",
            match &self.dry_run {
                DryRun::ServerSide => "server-side (dryRun=All)".to_string(),
                DryRun::Process { argv } => argv
                    .iter()
                    .map(|a| quote_for_display(a))
                    .collect::<Vec<_>>()
                    .join(" "),
                DryRun::None => "none declared".to_string(),
            }
        ));
        for c in &self.prechecks {
            out.push(format!("pre-check: {}", e(&describe_check(c))));
        }
        if let Some(q) = &self.safety_question {
            out.push(format!("question:  {}", e(q)));
        }
        if let Some(why) = &self.emergency {
            out.push(format!(
                "{EMERGENCY_LINE}emergency stop ({}): no prompt; journaled before and after",
                e(why)
            ));
        }
        out
    }

    /// A hash of everything shown plus the alert it was made for: the confirmation is bound
    /// to it, so any change means asking again.
    pub fn fingerprint(&self, extra: &[String]) -> String {
        let mut h = Sha256::new();
        for l in self.lines().iter().chain(extra) {
            h.update(l.as_bytes());
            h.update([0u8]);
        }
        h.update(self.alert.as_deref().unwrap_or("-").as_bytes());
        let digest = h.finalize();
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

pub fn describe_check(c: &PreCheck) -> String {
    match c {
        PreCheck::Promql { query } => format!("promql {query}"),
        PreCheck::Command { code, argv } if argv.is_empty() => format!("command {code} exits 0"),
        PreCheck::Command { argv, .. } => format!(
            "command {} exits 0",
            argv.iter()
                .map(|a| quote_for_display(a))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        PreCheck::Replicas {
            kind,
            name,
            namespace,
            min,
        } => format!(
            "{}/{name}{} has at least {min} available replica{}",
            kind.as_str(),
            in_namespace(namespace),
            if *min == 1 { "" } else { "s" }
        ),
        PreCheck::PdbHeadroom { name, namespace } => {
            format!("pdb/{name}{} allows a disruption", in_namespace(namespace))
        }
        PreCheck::Unsupported { text } => format!("kube {text}"),
    }
}

fn in_namespace(ns: &Option<String>) -> String {
    ns.as_ref().map(|n| format!(" in {n}")).unwrap_or_default()
}

/// An argv element as a person should read it: escaped, and quoted when it holds spaces or
/// is empty, so `a b` is visibly one argument.
fn quote_for_display(a: &str) -> String {
    let esc = sanitize::escape(a);
    if esc.is_empty()
        || esc
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '"')
    {
        shlex::try_quote(&esc)
            .map(|q| q.into_owned())
            .unwrap_or_else(|_| format!("{esc:?}"))
    } else {
        esc.into_owned()
    }
}

/// `kubectl` verbs that only read; they run as processes against the plan's context.
const READ_ONLY_VERBS: &[&str] = &[
    "get",
    "describe",
    "logs",
    "top",
    "events",
    "explain",
    "version",
    "api-resources",
];

/// Flags that would choose another cluster or identity than the gate checked.
const CLUSTER_FLAGS: &[&str] = &[
    "--context",
    "--kubeconfig",
    "--cluster",
    "--server",
    "-s",
    "--as",
    "--as-group",
    "--user",
    "--token",
];

/// How a `kubectl` argv is carried out.
#[derive(Debug, Clone, PartialEq)]
pub enum Kubectl {
    /// Not `kubectl` at all.
    NotKubectl,
    /// A read-only `kubectl` command: run it as a process, pinned to the plan's context.
    ReadOnly,
    /// A mutating call, done through the API.
    Action(KubeAction),
}

/// Classifies an argv. Mutating `kubectl` forms the console does not implement are refused
/// rather than run as a binary, so every change goes through the API with a dry-run.
pub fn parse_kubectl(argv: &[String]) -> Result<Kubectl, String> {
    // `/usr/bin/kubectl` is kubectl too: the same parse, the same API path and bans.
    if argv.first().map(|p| super::tools::program_name(p)) != Some("kubectl") {
        return Ok(Kubectl::NotKubectl);
    }
    let mut namespace: Option<String> = None;
    let mut words: Vec<&str> = Vec::new();
    let mut replicas: Option<String> = None;
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        let flag = a.split('=').next().unwrap_or(a);
        if CLUSTER_FLAGS.contains(&flag) || glued_server_flag(a) {
            return Err(format!(
                "`{}` is not allowed: the console chooses the cluster and checks it",
                sanitize::escape(flag)
            ));
        }
        if a == "-n" || a == "--namespace" {
            namespace = Some(argv.get(i + 1).ok_or("-n needs a value")?.clone());
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("--namespace=") {
            namespace = Some(v.to_string());
        } else if let Some(v) = a.strip_prefix("--replicas=") {
            replicas = Some(v.to_string());
        } else if a == "--replicas" {
            replicas = Some(argv.get(i + 1).ok_or("--replicas needs a value")?.clone());
            i += 1;
        } else if a.starts_with('-') {
            // Other flags (output format, selectors) only matter to read-only verbs.
            if !READ_ONLY_VERBS.contains(&words.first().copied().unwrap_or("")) {
                return Err(format!(
                    "unsupported kubectl flag `{}`",
                    sanitize::escape(a)
                ));
            }
        } else {
            words.push(a);
        }
        i += 1;
    }
    let verb = words.first().copied().unwrap_or("");
    if READ_ONLY_VERBS.contains(&verb)
        || (verb == "rollout" && matches!(words.get(1), Some(&"status") | Some(&"history")))
    {
        return Ok(Kubectl::ReadOnly);
    }
    let need_ns = || {
        namespace
            .clone()
            .ok_or_else(|| format!("`kubectl {verb}` needs -n NAMESPACE"))
    };
    // `kind/name` or `kind name`.
    let object = |from: usize| -> Option<(String, String)> {
        let w = words.get(from)?;
        match w.split_once('/') {
            Some((k, n)) => Some((k.to_string(), n.to_string())),
            None => Some((w.to_string(), words.get(from + 1)?.to_string())),
        }
    };
    let action = match verb {
        "scale" => {
            let (k, name) = object(1).ok_or("scale needs KIND/NAME")?;
            let workload = Workload::parse(&k).ok_or(format!("cannot scale `{k}`"))?;
            let n: i32 = replicas
                .ok_or("scale needs --replicas=N")?
                .parse()
                .map_err(|_| "--replicas must be a whole number".to_string())?;
            if !(0..=1000).contains(&n) {
                return Err("--replicas must be between 0 and 1000".into());
            }
            KubeAction::Scale {
                workload,
                namespace: need_ns()?,
                name,
                replicas: n,
            }
        }
        "rollout" if words.get(1) == Some(&"restart") => {
            let (k, name) = object(2).ok_or("rollout restart needs KIND/NAME")?;
            let workload = Workload::parse(&k).ok_or(format!("cannot restart `{k}`"))?;
            KubeAction::Restart {
                workload,
                namespace: need_ns()?,
                name,
            }
        }
        "cordon" | "uncordon" => {
            let node = *words.get(1).ok_or("cordon needs NODE")?;
            let node = node.strip_prefix("node/").unwrap_or(node).to_string();
            if verb == "cordon" {
                KubeAction::Cordon { node }
            } else {
                KubeAction::Uncordon { node }
            }
        }
        "delete" => {
            let (k, name) = object(1).ok_or("delete needs KIND NAME")?;
            if matches!(k.as_str(), "pod" | "pods" | "po") {
                KubeAction::DeletePod {
                    namespace: need_ns()?,
                    name,
                }
            } else if let Some(kind) = chaos_kind(&k) {
                KubeAction::DeleteCustom {
                    kind,
                    namespace: need_ns()?,
                    name,
                }
            } else {
                return Err(format!(
                    "deleting `{}` is not supported",
                    sanitize::escape(&k)
                ));
            }
        }
        _ => {
            return Err(format!(
                "`kubectl {}` is not supported; mutating calls go through the API",
                sanitize::escape(verb)
            ));
        }
    };
    if words.len() > expected_words(&action) {
        return Err("unexpected extra arguments".into());
    }
    Ok(Kubectl::Action(action))
}

/// `-shttps://other` or `-is` (short flags run together, `-s` taking the rest as its
/// value) choose another API server as surely as `--server` does. Reading a cluster of
/// short flags stops at the first one that takes a value: the rest is that value.
fn glued_server_flag(a: &str) -> bool {
    let Some(short) = a.strip_prefix('-').filter(|s| !s.starts_with('-')) else {
        return false;
    };
    for c in short.chars() {
        if c == 's' {
            return true;
        }
        // kubectl's short flags that take a value.
        if "cfklLnop".contains(c) {
            return false;
        }
    }
    false
}

fn expected_words(a: &KubeAction) -> usize {
    match a {
        // verb + kind/name (or kind name)
        KubeAction::Scale { .. }
        | KubeAction::DeletePod { .. }
        | KubeAction::DeleteCustom { .. } => 3,
        KubeAction::Restart { .. } => 4,
        KubeAction::Cordon { .. } | KubeAction::Uncordon { .. } => 2,
        KubeAction::CreateCustom { .. } => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn action(s: &str) -> KubeAction {
        match parse_kubectl(&argv(s)) {
            Ok(Kubectl::Action(a)) => a,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn kubectl_forms_become_api_calls() {
        assert_eq!(
            action("kubectl -n shop scale deployment/cart --replicas=5"),
            KubeAction::Scale {
                workload: Workload::Deployment,
                namespace: "shop".into(),
                name: "cart".into(),
                replicas: 5
            }
        );
        assert_eq!(
            action("kubectl scale sts db --replicas 3 --namespace=data"),
            KubeAction::Scale {
                workload: Workload::StatefulSet,
                namespace: "data".into(),
                name: "db".into(),
                replicas: 3
            }
        );
        assert_eq!(
            action("kubectl -n shop rollout restart deployment/cart"),
            KubeAction::Restart {
                workload: Workload::Deployment,
                namespace: "shop".into(),
                name: "cart".into()
            }
        );
        assert_eq!(
            action("kubectl cordon node-1"),
            KubeAction::Cordon {
                node: "node-1".into()
            }
        );
        assert_eq!(
            action("kubectl uncordon node/node-1"),
            KubeAction::Uncordon {
                node: "node-1".into()
            }
        );
        assert_eq!(
            action("kubectl -n shop delete pod cart-1"),
            KubeAction::DeletePod {
                namespace: "shop".into(),
                name: "cart-1".into()
            }
        );
        assert!(matches!(
            action("kubectl -n shop delete podchaos/kill-cart"),
            KubeAction::DeleteCustom { .. }
        ));
    }

    #[test]
    fn read_only_kubectl_runs_as_a_process_and_the_rest_is_refused() {
        assert_eq!(
            parse_kubectl(&argv("kubectl -n shop get pods -l app=cart -o wide")),
            Ok(Kubectl::ReadOnly)
        );
        assert_eq!(
            parse_kubectl(&argv("kubectl -n shop rollout status deployment/cart")),
            Ok(Kubectl::ReadOnly)
        );
        assert_eq!(parse_kubectl(&argv("curl x")), Ok(Kubectl::NotKubectl));
        for bad in [
            "kubectl apply -f x.yaml",
            "kubectl -n shop delete deployment cart",
            "kubectl --context prod -n shop get pods",
            "kubectl get pods --kubeconfig=/tmp/k",
            "kubectl scale deployment/cart --replicas=5",
            "kubectl -n shop scale deployment/cart --replicas=-1",
            "kubectl -n shop scale deployment/cart --replicas=many",
            "kubectl -n shop scale deployment/cart --replicas=2 --force",
            "kubectl drain node-1",
            "kubectl -n shop delete pod a b",
        ] {
            assert!(parse_kubectl(&argv(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_changes_with_anything_shown() {
        let plan = Plan {
            runbook: "rb".into(),
            name: "scale".into(),
            kind: ActionKind::Mitigation,
            target: Target::Kube(action("kubectl -n shop scale deployment/cart --replicas=5")),
            dry_run: DryRun::ServerSide,
            context: "prod-eu".into(),
            namespace: Some("shop".into()),
            danger: Danger::High,
            timeout: Duration::from_secs(60),
            safety_question: None,
            prechecks: Vec::new(),
            alert: Some("abc".into()),
            changes: true,
            emergency: None,
        };
        let f = plan.fingerprint(&[]);
        assert_eq!(f, plan.clone().fingerprint(&[]));
        let mut other = plan.clone();
        other.context = "prod-us".into();
        assert_ne!(f, other.fingerprint(&[]));
        let mut other = plan.clone();
        other.alert = Some("def".into());
        assert_ne!(f, other.fingerprint(&[]));
        assert_ne!(f, plan.fingerprint(&["pre-check ok".into()]));
    }

    #[test]
    fn shown_plans_escape_invisible_characters() {
        let plan = Plan {
            runbook: "rb".into(),
            name: "n".into(),
            kind: ActionKind::Mitigation,
            target: Target::Process {
                argv: vec!["echo".into(), "a b".into(), "x\u{200B}y".into()],
            },
            dry_run: DryRun::None,
            context: "c".into(),
            namespace: None,
            danger: Danger::Low,
            timeout: Duration::from_secs(5),
            safety_question: Some("Sure\u{202E}?".into()),
            prechecks: Vec::new(),
            alert: None,
            changes: true,
            emergency: None,
        };
        let text = plan.lines().join("\n");
        assert!(text.contains("run:       echo 'a b' x\\u{200B}y"), "{text}");
        assert!(text.contains("Sure\\u{202E}?"));
    }
}
