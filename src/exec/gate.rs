//! The one gate every action passes, whatever key or view asked for it, in a fixed order:
//! read-only mode → protected contexts → wrong-cluster guard → template validation (for a
//! game-day's chaos experiment: the safety boundary) → automatic pre-checks → (ready for
//! the prompt). What follows the prompt (the journal's
//! intent record, execution, the outcome record) is bound to the [`GatedPlan`]'s
//! fingerprint through [`Confirmation`], which only [`GatedPlan::confirm`] can make.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use super::plan::{DryRun, Kubectl, Plan, Target, describe_check, parse_kubectl};
use super::template::{self, TemplateError};
use super::{ActionKind, ActionSpec, DEFAULT_TIMEOUT, Danger, PreCheck};
use crate::sanitize;

/// The parts of the config the gate reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateConfig {
    /// `--read-only`, `read_only: true`, or a follower console.
    pub read_only: bool,
    /// Contexts where nothing may change.
    pub read_only_contexts: Vec<String>,
    /// Contexts where every change needs the target's name typed.
    pub protected_contexts: Vec<String>,
    /// An alert's `cluster` or `region` label value → the kube context it lives in.
    pub region_contexts: BTreeMap<String, String>,
}

/// One request to act: a block, the alert it is for, and the active kube context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub spec: &'a ActionSpec,
    /// The selected alert's fingerprint, when the action is for an alert.
    pub alert: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
    pub context: &'a str,
}

/// Why the gate said no. Safe to draw: values are escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ReadOnly(String),
    WrongCluster(String),
    Template(TemplateError),
    Unsupported(String),
    PreCheck(String),
    /// A chaos experiment outside its game-day's safety boundary.
    Boundary(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ReadOnly(why) => write!(f, "Read-only: {why}"),
            Refusal::WrongCluster(why) => write!(f, "Wrong cluster: {why}"),
            Refusal::Template(e) => write!(f, "Refused: {e}"),
            Refusal::Unsupported(why) => write!(f, "Refused: {why}"),
            Refusal::PreCheck(why) => write!(f, "Pre-check failed: {why}"),
            Refusal::Boundary(why) => write!(f, "Outside the safety boundary: {why}"),
        }
    }
}

impl From<TemplateError> for Refusal {
    fn from(e: TemplateError) -> Refusal {
        Refusal::Template(e)
    }
}

/// The result of one automatic pre-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: String,
    pub ok: bool,
    pub detail: String,
}

impl CheckResult {
    pub fn line(&self) -> String {
        format!(
            "{} {}: {}",
            if self.ok { "ok  " } else { "FAIL" },
            sanitize::escape(&self.check),
            sanitize::escape(&self.detail)
        )
    }
}

/// Runs pre-checks. The live one talks to Prometheus, processes and the API; tests and the
/// demo pass their own.
pub trait PreChecks {
    fn run(
        &self,
        check: &PreCheck,
        plan: &Plan,
        labels: &BTreeMap<String, String>,
    ) -> impl Future<Output = CheckResult> + Send;
}

/// For plans without pre-checks, or to refuse any that exist.
pub struct NoPreChecks;

impl PreChecks for NoPreChecks {
    async fn run(
        &self,
        check: &PreCheck,
        _plan: &Plan,
        _labels: &BTreeMap<String, String>,
    ) -> CheckResult {
        CheckResult {
            check: describe_check(check),
            ok: false,
            detail: "no way to run this check here".into(),
        }
    }
}

/// A plan that passed the gate and waits for the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct GatedPlan {
    pub plan: Plan,
    pub checks: Vec<CheckResult>,
    /// When set, the prompt asks for exactly this text (the target's name), not `y`.
    pub typed: Option<String>,
    /// Hash of the plan, the check results and the confirmation asked for.
    pub fingerprint: String,
}

/// Proof that a person confirmed one exact plan. Only [`GatedPlan::confirm`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    fingerprint: String,
}

