//! A game-day file (`runbooks/gamedays/NAME.yaml`) read strictly: unknown keys are errors,
//! every finding has a `file:line:col`, and a file with any error never becomes a
//! [`GameDay`], so the console cannot start an experiment lint would refuse.
//! The format is in docs/gameday-format.md.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::abort::{AbortCondition, Comparison};
use super::boundary::{self, Boundary, Fit};
use super::locate::{Seg, locate};
use crate::runbook::{Diagnostic, Pos};
use crate::sanitize;
use crate::sources::timing::Span;

/// Game-day files larger than this are refused unread.
pub const MAX_BYTES: usize = 256 * 1024;

/// The abort condition is polled at least this often and at most this rarely: it must fail
/// the experiment fast, and must not hammer Prometheus.
pub const MIN_POLL: Duration = Duration::from_millis(500);
pub const MAX_POLL: Duration = Duration::from_secs(60);
/// Practice is about ten minutes against the SLO dashboards; under five draws a warning
/// (shorter than ten is a judgement call, under five misses slow effects).
pub const SHORT_OBSERVATION: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GameDayFile {
    name: Option<String>,
    hypothesis: Option<String>,
    boundary: Option<BoundaryFile>,
    abort: Option<AbortFile>,
    observation_window: Option<Span>,
    #[serde(default)]
    experiments: Vec<ExperimentFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundaryFile {
    context: Option<String>,
    namespace: Option<String>,
    max_pods: Option<u32>,
    max_duration: Option<Span>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AbortFile {
    query: Option<String>,
    comparison: Option<Comparison>,
    threshold: Option<f64>,
    poll_interval: Option<Span>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    name: Option<String>,
    description: Option<String>,
    manifest: Option<Value>,
}

/// One experiment, checked against the boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    pub description: Option<String>,
    /// The manifest as it will be created: `metadata.namespace` set to the boundary's.
    pub manifest: Value,
    pub fit: Fit,
}

/// A game-day that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct GameDay {
    /// The file, as given (for messages).
    pub path: String,
    pub name: String,
    pub hypothesis: String,
    pub boundary: Boundary,
    pub abort: AbortCondition,
    pub observation_window: Duration,
    pub experiments: Vec<Experiment>,
    /// SHA-256 of the file (16 hex digits): a resumed game-day whose file changed says so.
    pub digest: String,
}

/// What reading a file found: the game-day when nothing is wrong, and every finding.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub gameday: Option<GameDay>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Words that make a hypothesis impossible to prove wrong.
const HEDGES: &[&str] = &[
    "might",
    "may",
    "could",
    "maybe",
    "perhaps",
    "possibly",
    "hopefully",
    "probably",
];

struct Finder<'a> {
    text: &'a str,
    file: &'a str,
    out: Vec<Diagnostic>,
}

impl Finder<'_> {
    fn pos(&self, path: &[Seg]) -> Pos {
        locate(self.text, path).unwrap_or(Pos { line: 1, col: 1 })
    }

    fn error(&mut self, code: &'static str, path: &[Seg], msg: String, hint: Option<String>) {
        let mut d = Diagnostic::error(code, self.pos(path), msg).in_file(self.file);
        d.hint = hint;
        self.out.push(d);
    }

    fn warning(&mut self, code: &'static str, path: &[Seg], msg: String, hint: Option<String>) {
        let mut d = Diagnostic::warning(code, self.pos(path), msg).in_file(self.file);
        d.hint = hint;
        self.out.push(d);
    }
}

fn key(k: &str) -> Seg {
    Seg::key(k)
}

