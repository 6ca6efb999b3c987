//! The one gate every action passes, whatever key or view asked for it, in a fixed order:
//! read-only mode → protected contexts → wrong-cluster guard → template validation (for a
//! game-day's chaos experiment: the safety boundary) → automatic pre-checks → (ready for
//! the prompt). What follows the prompt (the journal's
//! intent record, execution, the outcome record) is bound to the [`GatedPlan`]'s
//! fingerprint through [`Confirmation`], which only [`GatedPlan::confirm`] can make.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;

use super::plan::{DryRun, Kubectl, Plan, Target, describe_check, parse_kubectl};
use super::template::{self, TemplateError};
use super::tools;
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
    /// `read_only_tools`: programs checks may run as read-only besides the built-in ones.
    pub read_only_tools: Vec<String>,
    /// `kubeconfig`: every `kubectl` process the console runs reads this file.
    pub kubeconfig: Option<PathBuf>,
}

impl GateConfig {
    /// What resolving a block into a plan depends on besides the block and the labels.
    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            read_only_tools: self.read_only_tools.clone(),
            kubeconfig: self.kubeconfig.clone(),
        }
    }
}

/// The config a plan was resolved with, kept with it so the same block and labels can be
/// resolved again just before it runs and compared ([`resolve`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    pub read_only_tools: Vec<String>,
    pub kubeconfig: Option<PathBuf>,
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
    /// How the plan was resolved: what [`resolve`] needs to make it again.
    pub options: PlanOptions,
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
    /// Anything else (including an empty Enter) is No, and so is every answer when the
    /// name to type is empty: nothing typed can then mean "yes".
    pub fn confirm(&self, answer: &str) -> Option<Confirmation> {
        let ok = match &self.typed {
            Some(name) => !name.is_empty() && answer == name,
            None => answer == "y" || answer == "Y",
        };
        ok.then(|| Confirmation {
            fingerprint: self.fingerprint.clone(),
        })
    }

    /// The confirmation of an emergency stop, which asks no one: only for a plan the gate
    /// passed as one ([`ActionSpec::emergency`]), and only to delete a chaos experiment.
    pub fn confirm_emergency(&self) -> Option<Confirmation> {
        emergency_stop(&self.plan).then(|| Confirmation {
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

/// An emergency stop the console may run without the prompt: it only takes something
/// away (a chaos experiment's deletion), and waits on no check.
fn emergency_stop(plan: &Plan) -> bool {
    plan.emergency.is_some()
        && plan.prechecks.is_empty()
        && matches!(
            plan.target,
            Target::Kube(super::plan::KubeAction::DeleteCustom { .. })
        )
}

/// True when the block changes something, judged from the template alone (no values yet),
/// so read-only mode refuses before anything else is looked at. Only a check whose command
/// is on the read-only allow-list ([`tools::is_read_only`]; `read_only_tools` extends it)
/// reads; a `shell=true` block never does, whatever its script says. Unclear means
/// mutating.
pub fn is_mutating(spec: &ActionSpec, read_only_tools: &[String]) -> bool {
    if spec.kind == ActionKind::Mitigation
        || spec.manifest.is_some()
        || spec.experiment.is_some()
        || spec.shell
    {
        return true;
    }
    shlex::split(&spec.code).is_none_or(|w| !tools::is_read_only(&w, read_only_tools))
}

/// The gate's stages, in the order it takes them ([`gate_traced`] reports each as it
/// starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    ReadOnly,
    ProtectedContexts,
    WrongCluster,
    /// Template validation (for a chaos experiment: the safety boundary) and the plan.
    Template,
    /// One automatic pre-check, as described.
    PreCheck(String),
}

/// The single gate. Returns the plan ready for the prompt, or why not.
pub async fn gate<C: PreChecks>(
    cfg: &GateConfig,
    req: Request<'_>,
    checks: &C,
) -> Result<GatedPlan, Refusal> {
    gate_traced(cfg, req, checks, &mut |_| {}).await
}

/// [`gate`], telling `stage` each stage as it starts, so the order can be checked.
pub async fn gate_traced<C: PreChecks>(
    cfg: &GateConfig,
    req: Request<'_>,
    checks: &C,
    stage: &mut (impl FnMut(Stage) + Send),
) -> Result<GatedPlan, Refusal> {
    let mutating = is_mutating(req.spec, &cfg.read_only_tools);
    let ctx = req.context;
    // 1. Read-only mode: the flag or config, or this context.
    stage(Stage::ReadOnly);
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
    stage(Stage::ProtectedContexts);
    let protected = cfg.protected_contexts.iter().any(|c| c == ctx);
    // 3. Wrong-cluster guard.
    stage(Stage::WrongCluster);
    if mutating {
        wrong_cluster(cfg, req.labels, ctx)?;
    }
    // 4. Template validation (a chaos experiment: the boundary), and the plan.
    stage(Stage::Template);
    if let Some(x) = &req.spec.experiment {
        crate::gameday::boundary::check_context(&x.boundary, ctx, &cfg.protected_contexts)
            .map_err(Refusal::Boundary)?;
    }
    let (plan, fits) = resolve_with_fit(&cfg.plan_options(), req)?;
    if req.spec.emergency.is_some() && !emergency_stop(&plan) {
        return Err(Refusal::Unsupported(
            "an emergency stop may only delete a chaos experiment, with no pre-checks".into(),
        ));
    }
    let mut results: Vec<CheckResult> = fits.into_iter().collect();
    // 5. Automatic pre-checks, in the order written; the first failure refuses.
    for c in &plan.prechecks {
        stage(Stage::PreCheck(describe_check(c)));
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
        options: cfg.plan_options(),
    })
}

/// Step 4 alone, with no I/O: the plan a block and labels make. The gate makes the plan
/// with it, and the console makes it again from the current runbook and alert just before
/// a confirmed plan runs: if the two differ, it does not run.
pub fn resolve(opts: &PlanOptions, req: Request<'_>) -> Result<Plan, Refusal> {
    resolve_with_fit(opts, req).map(|(plan, _)| plan)
}

fn resolve_with_fit(
    opts: &PlanOptions,
    req: Request<'_>,
) -> Result<(Plan, Option<CheckResult>), Refusal> {
    match &req.spec.experiment {
        Some(x) => experiment_plan(req, x).map(|(p, fit)| (p, Some(fit))),
        None => build_plan(opts, req).map(|p| (p, None)),
    }
}

/// A game-day experiment: the context, the manifest and the pods already under chaos are
/// checked against the boundary before anything is shown, let alone sent; the plan creates
/// the manifest, with the boundary's namespace and a label saying the console made it.
fn experiment_plan(
    req: Request<'_>,
    x: &crate::gameday::ChaosRequest,
) -> Result<(Plan, CheckResult), Refusal> {
    use crate::gameday::boundary;
    let b = &x.boundary;
    if req.context != b.context {
        return Err(Refusal::Boundary(format!(
            "the boundary names context {}, but the console acts in {}",
            sanitize::escape(&b.context),
            sanitize::escape(req.context)
        )));
    }
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
        changes: true,
        emergency: None,
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
pub fn build_plan(opts: &PlanOptions, req: Request<'_>) -> Result<Plan, Refusal> {
    let spec = req.spec;
    let render = |code: &str| -> Result<Vec<String>, Refusal> {
        if spec.shell {
            shell_kubectl(code)?;
            let script = template::render_shell(code, &spec.declared_labels, req.labels)?;
            let pinned = format!("{}{script}", kubectl_pin(opts, req.context));
            Ok(vec![super::plan::SHELL.into(), "-c".into(), pinned])
        } else {
            let argv = template::render_argv(code, &spec.declared_labels, req.labels)?;
            hidden_kubectl(&argv)?;
            Ok(argv)
        }
    };
    if let Some(verb) = spec.manifest {
        let action = super::manifest::action(verb, &spec.code, &spec.declared_labels, req.labels)
            .map_err(|e| match e {
            super::manifest::ManifestError::Template(t) => Refusal::Template(t),
            other => Refusal::Unsupported(other.to_string()),
        })?;
        let namespace = action.namespace().map(String::from);
        let prechecks = render_prechecks(opts, req, namespace.as_deref())?;
        return Ok(finish_plan(
            opts,
            req,
            Target::Kube(action.clone()),
            DryRun::ServerSide,
            namespace,
            prechecks,
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
        Kubectl::ReadOnly => (
            Target::Process {
                argv: pin_kubectl(opts, &argv, req.context),
            },
            DryRun::None,
            req.labels.get("namespace").cloned(),
        ),
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
    let prechecks = render_prechecks(opts, req, namespace.as_deref())?;
    Ok(finish_plan(
        opts, req, target, dry_run, namespace, prechecks,
    ))
}

/// Why the gate will refuse this block's `kubectl` whatever the labels are (an
/// unsupported form, a cluster flag, kubectl behind another program or changing things
/// from a shell script), judged with a harmless value in every placeholder: what lint
/// reports as `unsupported-kubectl`. `None` when there is nothing to say.
pub fn kubectl_problem(spec: &ActionSpec) -> Option<String> {
    if spec.manifest.is_some() || spec.experiment.is_some() {
        return None;
    }
    if spec.shell {
        return shell_kubectl(&spec.code).err().map(|r| r.to_string());
    }
    let names = template::placeholders(&spec.code).ok()?;
    let labels: BTreeMap<String, String> = names
        .iter()
        .map(|n| (n.clone(), "a1".to_string()))
        .collect();
    let argv = template::render_argv(&spec.code, &names, &labels).ok()?;
    if let Err(r) = hidden_kubectl(&argv) {
        return Some(r.to_string());
    }
    parse_kubectl(&argv).err()
}

/// A read-only `kubectl` process reads the cluster the console checked: the configured
/// kubeconfig and the active context, whatever `$KUBECONFIG` or the file's current
/// context say.
fn pin_kubectl(opts: &PlanOptions, argv: &[String], context: &str) -> Vec<String> {
    let mut pinned = argv.to_vec();
    let mut at = 1.min(pinned.len());
    if let Some(path) = &opts.kubeconfig {
        pinned.insert(at, format!("--kubeconfig={}", path.display()));
        at += 1;
    }
    pinned.insert(at, format!("--context={context}"));
    pinned
}

/// `env kubectl ...`, `sudo kubectl ...`, `xargs kubectl ...`: kubectl run by another
/// program would escape the API path, the dry-run and the cluster-flag ban.
fn hidden_kubectl(argv: &[String]) -> Result<(), Refusal> {
    match argv
        .iter()
        .skip(1)
        .any(|w| tools::program_name(w) == "kubectl")
    {
        true if argv
            .first()
            .is_some_and(|p| tools::program_name(p) != "kubectl") =>
        {
            Err(Refusal::Unsupported(format!(
                "kubectl run through `{}`: write the kubectl command on its own, so the console can check its cluster and make the change through the API",
                sanitize::escape(argv.first().map(String::as_str).unwrap_or_default())
            )))
        }
        _ => Ok(()),
    }
}

/// What a `shell=true` script starts with, so the `kubectl` it runs reads the cluster the
/// console checked: a shell function, found before any `kubectl` on `PATH` (also when the
/// name comes from a variable), adding the active context and the configured kubeconfig.
/// [`shell_kubectl`] refuses the ways around it (a path, `command`, `xargs`, `env`, a
/// nested shell ...).
pub fn kubectl_pin(opts: &PlanOptions, context: &str) -> String {
    let q = |s: &str| {
        shlex::try_quote(s)
            .map(|q| q.into_owned())
            .unwrap_or_else(|_| "''".into())
    };
    let kubeconfig = opts
        .kubeconfig
        .as_ref()
        .map(|p| format!(" --kubeconfig={}", q(&p.display().to_string())))
        .unwrap_or_default();
    format!(
        "kubectl() {{ command kubectl{kubeconfig} --context={} \"$@\"; }}\n",
        q(context)
    )
}

/// Words a shell command may start with before its program: keywords and assignments.
fn shell_prefix(word: &str) -> bool {
    matches!(
        word,
        "{" | "}"
            | "!"
            | "if"
            | "then"
            | "else"
            | "elif"
            | "fi"
            | "do"
            | "done"
            | "while"
            | "until"
    ) || word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// In a `shell=true` block kubectl may only read (each `;`, `|`, `&`, `$(...)` or backtick
/// segment is parsed): a change goes through the API as a block of its own. And it must be
/// a command of its own, named bare, so [`kubectl_pin`] pins it: `kubectl` by a path, after
/// another program (`xargs`, `env`, `command`, `sh -c '...'`) or anywhere else in a word is
/// refused.
fn shell_kubectl(script: &str) -> Result<(), Refusal> {
    let spaced: String = script
        .chars()
        .flat_map(|c| match c {
            ';' | '|' | '&' | '\n' | '`' | '(' | ')' => vec![' ', ';', ' '],
            c => vec![c],
        })
        .collect();
    let Some(words) = shlex::split(&spaced) else {
        return Err(Refusal::Template(TemplateError::Syntax(
            "unbalanced quotes in the script".into(),
        )));
    };
    for segment in words.split(|w| w == ";") {
        let at = segment
            .iter()
            .position(|w| !shell_prefix(w))
            .unwrap_or(segment.len());
        if let Some(w) = segment
            .iter()
            .enumerate()
            .find(|(i, w)| w.contains("kubectl") && (*i != at || w.as_str() != "kubectl"))
            .map(|(_, w)| w)
        {
            return Err(Refusal::Unsupported(format!(
                "in a shell block kubectl must be a command of its own, named bare, so the console can pin it to the checked cluster (found `{}`)",
                sanitize::escape(w)
            )));
        }
        if segment.get(at).map(String::as_str) != Some("kubectl") {
            continue;
        }
        match parse_kubectl(&segment[at..]) {
            Ok(Kubectl::ReadOnly) => {}
            Ok(_) => {
                return Err(Refusal::Unsupported(
                    "a shell block may use kubectl only to read; write the change as a kubectl block of its own".into(),
                ));
            }
            Err(e) => return Err(Refusal::Unsupported(e)),
        }
    }
    Ok(())
}

fn finish_plan(
    opts: &PlanOptions,
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
        changes: is_mutating(spec, &opts.read_only_tools),
        emergency: spec.emergency.clone(),
    }
}

/// Pre-check templates are rendered and validated now, before anything is asked: a
/// command must be read-only (and a kubectl one is pinned like any check), a kube check's
/// name and namespace are real Kubernetes names (its `-n`, else the plan's namespace).
fn render_prechecks(
    opts: &PlanOptions,
    req: Request<'_>,
    plan_namespace: Option<&str>,
) -> Result<Vec<PreCheck>, Refusal> {
    let spec = req.spec;
    let plain = |t: &str| template::render_plain(t, &spec.declared_labels, req.labels);
    let object = |name: &str, ns: &Option<String>| -> Result<(String, String), Refusal> {
        let name = plain(name)?;
        template::validate_value("name", &name)?;
        let ns = match ns {
            Some(t) => plain(t)?,
            None => plan_namespace.map(String::from).ok_or_else(|| {
                Refusal::Unsupported(format!(
                    "the kube pre-check on {} needs -n NAMESPACE: the plan has none",
                    sanitize::escape(&name)
                ))
            })?,
        };
        template::validate_value("namespace", &ns)?;
        Ok((name, ns))
    };
    let mut prechecks = Vec::new();
    for c in &spec.prechecks {
        prechecks.push(match c {
            PreCheck::Promql { query } => PreCheck::Promql {
                query: plain(query)?,
            },
            PreCheck::Command { code, .. } => {
                let argv = template::render_argv(code, &spec.declared_labels, req.labels)?;
                if !tools::is_read_only(&argv, &opts.read_only_tools) {
                    return Err(Refusal::Unsupported(format!(
                        "a pre-check command must be read-only (kubectl get/describe/logs/..., dig, curl without data, or a program in read_only_tools): {}",
                        sanitize::escape(code)
                    )));
                }
                let argv = if tools::program_name(&argv[0]) == "kubectl" {
                    pin_kubectl(opts, &argv, req.context)
                } else {
                    argv
                };
                PreCheck::Command {
                    code: code.clone(),
                    argv,
                }
            }
            PreCheck::Replicas {
                kind,
                name,
                namespace,
                min,
            } => {
                let (name, ns) = object(name, namespace)?;
                PreCheck::Replicas {
                    kind: *kind,
                    name,
                    namespace: Some(ns),
                    min: *min,
                }
            }
            PreCheck::PdbHeadroom { name, namespace } => {
                let (name, ns) = object(name, namespace)?;
                PreCheck::PdbHeadroom {
                    name,
                    namespace: Some(ns),
                }
            }
            other @ PreCheck::Unsupported { .. } => other.clone(),
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
            emergency: None,
        }
    }

    fn labels() -> BTreeMap<String, String> {
        [
            ("namespace", "shop"),
            ("pod", "cart-1"),
            ("node", "node-1"),
            ("region", "eu-west-1"),
            // What a game-day experiment's deletion fills its template with.
            ("kind", "podchaos"),
            ("name", "kill-cart"),
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
        // Blocks marked `check` that are not known to only read: kubectl by a path, behind
        // a wrapper or in a shell script, other programs, curl that sends something.
        for code in [
            "/usr/bin/kubectl -n {{namespace}} delete pod {{pod}}",
            "./bin/kubectl cordon {{node}}",
            "env kubectl -n {{namespace}} delete pod {{pod}}",
            "sudo kubectl cordon {{node}}",
            "doas kubectl cordon {{node}}",
            "timeout 5 kubectl -n {{namespace}} get pods",
            "nice kubectl -n {{namespace}} get pods",
            "nohup kubectl -n {{namespace}} get pods",
            "stdbuf -oL kubectl -n {{namespace}} get pods",
            "setsid kubectl -n {{namespace}} get pods",
            "xargs kubectl -n {{namespace}} delete pod",
            "busybox wget http://flags/off",
            "env sh -c 'kubectl delete pod x'",
            "helm -n {{namespace}} rollback cart 3",
            "curl -X POST http://flags/off",
            "curl -fsSXPOST http://flags/off",
            "curl -d on=0 http://flags/",
            "curl -T payload http://flags/",
            "curl -o /etc/cron.d/x https://example.com/x",
            "./scripts/dns-failover --from a --to b",
        ] {
            specs.push(spec(code, ActionKind::Check, Danger::Low));
        }
        for script in [
            "kubectl -n {{namespace}} get pods | grep {{pod}}",
            "kubectl get pods -o name | xargs kubectl delete",
            "echo hi",
        ] {
            let mut s = spec(script, ActionKind::Check, Danger::Low);
            s.shell = true;
            specs.push(s);
        }
        // The game-day's emergency stops (the abort, the kill switch, the end of the
        // game-day): they skip the prompt, never the gate.
        specs.push(removal("kill switch").0);
        specs
    }

    fn removal(reason: &str) -> (ActionSpec, BTreeMap<String, String>) {
        ActionSpec::removal(
            "gameday/g",
            "kill-cart",
            reason,
            &KubeAction::DeleteCustom {
                kind: chaos_kind("PodChaos").unwrap(),
                namespace: "shop".into(),
                name: "gd-kill-cart".into(),
            },
        )
        .unwrap()
    }

    /// Pre-checks that fail when told to, answering by the check's description.
    struct Answers(bool);
    impl PreChecks for Answers {
        async fn run(
            &self,
            check: &PreCheck,
            _p: &Plan,
            _l: &BTreeMap<String, String>,
        ) -> CheckResult {
            CheckResult {
                check: describe_check(check),
                ok: self.0,
                detail: if self.0 { "fine" } else { "no headroom" }.into(),
            }
        }
    }

    fn traced(
        cfg: &GateConfig,
        spec: &ActionSpec,
        labels: &BTreeMap<String, String>,
        checks: &Answers,
    ) -> (Result<GatedPlan, Refusal>, Vec<Stage>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut stages = Vec::new();
        let r = rt.block_on(gate_traced(
            cfg,
            Request {
                spec,
                alert: Some("fp1"),
                labels,
                context: "prod-eu",
            },
            checks,
            &mut |s| stages.push(s),
        ));
        (r, stages)
    }

    /// A mitigation with two pre-checks: the PDB's headroom, then a PromQL condition.
    fn checked_delete() -> ActionSpec {
        let mut s = spec(
            "kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        s.prechecks = vec![
            PreCheck::PdbHeadroom {
                name: "cart".into(),
                namespace: None,
            },
            PreCheck::Promql {
                query: "up{namespace=\"{{namespace}}\"} == 1".into(),
            },
        ];
        s
    }

    #[test]
    fn a_plan_failing_every_stage_is_refused_by_the_first_in_order() {
        let s = checked_delete();
        // Read-only, the wrong cluster, a hostile label and a failing pre-check at once.
        let mut bad = labels();
        bad.insert("region".into(), "us-east-1".into());
        bad.insert("pod".into(), "cart-1;reboot".into());
        let cfg = GateConfig {
            read_only: true,
            region_contexts: [
                ("eu-west-1".to_string(), "prod-eu".to_string()),
                ("us-east-1".to_string(), "prod-us".to_string()),
            ]
            .into(),
            ..cfg()
        };
        let no = Answers(false);
        let (r, stages) = traced(&cfg, &s, &bad, &no);
        assert!(matches!(r, Err(Refusal::ReadOnly(_))), "{r:?}");
        assert_eq!(stages, vec![Stage::ReadOnly]);
        // Each failure fixed in turn brings up the next stage's refusal, never a later one.
        let cfg = GateConfig {
            read_only: false,
            ..cfg
        };
        let (r, stages) = traced(&cfg, &s, &bad, &no);
        assert!(matches!(r, Err(Refusal::WrongCluster(_))), "{r:?}");
        assert_eq!(
            stages,
            vec![
                Stage::ReadOnly,
                Stage::ProtectedContexts,
                Stage::WrongCluster
            ]
        );
        bad.insert("region".into(), "eu-west-1".into());
        let (r, stages) = traced(&cfg, &s, &bad, &no);
        assert!(matches!(r, Err(Refusal::Template(_))), "{r:?}");
        assert_eq!(stages.last(), Some(&Stage::Template));
        let (r, stages) = traced(&cfg, &s, &labels(), &no);
        assert!(
            matches!(&r, Err(Refusal::PreCheck(why)) if why.contains("pdb/cart in shop")),
            "{r:?}"
        );
        // The first pre-check failed: the second was never asked.
        assert_eq!(
            stages.last(),
            Some(&Stage::PreCheck(
                "pdb/cart in shop allows a disruption".into()
            ))
        );
        assert_eq!(stages.len(), 5);
    }

    #[test]
    fn a_passing_plan_goes_through_every_stage_in_order() {
        let (r, stages) = traced(&cfg(), &checked_delete(), &labels(), &Answers(true));
        let g = r.unwrap();
        assert_eq!(
            stages,
            vec![
                Stage::ReadOnly,
                Stage::ProtectedContexts,
                Stage::WrongCluster,
                Stage::Template,
                Stage::PreCheck("pdb/cart in shop allows a disruption".into()),
                Stage::PreCheck("promql up{namespace=\"shop\"} == 1".into()),
            ]
        );
        // The protected context's stage shows in the prompt it leads to.
        assert_eq!(g.typed.as_deref(), Some("cart-1"));
        assert_eq!(g.checks.len(), 2);
    }

    #[test]
    fn emergency_stops_pass_the_whole_gate_and_only_a_deletion_skips_the_prompt() {
        let (s, l) = removal("abort");
        let g = run(&unprotected(), &s, &l, "prod-eu").unwrap();
        assert_eq!(
            g.plan.target,
            Target::Kube(KubeAction::DeleteCustom {
                kind: chaos_kind("PodChaos").unwrap(),
                namespace: "shop".into(),
                name: "gd-kill-cart".into(),
            })
        );
        let c = g.confirm_emergency().expect("a stop confirms itself");
        assert!(c.binds(&g));
        assert!(
            g.intent_text()
                .contains("stop:      emergency stop (abort): no prompt"),
            "{}",
            g.intent_text()
        );
        // Read-only comes first, as for every action.
        let ro = GateConfig {
            read_only: true,
            ..unprotected()
        };
        assert!(matches!(
            run(&ro, &s, &l, "prod-eu"),
            Err(Refusal::ReadOnly(_))
        ));
        // The journal's values are validated like any label's.
        let mut bad = l.clone();
        bad.insert("name".into(), "x;reboot".into());
        assert!(matches!(
            run(&unprotected(), &s, &bad, "prod-eu"),
            Err(Refusal::Template(_))
        ));
        // Nothing else may be an emergency stop: not another action, not one with checks.
        let mut scale = spec(
            "kubectl -n {{namespace}} scale deployment/cart --replicas=0",
            ActionKind::Mitigation,
            Danger::Low,
        );
        scale.emergency = Some("abort".into());
        assert!(matches!(
            run(&unprotected(), &scale, &l, "prod-eu"),
            Err(Refusal::Unsupported(_))
        ));
        let mut checked = s.clone();
        checked.prechecks = vec![PreCheck::Promql { query: "up".into() }];
        assert!(matches!(
            run(&unprotected(), &checked, &l, "prod-eu"),
            Err(Refusal::Unsupported(_))
        ));
        // A plan that is no stop never confirms itself, whatever it deletes.
        let mut plain = s.clone();
        plain.emergency = None;
        let g = run(&unprotected(), &plain, &l, "prod-eu").unwrap();
        assert!(g.confirm_emergency().is_none());
        assert!(
            ActionSpec::removal(
                "gameday/g",
                "x",
                "abort",
                &KubeAction::Cordon { node: "n".into() }
            )
            .is_none()
        );
    }

    /// Each sample stands for the action it is listed for: the exhaustive list above
    /// would test nothing if a sample stopped parsing to its action.
    #[test]
    fn every_sample_parses_to_the_action_it_stands_for() {
        let labels = labels();
        for s in every_mutating_action()
            .iter()
            .filter(|s| s.kind == ActionKind::Mitigation && !s.shell)
            .take(7)
        {
            let g = run(&unprotected(), s, &labels, "prod-eu").unwrap();
            let Target::Kube(a) = &g.plan.target else {
                panic!("{}: {:?}", s.code, g.plan.target)
            };
            let want = match s.code.as_str() {
                c if c.contains(" scale ") => "scale deployment/cart",
                c if c.contains("rollout restart") => "rollout restart statefulset/db",
                c if c.contains("uncordon") => "uncordon node/node-1",
                c if c.contains("cordon") => "cordon node/node-1",
                c if c.contains("delete podchaos") => "delete PodChaos/kill-cart",
                c if c.contains("delete pod") => "delete pod/cart-1",
                c if c.contains("kind: PodChaos") => "create PodChaos/kill-cart",
                c => panic!("no expectation for {c}"),
            };
            assert!(
                a.describe().starts_with(want),
                "{} → {}",
                s.code,
                a.describe()
            );
        }
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
        // A shell block is never read-only: it gets the prompt and the journal records.
        assert!(is_mutating(&s, &[]));
        let g = run(&cfg(), &s, &labels(), "prod-eu").unwrap();
        assert!(g.plan.mutating());
        assert_eq!(g.typed.as_deref(), Some("act"), "a protected context");
        assert_eq!(
            g.plan.target,
            Target::Process {
                argv: [
                    "/bin/sh",
                    "-c",
                    "kubectl() { command kubectl --context=prod-eu \"$@\"; }\nkubectl -n 'shop' get pods | grep 'cart-1'"
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
        // A mutating kubectl anywhere in a shell block is refused: it would bypass the API.
        for hidden in [
            "kubectl get pods; kubectl -n shop delete pod x",
            "kubectl get pods&&kubectl cordon node-1",
            "echo $(kubectl -n shop scale deployment/cart --replicas=0)",
            "kubectl get pods | kubectl apply -f -",
            "kubectl get pods -o name | xargs kubectl -n shop delete",
            "/usr/bin/kubectl --context=other get pods",
            // Read-only, but out of the pin's reach: another program runs kubectl, or it
            // is named by a path, or hidden in a word.
            "kubectl get pods -o name | xargs kubectl -n shop describe",
            "/usr/bin/kubectl -n shop get pods",
            "command kubectl -n shop get pods",
            "env kubectl -n shop get pods",
            "sh -c 'kubectl -n shop delete pod x'",
            "unset -f kubectl; kubectl -n shop get pods",
            "kubectl() { :; }; kubectl get pods",
            "kubectl-evict cart-1",
        ] {
            s.code = hidden.into();
            s.kind = ActionKind::Mitigation;
            assert!(
                matches!(
                    run(&unprotected(), &s, &labels(), "prod-eu"),
                    Err(Refusal::Unsupported(_))
                ),
                "{hidden}"
            );
        }
    }

    #[test]
    fn kubectl_in_a_shell_block_reads_the_checked_cluster_whatever_it_is_called() {
        let dir = tempfile::tempdir().unwrap();
        // A stand-in kubectl on PATH that says how it was called.
        let fake = dir.path().join("kubectl");
        std::fs::write(&fake, "#!/bin/sh\necho \"kubectl $*\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cfg = GateConfig {
            kubeconfig: Some("/etc/warroom/kube config".into()),
            ..unprotected()
        };
        for (script, want) in [
            ("kubectl -n {{namespace}} get pods | grep -c .", "1"),
            (
                "kubectl -n {{namespace}} get pods",
                "kubectl --kubeconfig=/etc/warroom/kube config --context=prod-eu -n shop get pods",
            ),
            (
                "{ FOO=1 kubectl -n {{namespace}} logs x; }",
                "kubectl --kubeconfig=/etc/warroom/kube config --context=prod-eu -n shop logs x",
            ),
            // A name from a variable still finds the function first.
            (
                "k=kube; ${k}ctl -n {{namespace}} get pods",
                "kubectl --kubeconfig=/etc/warroom/kube config --context=prod-eu -n shop get pods",
            ),
        ] {
            let mut s = spec(script, ActionKind::Check, Danger::Low);
            s.shell = true;
            let g = run(&cfg, &s, &labels(), "prod-eu").unwrap();
            let Target::Process { argv } = &g.plan.target else {
                panic!("{:?}", g.plan.target)
            };
            let out = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
                .env("KUBECONFIG", "/somewhere/else")
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                want,
                "{script}"
            );
            assert!(
                g.prompt_lines()
                    .iter()
                    .any(|l| l.contains("kubectl in it is pinned to context prod-eu")),
                "{:?}",
                g.prompt_lines()
            );
        }
    }

    fn unprotected() -> GateConfig {
        GateConfig {
            protected_contexts: Vec::new(),
            ..cfg()
        }
    }

    #[test]
    fn kubectl_behind_another_program_or_by_path_gets_no_way_around_the_api() {
        for (code, refused) in [
            ("env kubectl -n shop delete pod cart-1", true),
            ("sudo kubectl cordon node-1", true),
            ("timeout 5 kubectl -n shop get pods", true),
            (
                "/usr/bin/kubectl --context=other -n shop delete pod x",
                true,
            ),
            ("/usr/bin/kubectl -s https://other -n shop get pods", true),
            ("kubectl -shttps://other -n shop get pods", true),
            (
                "/usr/bin/kubectl -n {{namespace}} delete pod {{pod}}",
                false,
            ),
        ] {
            let s = spec(code, ActionKind::Mitigation, Danger::Low);
            let r = run(&unprotected(), &s, &labels(), "prod-eu");
            assert_eq!(
                matches!(r, Err(Refusal::Unsupported(_))),
                refused,
                "{code}: {r:?}"
            );
        }
        // kubectl named by a path is parsed as kubectl: the change goes through the API.
        let s = spec(
            "/usr/bin/kubectl -n {{namespace}} delete pod {{pod}}",
            ActionKind::Mitigation,
            Danger::Low,
        );
        let g = run(&unprotected(), &s, &labels(), "prod-eu").unwrap();
        assert!(matches!(
            g.plan.target,
            Target::Kube(KubeAction::DeletePod { .. })
        ));
        assert_eq!(g.plan.dry_run, DryRun::ServerSide);
    }

    #[test]
    fn checks_that_may_change_something_get_the_prompt_and_the_full_gate() {
        for code in [
            "helm -n {{namespace}} status cart",
            "curl -X POST http://flags/off",
            "psql -c 'select 1'",
        ] {
            let s = spec(code, ActionKind::Check, Danger::Low);
            let g = run(&unprotected(), &s, &labels(), "prod-eu").unwrap();
            assert!(g.plan.mutating(), "{code}");
            assert!(
                g.prompt_lines()[0].contains("check, treated as a change"),
                "{:?}",
                g.prompt_lines()
            );
            // The wrong-cluster guard applies to it like to any change.
            assert!(matches!(
                run(&unprotected(), &s, &labels(), "prod-us"),
                Err(Refusal::WrongCluster(_))
            ));
        }
        // The config's read_only_tools make a tool a plain check.
        let tools = GateConfig {
            read_only_tools: vec!["helm".into()],
            ..unprotected()
        };
        let s = spec(
            "helm -n {{namespace}} status cart",
            ActionKind::Check,
            Danger::Low,
        );
        let g = run(&tools, &s, &labels(), "prod-eu").unwrap();
        assert!(!g.plan.mutating());
    }

    #[test]
    fn kubectl_processes_and_pre_check_commands_read_the_checked_cluster() {
        let cfg = GateConfig {
            kubeconfig: Some("/etc/warroom/kubeconfig".into()),
            ..cfg()
        };
        let mut s = spec(
            "kubectl -n {{namespace}} describe pod {{pod}}",
            ActionKind::Check,
            Danger::Low,
        );
        s.prechecks = vec![PreCheck::Command {
            code: "kubectl -n {{namespace}} get pdb cart".into(),
            argv: Vec::new(),
        }];
        let g = run(&cfg, &s, &labels(), "prod-eu").unwrap();
        let pinned = |rest: &[&str]| -> Vec<String> {
            [
                "kubectl",
                "--kubeconfig=/etc/warroom/kubeconfig",
                "--context=prod-eu",
            ]
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
        };
        assert_eq!(
            g.plan.target,
            Target::Process {
                argv: pinned(&["-n", "shop", "describe", "pod", "cart-1"])
            }
        );
        assert_eq!(
            g.plan.prechecks,
            vec![PreCheck::Command {
                code: "kubectl -n {{namespace}} get pdb cart".into(),
                argv: pinned(&["-n", "shop", "get", "pdb", "cart"]),
            }]
        );
        // Without a configured kubeconfig only the context is added.
        let g = run(&cfg_no_kubeconfig(), &s, &labels(), "prod-eu").unwrap();
        assert!(
            matches!(&g.plan.target, Target::Process { argv } if argv[1] == "--context=prod-eu")
        );
    }

    fn cfg_no_kubeconfig() -> GateConfig {
        cfg()
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
            namespace: None,
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