impl Confirmation {
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// True while the plan about to run is the one confirmed.
    pub fn binds(&self, plan: &GatedPlan) -> bool {
        self.fingerprint == plan.fingerprint
    }
}

impl GatedPlan {
    /// Everything the prompt shows, escaped.
    pub fn prompt_lines(&self) -> Vec<String> {
        let mut out = self.plan.lines();
        for c in &self.checks {
            out.push(format!("checked:   {}", c.line()));
        }
        out.push(match &self.typed {
            Some(name) => format!(
                "type the target's name ({}) and Enter to run; Esc cancels",
                sanitize::escape(name)
            ),
            None => "y runs it; n, Esc or anything else cancels (default No)".into(),
        });
        out
    }

    /// The person's answer: `y` for plain plans, the exact target name for typed ones.
    /// Anything else (including an empty Enter) is No.
    pub fn confirm(&self, answer: &str) -> Option<Confirmation> {
        let ok = match &self.typed {
            Some(name) => answer == name,
            None => answer == "y" || answer == "Y",
        };
        ok.then(|| Confirmation {
            fingerprint: self.fingerprint.clone(),
        })
    }

    /// The text recorded as the journal's intent: the plan and the checks, as shown.
    pub fn intent_text(&self) -> String {
        let mut lines = self.plan.lines();
        lines.extend(self.checks.iter().map(|c| format!("checked: {}", c.line())));
        lines.push(format!("fingerprint: {}", self.fingerprint));
        lines.join("\n")
    }
}

/// True when the block changes something, judged from the template alone (no values yet),
/// so read-only mode refuses before anything else is looked at. Unclear means mutating.
pub fn is_mutating(spec: &ActionSpec) -> bool {
    if spec.kind == ActionKind::Mitigation || spec.manifest.is_some() {
        return true;
    }
    let read_only = |words: &[String]| {
        matches!(
            parse_kubectl(words),
            Ok(Kubectl::ReadOnly) | Ok(Kubectl::NotKubectl)
        )
    };
    if !spec.shell {
        return shlex::split(&spec.code).is_none_or(|w| !read_only(&w));
    }
    // A shell script is not parsed, only split at its separators, and every `kubectl` in it
    // must be read-only. Beyond that a shell block marked `check` is the runbook author's
    // word (values cannot change what it does: they are validated and quoted).
    let spaced: String = spec
        .code
        .chars()
        .flat_map(|c| match c {
            ';' | '|' | '&' | '\n' | '`' | '(' | ')' => vec![' ', ';', ' '],
            c => vec![c],
        })
        .collect();
    let Some(words) = shlex::split(&spaced) else {
        return true;
    };
    words
        .split(|w| w == ";")
        .any(|segment| !segment.is_empty() && !read_only(segment))
}

/// The single gate. Returns the plan ready for the prompt, or why not.
pub async fn gate<C: PreChecks>(
    cfg: &GateConfig,
    req: Request<'_>,
    checks: &C,
) -> Result<GatedPlan, Refusal> {
    let mutating = is_mutating(req.spec);
    let ctx = req.context;
    // 1. Read-only mode: the flag or config, or this context.
    if mutating {
        if cfg.read_only {
            return Err(Refusal::ReadOnly(
                "this console changes nothing (read-only mode)".into(),
            ));
        }
        if cfg.read_only_contexts.iter().any(|c| c == ctx) {
            return Err(Refusal::ReadOnly(format!(
                "context {} is read-only",
                sanitize::escape(ctx)
            )));
        }
    }
    // 2. Protected contexts: allowed, but only with the target's name typed.
    let protected = cfg.protected_contexts.iter().any(|c| c == ctx);
    // 3. Wrong-cluster guard.
    if mutating {
        wrong_cluster(cfg, req.labels, ctx)?;
    }
    // 4. Template validation (a chaos experiment: the boundary), and the plan.
    let mut results = Vec::new();
    let plan = match &req.spec.experiment {
        Some(x) => {
            let (plan, fits) = experiment_plan(cfg, req, x)?;
            results.push(fits);
            plan
        }
        None => build_plan(req)?,
    };
    // 5. Automatic pre-checks, in the order written; the first failure refuses.
    for c in &plan.prechecks {
        let r = checks.run(c, &plan, req.labels).await;
        if !r.ok {
            return Err(Refusal::PreCheck(format!(
                "{}: {}",
                sanitize::escape(&r.check),
                sanitize::escape(&r.detail)
            )));
        }
        results.push(r);
    }
    let typed =
        (mutating && (plan.danger == Danger::High || protected)).then(|| plan.target_name());
    let mut extra: Vec<String> = results.iter().map(CheckResult::line).collect();
    extra.push(format!("typed: {}", typed.as_deref().unwrap_or("-")));
    let fingerprint = plan.fingerprint(&extra);
    Ok(GatedPlan {
        plan,
        checks: results,
        typed,
        fingerprint,
    })
}