fn text_of(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Parentheses, brackets and braces balance (outside quotes): a cheap guard against a
/// query that was cut when pasted. Prometheus has the final word.
fn balanced(query: &str) -> bool {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in query.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(want) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty() && quote.is_none()
}

/// Reads a game-day from its text; `file` names it in findings. `stem` is the file name
/// without `.yaml`, which `warroom gameday NAME` looks for first.
pub fn analyse(file: &str, stem: Option<&str>, text: &str) -> Analysis {
    let mut f = Finder {
        text,
        file,
        out: Vec::new(),
    };
    if text.len() > MAX_BYTES {
        f.error(
            "too-large",
            &[],
            format!("file is larger than {MAX_BYTES} bytes"),
            None,
        );
        return Analysis {
            gameday: None,
            diagnostics: f.out,
        };
    }
    let parsed: GameDayFile = match serde_yaml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let c = crate::config::yaml_error(Path::new(file), &e);
            let pos = Pos {
                line: c.line.unwrap_or(1),
                col: c.column.unwrap_or(1),
            };
            f.out.push(
                Diagnostic::error("invalid-gameday", pos, c.message)
                    .hint("see docs/gameday-format.md")
                    .in_file(file),
            );
            return Analysis {
                gameday: None,
                diagnostics: f.out,
            };
        }
    };
    let name = check_name(&mut f, &parsed, stem);
    let hypothesis = check_hypothesis(&mut f, &parsed);
    let boundary = check_boundary(&mut f, parsed.boundary.as_ref());
    let abort = check_abort(&mut f, parsed.abort.as_ref());
    let observation = match parsed.observation_window {
        None => {
            f.error(
                "missing-observation-window",
                &[],
                "no observation_window: how long to watch the SLO dashboards after injecting"
                    .into(),
                Some("add `observation_window: 10m`".into()),
            );
            None
        }
        Some(Span(d)) if d.is_zero() => {
            f.error(
                "bad-observation-window",
                &[key("observation_window")],
                "observation_window is zero".into(),
                None,
            );
            None
        }
        Some(Span(d)) => {
            if d < SHORT_OBSERVATION {
                f.warning(
                    "short-observation-window",
                    &[key("observation_window")],
                    format!(
                        "observation_window {} is short; about 10 minutes catches slow effects",
                        humantime::format_duration(d)
                    ),
                    None,
                );
            }
            Some(d)
        }
    };
    let experiments = check_experiments(&mut f, &parsed, boundary.as_ref());
    let errors = f.out.iter().any(Diagnostic::is_error);
    f.out.sort_by_key(|d| (d.line, d.column));
    let gameday = match (errors, name, hypothesis, boundary, abort, observation) {
        (false, Some(name), Some(hypothesis), Some(boundary), Some(abort), Some(w)) => {
            Some(GameDay {
                path: file.to_string(),
                name,
                hypothesis,
                boundary,
                abort,
                observation_window: w,
                experiments,
                digest: digest(text),
            })
        }
        _ => None,
    };
    Analysis {
        gameday,
        diagnostics: f.out,
    }
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_name(f: &mut Finder, p: &GameDayFile, stem: Option<&str>) -> Option<String> {
    let Some(name) = text_of(&p.name) else {
        f.error(
            "missing-name",
            &[],
            "no name".into(),
            Some("add `name:`, the same as the file name without .yaml".into()),
        );
        return None;
    };
    if let Err(e) = crate::exec::template::validate_value("namespace", &name) {
        f.error(
            "bad-name",
            &[key("name")],
            format!("name: {e}"),
            Some("lower-case letters, digits and '-', at most 63".into()),
        );
        return None;
    }
    if let Some(stem) = stem.filter(|s| *s != name) {
        f.warning(
            "name-mismatch",
            &[key("name")],
            format!(
                "name {name} differs from the file name {}",
                sanitize::escape(stem)
            ),
            Some("`warroom gameday NAME` finds NAME.yaml first".into()),
        );
    }
    Some(name)
}

fn check_hypothesis(f: &mut Finder, p: &GameDayFile) -> Option<String> {
    let Some(h) = text_of(&p.hypothesis) else {
        f.error(
            "missing-hypothesis",
            &[],
            "no hypothesis: a game-day tests one falsifiable claim".into(),
            Some(
                "add `hypothesis:`, e.g. \"the storefront stays up when one payments pod dies\""
                    .into(),
            ),
        );
        return None;
    };
    let words: Vec<String> = h
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if let Some(w) = words.iter().find(|w| HEDGES.contains(&w.as_str())) {
        f.warning(
            "unfalsifiable-hypothesis",
            &[key("hypothesis")],
            format!("the hypothesis hedges (\"{w}\"): no outcome could prove it wrong"),
            Some("state what stays true, e.g. \"5xx stays under 5 % while ...\"".into()),
        );
    } else if words.len() < 5 {
        f.warning(
            "vague-hypothesis",
            &[key("hypothesis")],
            "the hypothesis is very short: say what stays true and under which failure".into(),
            None,
        );
    }
    Some(sanitize::escape(&h).into_owned())
}