/// A game-day experiment: the context, the manifest and the pods already under chaos are
/// checked against the boundary before anything is shown, let alone sent; the plan creates
/// the manifest, with the boundary's namespace and a label saying the console made it.
fn experiment_plan(
    cfg: &GateConfig,
    req: Request<'_>,
    x: &crate::gameday::ChaosRequest,
) -> Result<(Plan, CheckResult), Refusal> {
    use crate::gameday::boundary;
    let b = &x.boundary;
    boundary::check_context(b, req.context, &cfg.protected_contexts).map_err(Refusal::Boundary)?;
    let fit = boundary::check_manifest(b, &x.manifest).map_err(|v| {
        Refusal::Boundary(
            v.iter()
                .map(|v| v.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let total = x.pods_in_use.saturating_add(fit.pods);
    if total > b.max_pods {
        return Err(Refusal::Boundary(format!(
            "{} pod(s) are already under chaos; with this experiment {total} would be, more than the boundary's {} (wait for it to end, or press the kill switch)",
            x.pods_in_use, b.max_pods
        )));
    }
    let mut manifest = x.manifest.clone();
    manifest["metadata"]["namespace"] = serde_json::Value::String(b.namespace.clone());
    if let Some(meta) = manifest["metadata"].as_object_mut() {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| serde_json::json!({}));
        match labels.as_object_mut() {
            Some(l) => {
                l.insert("app.kubernetes.io/managed-by".into(), "warroom".into());
            }
            None => {
                return Err(Refusal::Boundary("metadata.labels is not a mapping".into()));
            }
        }
    }
    let spec = req.spec;
    let plan = Plan {
        runbook: spec.runbook.clone(),
        name: spec.name.clone(),
        kind: ActionKind::Mitigation,
        target: Target::Kube(super::plan::KubeAction::CreateCustom {
            kind: fit.kind.clone(),
            namespace: b.namespace.clone(),
            manifest,
        }),
        dry_run: DryRun::ServerSide,
        context: req.context.to_string(),
        namespace: Some(b.namespace.clone()),
        danger: spec.danger,
        timeout: spec.timeout.unwrap_or(DEFAULT_TIMEOUT),
        safety_question: spec.safety_question.clone(),
        prechecks: Vec::new(),
        alert: req.alert.map(String::from),
    };
    let check = CheckResult {
        check: format!("boundary {}", b.describe()),
        ok: true,
        detail: format!("{}; {} pod(s) under chaos with it", fit.describe(b), total),
    };
    Ok((plan, check))
}

/// The alert's `cluster` (or else `region`) label must map to the active context.
fn wrong_cluster(
    cfg: &GateConfig,
    labels: &BTreeMap<String, String>,
    ctx: &str,
) -> Result<(), Refusal> {
    let Some((label, value)) = ["cluster", "region"]
        .iter()
        .find_map(|l| labels.get(*l).map(|v| (*l, v)))
    else {
        // Nothing to compare with: the plan names the context and the prompt shows it.
        return Ok(());
    };
    match cfg.region_contexts.get(value) {
        Some(c) if c == ctx => Ok(()),
        Some(c) => Err(Refusal::WrongCluster(format!(
            "the alert's {label} {} is context {}, but the active context is {}",
            sanitize::escape(value),
            sanitize::escape(c),
            sanitize::escape(ctx)
        ))),
        None => Err(Refusal::WrongCluster(format!(
            "no context is mapped for {label} {} (config: region_contexts)",
            sanitize::escape(value)
        ))),
    }
}

/// Renders the template and classifies the command: a kube action, a read-only kubectl
/// pinned to the context, or a process.
pub fn build_plan(req: Request<'_>) -> Result<Plan, Refusal> {
    let spec = req.spec;
    let render = |code: &str| -> Result<Vec<String>, Refusal> {
        if spec.shell {
            let script = template::render_shell(code, &spec.declared_labels, req.labels)?;
            Ok(vec![super::plan::SHELL.into(), "-c".into(), script])
        } else {
            Ok(template::render_argv(
                code,
                &spec.declared_labels,
                req.labels,
            )?)
        }
    };
    if let Some(verb) = spec.manifest {
        let action = super::manifest::action(verb, &spec.code, &spec.declared_labels, req.labels)
            .map_err(|e| match e {
            super::manifest::ManifestError::Template(t) => Refusal::Template(t),
            other => Refusal::Unsupported(other.to_string()),
        })?;
        return Ok(finish_plan(
            req,
            Target::Kube(action.clone()),
            DryRun::ServerSide,
            action.namespace().map(String::from),
            render_prechecks(spec, req)?,
        ));
    }
    let argv = render(&spec.code)?;
    let (target, dry_run, namespace) = match parse_kubectl(&argv).map_err(Refusal::Unsupported)? {
        Kubectl::Action(a) => {
            let ns = a.namespace().map(String::from);
            (Target::Kube(a), DryRun::ServerSide, ns)
        }
        Kubectl::ReadOnly if super::read::parse(&argv).is_some() => {
            let read = super::read::parse(&argv)
                .ok_or_else(|| Refusal::Unsupported("unreadable kubectl".into()))?;
            let ns = Some(read.namespace().to_string());
            (Target::KubeRead(read), DryRun::None, ns)
        }
        Kubectl::ReadOnly => {
            // Pin the read-only kubectl to the context the console checked.
            let mut pinned = argv.clone();
            pinned.insert(1, format!("--context={}", req.context));
            (
                Target::Process { argv: pinned },
                DryRun::None,
                req.labels.get("namespace").cloned(),
            )
        }
        Kubectl::NotKubectl => {
            let dry = match &spec.dry_run {
                Some(code) => DryRun::Process {
                    argv: render(code)?,
                },
                None => DryRun::None,
            };
            (
                Target::Process { argv },
                dry,
                req.labels.get("namespace").cloned(),
            )
        }
    };
    let prechecks = render_prechecks(spec, req)?;
    Ok(finish_plan(req, target, dry_run, namespace, prechecks))
}

fn finish_plan(
    req: Request<'_>,
    target: Target,
    dry_run: DryRun,
    namespace: Option<String>,
    prechecks: Vec<PreCheck>,
) -> Plan {
    let spec = req.spec;
    Plan {
        runbook: spec.runbook.clone(),
        name: spec.name.clone(),
        kind: spec.kind,
        target,
        dry_run,
        context: req.context.to_string(),
        namespace,
        danger: spec.danger,
        timeout: spec.timeout.unwrap_or(DEFAULT_TIMEOUT),
        safety_question: spec.safety_question.clone(),
        prechecks,
        alert: req.alert.map(String::from),
    }
}

/// Pre-check templates are validated now, before anything is asked.
fn render_prechecks(spec: &ActionSpec, req: Request<'_>) -> Result<Vec<PreCheck>, Refusal> {
    let mut prechecks = Vec::new();
    for c in &spec.prechecks {
        prechecks.push(match c {
            PreCheck::Promql { query } => PreCheck::Promql {
                query: template::render_plain(query, &spec.declared_labels, req.labels)?,
            },
            PreCheck::Command { code } => {
                let argv = template::render_argv(code, &spec.declared_labels, req.labels)?;
                if !matches!(
                    parse_kubectl(&argv),
                    Ok(Kubectl::ReadOnly) | Ok(Kubectl::NotKubectl)
                ) {
                    return Err(Refusal::Unsupported(
                        "a pre-check command must be read-only".into(),
                    ));
                }
                PreCheck::Command { code: code.clone() }
            }
            other => other.clone(),
        });
    }
    Ok(prechecks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::plan::{KubeAction, Workload, chaos_kind};

    struct AllPass;
    impl PreChecks for AllPass {
        async fn run(
            &self,
            check: &PreCheck,
            _p: &Plan,
            _l: &BTreeMap<String, String>,
        ) -> CheckResult {
            CheckResult {
                check: describe_check(check),
                ok: true,
                detail: "fine".into(),
            }
        }
    }

    fn spec(code: &str, kind: ActionKind, danger: Danger) -> ActionSpec {
        ActionSpec {
            runbook: "rb".into(),
            name: "act".into(),
            kind,
            danger,
            code: code.into(),
            dry_run: None,
            timeout: None,
            shell: false,
            safety_question: Some("Is the cart team aware?".into()),
            declared_labels: vec!["namespace".into(), "pod".into(), "node".into()],
            prechecks: Vec::new(),
            manifest: None,
            experiment: None,
        }
    }

    fn labels() -> BTreeMap<String, String> {
        [
            ("namespace", "shop"),
            ("pod", "cart-1"),
            ("node", "node-1"),
            ("region", "eu-west-1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn cfg() -> GateConfig {
        GateConfig {
            region_contexts: [("eu-west-1".to_string(), "prod-eu".to_string())].into(),
            protected_contexts: vec!["prod-eu".into()],
            ..GateConfig::default()
        }
    }

    fn run(
        cfg: &GateConfig,
        spec: &ActionSpec,
        labels: &BTreeMap<String, String>,
        ctx: &str,
    ) -> Result<GatedPlan, Refusal> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(gate(
            cfg,
            Request {
                spec,
                alert: Some("fp1"),
                labels,
                context: ctx,
            },
            &AllPass,
        ))
    }

    /// One block per mutating action the console knows. The match is exhaustive, so a new
    /// [`KubeAction`] does not compile until it is listed here and so tested by the gate.
    fn every_mutating_action() -> Vec<ActionSpec> {
        let samples = [
            KubeAction::Scale {
                workload: Workload::Deployment,
                namespace: String::new(),
                name: String::new(),
                replicas: 0,
            },
            KubeAction::Restart {
                workload: Workload::StatefulSet,
                namespace: String::new(),
                name: String::new(),
            },
            KubeAction::Cordon {
                node: String::new(),
            },
            KubeAction::Uncordon {
                node: String::new(),
            },
            KubeAction::DeletePod {
                namespace: String::new(),
                name: String::new(),
            },
            KubeAction::CreateCustom {
                kind: chaos_kind("podchaos").unwrap(),
                namespace: String::new(),
                manifest: serde_json::Value::Null,
            },
            KubeAction::DeleteCustom {
                kind: chaos_kind("podchaos").unwrap(),
                namespace: String::new(),
                name: String::new(),
            },
        ];
        let mut specs = Vec::new();
        for a in samples {
            let code = match a {
                KubeAction::Scale { .. } => {
                    "kubectl -n {{namespace}} scale deployment/cart --replicas=3"
                }
                KubeAction::Restart { .. } => "kubectl -n {{namespace}} rollout restart sts/db",
                KubeAction::Cordon { .. } => "kubectl cordon {{node}}",
                KubeAction::Uncordon { .. } => "kubectl uncordon {{node}}",
                KubeAction::DeletePod { .. } => "kubectl -n {{namespace}} delete pod {{pod}}",
                // Created from a manifest block (`kube=create`), not a command line.
                KubeAction::CreateCustom { .. } => {
                    "apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: kill-cart, namespace: '{{namespace}}'}\nspec: {action: pod-kill, mode: one}"
                }
                KubeAction::DeleteCustom { .. } => {
                    "kubectl -n {{namespace}} delete podchaos kill-cart"
                }
            };
            let manifest = matches!(a, KubeAction::CreateCustom { .. })
                .then_some(crate::exec::ManifestVerb::Create);
            // Even a block mislabelled as a check is caught by what it does.
            for kind in [ActionKind::Check, ActionKind::Mitigation] {
                let mut s = spec(code, kind, Danger::Low);
                s.manifest = manifest;
                specs.push(s);
            }
        }
        // A plain process mitigation.
        specs.push(spec(
            "curl -X POST http://flags/off",
            ActionKind::Mitigation,
            Danger::Low,
        ));
        // A mutating kubectl form the console does not implement still counts as mutating.
        specs.push(spec(
            "kubectl apply -f x.yaml",
            ActionKind::Check,
            Danger::Low,
        ));
        specs
    }

    #[test]
    fn every_mutating_action_is_refused_in_read_only_mode() {
        let labels = labels();
        for s in every_mutating_action() {
            let ro = GateConfig {
                read_only: true,
                ..cfg()
            };
            assert!(
                matches!(run(&ro, &s, &labels, "prod-eu"), Err(Refusal::ReadOnly(_))),
                "{}",
                s.code
            );
            let ro_ctx = GateConfig {
                read_only_contexts: vec!["prod-eu".into()],
                ..cfg()
            };
            assert!(
                matches!(
                    run(&ro_ctx, &s, &labels, "prod-eu"),
                    Err(Refusal::ReadOnly(_))
                ),
                "{}",
                s.code
            );
        }
    }

    #[test]
    fn read_only_checks_still_run_in_read_only_mode() {
        let ro = GateConfig {
            read_only: true,
            ..cfg()
        };
        let s = spec(
            "kubectl -n {{namespace}} logs {{pod}}",
            ActionKind::Check,
            Danger::Low,
        );
        let g = run(&ro, &s, &labels(), "prod-eu").unwrap();
        assert_eq!(
            g.plan.target,
            Target::Process {
                argv: [
                    "kubectl",
                    "--context=prod-eu",
                    "-n",
                    "shop",
                    "logs",
                    "cart-1"
                ]
                .map(String::from)
                .to_vec()
            }
        );
        assert!(!g.plan.mutating());
        // `get pods`, `rollout status` and `get events` are answered through the API.
        let s = spec(
            "kubectl -n {{namespace}} get pods -l app=cart",
            ActionKind::Check,
            Danger::Low,
        );
        let g = run(&ro, &s, &labels(), "prod-eu").unwrap();
        assert_eq!(
            g.plan.target,
            Target::KubeRead(crate::exec::read::KubeRead::Pods {
                namespace: "shop".into(),
                selector: Some("app=cart".into())
            })
        );
        assert!(!g.plan.mutating());
    }

    #[test]
    fn shell_blocks_run_as_sh_c_with_quoted_validated_values() {
        let mut s = spec(
            "kubectl -n {{namespace}} get pods | grep {{pod}}",
            ActionKind::Check,
            Danger::Low,
        );
        s.shell = true;
        assert!(!is_mutating(&s));
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert_eq!(
            g.plan.target,
            Target::Process {
                argv: [
                    "/bin/sh",
                    "-c",
                    "kubectl -n 'shop' get pods | grep 'cart-1'"
                ]
                .map(String::from)
                .to_vec()
            }
        );
        let mut l = labels();
        l.insert("pod".into(), "x; reboot".into());
        assert!(matches!(
            run(&cfg(), &s, &l, "prod-eu"),
            Err(Refusal::Template(_))
        ));
        // A mutating kubectl anywhere in a shell "check" makes it a mutation.
        for hidden in [
            "kubectl get pods; kubectl -n shop delete pod x",
            "kubectl get pods&&kubectl cordon node-1",
            "echo $(kubectl -n shop scale deployment/cart --replicas=0)",
            "kubectl get pods | kubectl apply -f -",
        ] {
            s.code = hidden.into();
            assert!(is_mutating(&s), "{hidden}");
        }
    }

    #[test]
    fn shell_blocks_refuse_injections_before_any_prompt_and_say_they_use_a_shell() {
        let mut s = spec(
            "kubectl -n {{namespace}} get pods | grep {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        s.shell = true;
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert!(
            g.prompt_lines()
                .iter()
                .any(|l| l.contains("runs through /bin/sh")),
            "{:?}",
            g.prompt_lines()
        );
        for bad in crate::exec::template::tests::INJECTIONS {
            let mut l = labels();
            l.insert("pod".into(), bad.to_string());
            assert!(
                matches!(run(&cfg(), &s, &l, "prod-eu"), Err(Refusal::Template(_))),
                "{bad:?}"
            );
        }
        // The same template without shell=true is refused, pointing at the attribute.
        s.shell = false;
        let err = run(&cfg(), &s, &labels(), "prod-eu").unwrap_err();
        assert!(err.to_string().contains("shell=true"), "{err}");
    }

    #[test]
    fn the_wrong_cluster_is_refused() {
        let s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        let err = run(&cfg(), &s, &labels(), "prod-us").unwrap_err();
        assert!(matches!(err, Refusal::WrongCluster(_)), "{err}");
        let mut l = labels();
        l.insert("region".into(), "ap-south-1".into());
        assert!(matches!(
            run(&cfg(), &s, &l, "prod-eu"),
            Err(Refusal::WrongCluster(_))
        ));
        // `cluster` wins over `region`.
        l.insert("cluster".into(), "eu-west-1".into());
        assert!(run(&cfg(), &s, &l, "prod-eu").is_ok());
    }

    #[test]
    fn injections_from_labels_are_refused_before_any_prompt() {
        let s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        for bad in crate::exec::template::tests::INJECTIONS {
            let mut l = labels();
            l.insert("pod".into(), bad.to_string());
            assert!(
                matches!(run(&cfg(), &s, &l, "prod-eu"), Err(Refusal::Template(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn high_danger_and_protected_contexts_need_the_name_typed() {
        let s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert_eq!(g.typed.as_deref(), Some("cart-1"));
        assert!(g.confirm("y").is_none());
        assert!(g.confirm("").is_none());
        assert!(g.confirm("cart-2").is_none());
        let c = g.confirm("cart-1").unwrap();
        assert!(c.binds(&g));

        let unprotected = GateConfig {
            protected_contexts: Vec::new(),
            ..cfg()
        };
        let g = run(&unprotected, &s, &labels(), "prod-eu").unwrap();
        assert_eq!(g.typed, None);
        assert!(g.confirm("").is_none(), "a stray Enter is No");
        assert!(g.confirm("n").is_none());
        assert!(g.confirm("y").is_some());
        let high = spec(&s.code, ActionKind::Mitigation, Danger::High);
        let g = run(&unprotected, &high, &labels(), "prod-eu").unwrap();
        assert_eq!(g.typed.as_deref(), Some("cart-1"));
    }

    #[test]
    fn a_confirmation_does_not_carry_over_to_a_changed_plan() {
        let s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        let c = g.confirm("cart-1").unwrap();
        let mut l = labels();
        l.insert("pod".into(), "cart-2".into());
        let changed = run(&cfg(), &s, &l, "prod-eu").unwrap();
        assert!(!c.binds(&changed));
    }

    #[test]
    fn failing_pre_checks_refuse_and_passing_ones_are_shown() {
        let mut s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        s.prechecks = vec![PreCheck::PdbHeadroom {
            name: "cart".into(),
        }];
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert!(g.prompt_lines().iter().any(|l| l.contains("pdb/cart")));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let l = labels();
        let r = rt.block_on(gate(
            &cfg(),
            Request {
                spec: &s,
                alert: None,
                labels: &l,
                context: "prod-eu",
            },
            &NoPreChecks,
        ));
        assert!(matches!(r, Err(Refusal::PreCheck(_))));
    }

    fn experiment(pods_in_use: u32) -> ActionSpec {
        use crate::gameday::{Boundary, ChaosRequest};
        let mut s = spec(
            "create PodChaos/kill-cart",
            ActionKind::Mitigation,
            Danger::High,
        );
        s.experiment = Some(ChaosRequest {
            boundary: Boundary {
                context: "staging".into(),
                namespace: "shop".into(),
                max_pods: 1,
                max_duration: std::time::Duration::from_secs(60),
            },
            manifest: serde_json::json!({"apiVersion": "chaos-mesh.org/v1alpha1",
                "kind": "PodChaos", "metadata": {"name": "kill-cart"},
                "spec": {"action": "pod-kill", "mode": "one", "duration": "30s",
                    "selector": {"namespaces": ["shop"]}}}),
            pods_in_use,
        });
        s
    }

    #[test]
    fn chaos_experiments_pass_the_boundary_in_the_gate() {
        let none = BTreeMap::new();
        let g = run(&GateConfig::default(), &experiment(0), &none, "staging").unwrap();
        assert_eq!(g.typed.as_deref(), Some("kill-cart"));
        match &g.plan.target {
            Target::Kube(KubeAction::CreateCustom {
                namespace,
                manifest,
                ..
            }) => {
                assert_eq!(namespace, "shop");
                assert_eq!(manifest["metadata"]["namespace"], "shop");
                assert_eq!(
                    manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"],
                    "warroom"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            g.checks[0].line().contains("1 pod of at most 1"),
            "{:?}",
            g.checks
        );
        assert!(g.intent_text().contains("boundary staging / shop"));
        // Read-only comes first, then the boundary.
        let ro = GateConfig {
            read_only: true,
            protected_contexts: vec!["staging".into()],
            ..GateConfig::default()
        };
        assert!(matches!(
            run(&ro, &experiment(0), &none, "staging"),
            Err(Refusal::ReadOnly(_))
        ));
        let protected = GateConfig {
            protected_contexts: vec!["staging".into()],
            ..GateConfig::default()
        };
        let e = run(&protected, &experiment(0), &none, "staging").unwrap_err();
        assert!(matches!(e, Refusal::Boundary(_)), "{e}");
        assert!(e.to_string().contains("protected"), "{e}");
        let e = run(&GateConfig::default(), &experiment(0), &none, "prod").unwrap_err();
        assert!(e.to_string().contains("the console acts in prod"), "{e}");
        let e = run(&GateConfig::default(), &experiment(1), &none, "staging").unwrap_err();
        assert!(
            e.to_string().contains("1 pod(s) are already under chaos"),
            "{e}"
        );
    }

    #[test]
    fn kube_actions_preview_server_side_and_commands_use_their_dry_run() {
        let s = spec(
            "kubectl -n {{namespace}} scale deployment/cart --replicas=3",
            ActionKind::Mitigation,
            Danger::Low,
        );
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert_eq!(g.plan.dry_run, DryRun::ServerSide);
        let mut p = spec(
            "flagctl off {{namespace}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        p.dry_run = Some("flagctl off --dry-run {{namespace}}".into());
        let g = run(&cfg(), &p, &labels(), "prod-eu").unwrap();
        assert_eq!(
            g.plan.dry_run,
            DryRun::Process {
                argv: ["flagctl", "off", "--dry-run", "shop"]
                    .map(String::from)
                    .to_vec()
            }
        );
    }
}