fn check_boundary(f: &mut Finder, b: Option<&BoundaryFile>) -> Option<Boundary> {
    let Some(b) = b else {
        f.error(
            "missing-boundary",
            &[],
            "no safety boundary".into(),
            Some("add `boundary:` with context, namespace, max_pods and max_duration".into()),
        );
        return None;
    };
    let at = [key("boundary")];
    let mut missing = Vec::new();
    let context = text_of(&b.context);
    if context.is_none() {
        missing.push("context");
    }
    let namespace = text_of(&b.namespace);
    if namespace.is_none() {
        missing.push("namespace");
    }
    if b.max_pods.is_none() {
        missing.push("max_pods");
    }
    if b.max_duration.is_none() {
        missing.push("max_duration");
    }
    if !missing.is_empty() {
        f.error(
            "incomplete-boundary",
            &at,
            format!("the boundary has no {}", missing.join(", no ")),
            Some(
                "a boundary names the kube context, one namespace, max_pods and max_duration"
                    .into(),
            ),
        );
    }
    if let Some(ns) = &namespace
        && let Err(e) = crate::exec::template::validate_value("namespace", ns)
    {
        f.error(
            "bad-boundary",
            &[key("boundary"), key("namespace")],
            format!("boundary namespace: {e}"),
            None,
        );
        return None;
    }
    if let Some(c) = &context
        && c.chars().any(sanitize::is_hazard)
    {
        f.error(
            "bad-boundary",
            &[key("boundary"), key("context")],
            "boundary context contains control, bidi or zero-width characters".into(),
            None,
        );
        return None;
    }
    if b.max_pods == Some(0) {
        f.error(
            "bad-boundary",
            &[key("boundary"), key("max_pods")],
            "max_pods is 0: no experiment could run".into(),
            None,
        );
        return None;
    }
    if b.max_duration.is_some_and(|s| s.0.is_zero()) {
        f.error(
            "bad-boundary",
            &[key("boundary"), key("max_duration")],
            "max_duration is zero".into(),
            None,
        );
        return None;
    }
    Some(Boundary {
        context: context?,
        namespace: namespace?,
        max_pods: b.max_pods?,
        max_duration: b.max_duration?.0,
    })
}

fn check_abort(f: &mut Finder, a: Option<&AbortFile>) -> Option<AbortCondition> {
    let Some(a) = a else {
        f.error(
            "missing-abort",
            &[],
            "no abort condition: nothing would stop a failing experiment".into(),
            Some("add `abort:` with query, comparison, threshold and poll_interval".into()),
        );
        return None;
    };
    let query = text_of(&a.query);
    match &query {
        None => f.error(
            "missing-abort-query",
            &[key("abort")],
            "the abort condition has no query".into(),
            Some("a PromQL expression, e.g. the 5xx ratio of the namespace".into()),
        ),
        Some(q) if !balanced(q) => f.error(
            "bad-abort-query",
            &[key("abort"), key("query")],
            "the abort query's brackets or quotes do not balance".into(),
            None,
        ),
        Some(_) => {}
    }
    let mut missing = Vec::new();
    if a.comparison.is_none() {
        missing.push("comparison");
    }
    if a.threshold.is_none() {
        missing.push("threshold");
    }
    if a.poll_interval.is_none() {
        missing.push("poll_interval");
    }
    if !missing.is_empty() {
        f.error(
            "incomplete-abort",
            &[key("abort")],
            format!("the abort condition has no {}", missing.join(", no ")),
            Some("e.g. comparison: \">\", threshold: 0.05, poll_interval: 5s".into()),
        );
    }
    if let Some(t) = a.threshold.filter(|t| !t.is_finite()) {
        f.error(
            "bad-abort",
            &[key("abort"), key("threshold")],
            format!("threshold {t} is not a number"),
            None,
        );
        return None;
    }
    if let Some(Span(p)) = a.poll_interval
        && !(MIN_POLL..=MAX_POLL).contains(&p)
    {
        f.error(
            "bad-abort",
            &[key("abort"), key("poll_interval")],
            format!(
                "poll_interval {} is outside {} to {}",
                humantime::format_duration(p),
                humantime::format_duration(MIN_POLL),
                humantime::format_duration(MAX_POLL)
            ),
            Some("the abort condition must fail the experiment fast".into()),
        );
        return None;
    }
    let query = query.filter(|q| balanced(q))?;
    Some(AbortCondition {
        query,
        comparison: a.comparison?,
        threshold: a.threshold?,
        poll_interval: a.poll_interval?.0,
    })
}

fn check_experiments(f: &mut Finder, p: &GameDayFile, b: Option<&Boundary>) -> Vec<Experiment> {
    if p.experiments.is_empty() {
        f.error(
            "no-experiments",
            &[],
            "no experiments".into(),
            Some("add `experiments:`, each with a name and a Chaos Mesh manifest".into()),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut objects: Vec<String> = Vec::new();
    for (i, e) in p.experiments.iter().enumerate() {
        let here = [key("experiments"), Seg::Index(i)];
        let name = match text_of(&e.name) {
            None => {
                f.error(
                    "missing-experiment-name",
                    &here,
                    format!("experiment {} has no name", i + 1),
                    None,
                );
                None
            }
            Some(n) => match crate::exec::template::validate_value("namespace", &n) {
                Err(err) => {
                    f.error(
                        "bad-experiment-name",
                        &[here[0].clone(), here[1].clone(), key("name")],
                        format!("experiment name: {err}"),
                        None,
                    );
                    None
                }
                Ok(()) if names.contains(&n) => {
                    f.error(
                        "duplicate-experiment",
                        &[here[0].clone(), here[1].clone(), key("name")],
                        format!("two experiments are named {n}"),
                        None,
                    );
                    None
                }
                Ok(()) => {
                    names.push(n.clone());
                    Some(n)
                }
            },
        };
        let Some(manifest) = &e.manifest else {
            f.error(
                "missing-manifest",
                &here,
                format!("experiment {} has no manifest", i + 1),
                Some("add `manifest:` with a Chaos Mesh experiment".into()),
            );
            continue;
        };
        let Some(b) = b else {
            continue;
        };
        match boundary::check_manifest(b, manifest) {
            Ok(fit) => {
                if objects.contains(&fit.name) {
                    f.error(
                        "duplicate-object",
                        &[
                            here[0].clone(),
                            here[1].clone(),
                            key("manifest"),
                            key("metadata"),
                            key("name"),
                        ],
                        format!("two experiments create {}", fit.name),
                        None,
                    );
                    continue;
                }
                objects.push(fit.name.clone());
                let mut manifest = manifest.clone();
                manifest["metadata"]["namespace"] = Value::String(b.namespace.clone());
                if let Some(name) = name {
                    out.push(Experiment {
                        name,
                        description: text_of(&e.description),
                        manifest,
                        fit,
                    });
                }
            }
            Err(violations) => {
                for v in violations {
                    let mut path = vec![here[0].clone(), here[1].clone(), key("manifest")];
                    path.extend(v.path);
                    f.error(
                        "outside-boundary",
                        &path,
                        format!(
                            "experiment {}: {}",
                            name.as_deref().unwrap_or("?"),
                            v.message
                        ),
                        v.hint,
                    );
                }
            }
        }
    }
    out
}

/// Reads and checks one file; the error lists every finding, one per line.
pub fn load(path: &Path) -> Result<GameDay, String> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(format!("{shown}: larger than {MAX_BYTES} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let stem = path.file_stem().and_then(|s| s.to_str());
    let a = analyse(&shown, stem, &text);
    match a.gameday {
        Some(g) => Ok(g),
        None => Err(a
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Files in a game-days directory.
pub fn is_gameday_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

/// Finds a game-day by name: `DIR/NAME.yaml` (or `.yml`), else the file whose `name:` it
/// is. A NAME that is a path to a file is that file.
pub fn find(dir: &Path, name: &str) -> Result<std::path::PathBuf, String> {
    let as_path = Path::new(name);
    if (name.contains('/') || is_gameday_file(as_path)) && as_path.is_file() {
        return Ok(as_path.to_path_buf());
    }
    for ext in ["yaml", "yml"] {
        let p = dir.join(format!("{name}.{ext}"));
        if p.is_file() {
            return Ok(p);
        }
    }
    let all = list(dir);
    for p in &all {
        let stem = p.file_stem().and_then(|s| s.to_str());
        if let Ok(text) = std::fs::read_to_string(p)
            && analyse(&p.display().to_string(), stem, &text)
                .gameday
                .is_some_and(|g| g.name == name)
        {
            return Ok(p.clone());
        }
    }
    let names: Vec<String> = all
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    Err(format!(
        "no game-day `{}` in {}{}",
        sanitize::escape(name),
        dir.display(),
        if names.is_empty() {
            String::new()
        } else {
            format!(" (there are: {})", names.join(", "))
        }
    ))
}

/// The game-day files in `dir`, in name order.
pub fn list(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_gameday_file(p))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const GOOD: &str = r#"name: shop-kill
hypothesis: The storefront keeps 5xx under 5 % when one cart pod dies.
boundary:
  context: staging
  namespace: shop
  max_pods: 1
  max_duration: 60s
abort:
  query: sum(rate(http_requests_total{code=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))
  comparison: ">"
  threshold: 0.05
  poll_interval: 5s
observation_window: 10m
experiments:
  - name: kill-cart
    manifest:
      apiVersion: chaos-mesh.org/v1alpha1
      kind: PodChaos
      metadata:
        name: gd-kill-cart
      spec:
        action: pod-kill
        mode: one
        duration: 30s
        selector:
          namespaces: [shop]
          labelSelectors:
            app: cart
"#;

    fn findings(text: &str) -> Vec<String> {
        analyse("g.yaml", Some("shop-kill"), text)
            .diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn a_good_file_becomes_a_game_day() {
        let a = analyse("g.yaml", Some("shop-kill"), GOOD);
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        let g = a.gameday.unwrap();
        assert_eq!(g.name, "shop-kill");
        assert_eq!(g.boundary.max_pods, 1);
        assert_eq!(g.abort.comparison, Comparison::Above);
        assert_eq!(g.abort.poll_interval, Duration::from_secs(5));
        assert_eq!(g.observation_window, Duration::from_secs(600));
        assert_eq!(g.experiments[0].fit.name, "gd-kill-cart");
        // The console fills in the boundary's namespace.
        assert_eq!(g.experiments[0].manifest["metadata"]["namespace"], "shop");
        assert_eq!(g.digest.len(), 16);
    }

    #[test]
    fn unknown_keys_and_bad_types_point_at_their_line() {
        let f = findings(&GOOD.replace("max_pods: 1", "max_pod: 1"));
        assert!(
            f[0].starts_with("g.yaml:6:3: error: boundary: unknown field `max_pod`"),
            "{f:?}"
        );
        let f = findings(&GOOD.replace("threshold: 0.05", "threshold: lots"));
        assert!(f[0].starts_with("g.yaml:11:"), "{f:?}");
        let f = findings(&GOOD.replace("comparison: \">\"", "comparison: \"=>\""));
        assert!(f[0].contains("`=>`"), "{f:?}");
    }

    #[test]
    fn missing_parts_are_each_reported() {
        let text = GOOD
            .replace(
                "hypothesis: The storefront keeps 5xx under 5 % when one cart pod dies.\n",
                "",
            )
            .replace("  namespace: shop\n  max_pods: 1\n", "")
            .replace("  query: sum(rate(http_requests_total{code=~\"5..\"}[30s])) / sum(rate(http_requests_total[30s]))\n", "");
        let f = findings(&text).join("\n");
        assert!(f.contains("g.yaml:1:1: error: no hypothesis"), "{f}");
        assert!(
            f.contains("error: the boundary has no namespace, no max_pods [incomplete-boundary]"),
            "{f}"
        );
        assert!(f.contains("error: the abort condition has no query"), "{f}");
    }

    #[test]
    fn manifests_outside_the_boundary_point_into_the_manifest() {
        let f = findings(&GOOD.replace("namespaces: [shop]", "namespaces: [payments]"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("g.yaml:26:11: error: experiment kill-cart: spec.selector.namespaces names \"payments\""),
            "{f:?}"
        );
        let f = findings(&GOOD.replace("mode: one", "mode: all"));
        assert!(
            f[0].starts_with("g.yaml:23:9: error: experiment kill-cart: spec.mode all"),
            "{f:?}"
        );
        let f = findings(&GOOD.replace("duration: 30s", "duration: 5m"));
        assert!(f[0].contains("longer than the boundary's 1m"), "{f:?}");
    }

    #[test]
    fn hedged_hypotheses_and_short_windows_warn() {
        let f = findings(&GOOD.replace("keeps 5xx", "might keep 5xx"));
        assert!(
            f[0].contains("warning: the hypothesis hedges (\"might\")"),
            "{f:?}"
        );
        let f = findings(&GOOD.replace("observation_window: 10m", "observation_window: 1m"));
        assert!(
            f[0].contains("warning: observation_window 1m is short"),
            "{f:?}"
        );
        // As docs/gameday-format.md says: under 5 minutes warns, 5 minutes does not.
        let f = findings(&GOOD.replace("observation_window: 10m", "observation_window: 4m59s"));
        assert!(f[0].contains("observation_window 4m 59s is short"), "{f:?}");
        assert!(
            findings(&GOOD.replace("observation_window: 10m", "observation_window: 5m")).is_empty()
        );
        let f = findings(&GOOD.replace("poll_interval: 5s", "poll_interval: 5m"));
        assert!(f[0].contains("error: poll_interval 5m is outside"), "{f:?}");
        let f = findings(&GOOD.replace("[30s]))\n", "[30s])\n"));
        assert!(f[0].contains("do not balance"), "{f:?}");
    }
}
