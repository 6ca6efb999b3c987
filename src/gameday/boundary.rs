//! The safety boundary of a game-day, and the check that a Chaos Mesh manifest stays inside
//! it before anything reaches the API: a known kind, every namespace the boundary's, no
//! more pods than it allows (counted honestly from `mode` and `value`, refused when they
//! cannot be counted), a duration no longer than it allows, and never a protected context.
//!
//! Lint runs the same check on the file; the gate runs it again, with the active context
//! and the pods already under chaos, right before the prompt.

use std::time::Duration;

use serde_json::Value;

use super::locate::Seg;
use crate::exec::plan::{CustomKind, chaos_kind};
use crate::sanitize;

/// The Chaos Mesh API every experiment must use.
pub const API_VERSION: &str = "chaos-mesh.org/v1alpha1";

/// The kinds a game-day may create: single experiments whose selector the console can read.
/// (A `Workflow` or `Schedule` nests or repeats experiments; run them one by one instead.)
pub const KINDS: &[&str] = &[
    "PodChaos",
    "NetworkChaos",
    "StressChaos",
    "IOChaos",
    "TimeChaos",
    "DNSChaos",
    "HTTPChaos",
];

/// Fields of a Chaos Mesh pod selector. Anything else is refused: the console could not
/// tell which pods it selects.
const SELECTOR_FIELDS: &[&str] = &[
    "namespaces",
    "labelSelectors",
    "expressionSelectors",
    "annotationSelectors",
    "fieldSelectors",
    "podPhaseSelectors",
    "nodeSelectors",
    "nodes",
    "pods",
];

/// Where a game-day may act and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub context: String,
    pub namespace: String,
    /// Pods under chaos at once, over every experiment of the game-day.
    pub max_pods: u32,
    /// The longest `spec.duration` an experiment may have.
    pub max_duration: Duration,
}

impl Boundary {
    /// One line, e.g. `staging-eu / shop · at most 1 pod · at most 1m each`.
    pub fn describe(&self) -> String {
        format!(
            "{} / {} · at most {} pod{} · at most {} each",
            sanitize::escape(&self.context),
            sanitize::escape(&self.namespace),
            self.max_pods,
            if self.max_pods == 1 { "" } else { "s" },
            humantime::format_duration(self.max_duration)
        )
    }
}

/// A reason an experiment is outside the boundary, and where in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path inside the manifest.
    pub path: Vec<Seg>,
    pub message: String,
    pub hint: Option<String>,
}

fn violation(path: &[&str], message: impl Into<String>) -> Violation {
    Violation {
        path: path.iter().map(|k| Seg::key(k)).collect(),
        message: message.into(),
        hint: None,
    }
}

impl Violation {
    fn hint(mut self, h: impl Into<String>) -> Violation {
        self.hint = Some(h.into());
        self
    }
}

/// What a manifest inside the boundary does, as the prompt and the pane show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub kind: CustomKind,
    /// `metadata.name`.
    pub name: String,
    /// The most pods it can touch.
    pub pods: u32,
    pub duration: Duration,
}

impl Fit {
    pub fn describe(&self, b: &Boundary) -> String {
        format!(
            "{} pod{} of at most {}, {} of at most {}, namespace {}",
            self.pods,
            if self.pods == 1 { "" } else { "s" },
            b.max_pods,
            humantime::format_duration(self.duration),
            humantime::format_duration(b.max_duration),
            sanitize::escape(&b.namespace)
        )
    }
}

/// A Go duration as Chaos Mesh writes them: `30s`, `1m30s`, `1.5h`, `500ms`.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{}` is not a duration like 30s or 1m30s",
            sanitize::escape(text)
        )
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * unit;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 366.0 * 86_400.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// Checks one manifest against the boundary. Every violation is reported, not just the
/// first, so lint can list them all.
pub fn check_manifest(b: &Boundary, manifest: &Value) -> Result<Fit, Vec<Violation>> {
    let mut v = Vec::new();
    let Some(obj) = manifest.as_object() else {
        return Err(vec![violation(&[], "the manifest is not a mapping")]);
    };
    match obj.get("apiVersion").and_then(Value::as_str) {
        Some(API_VERSION) => {}
        Some(other) => v.push(
            violation(
                &["apiVersion"],
                format!(
                    "apiVersion `{}` is not Chaos Mesh's",
                    sanitize::escape(other)
                ),
            )
            .hint(format!("use apiVersion: {API_VERSION}")),
        ),
        None => v.push(
            violation(&[], "the manifest has no apiVersion")
                .hint(format!("add apiVersion: {API_VERSION}")),
        ),
    }
    let kind = match obj.get("kind").and_then(Value::as_str) {
        Some(k) if KINDS.contains(&k) => chaos_kind(k),
        Some(k) => {
            v.push(
                violation(
                    &["kind"],
                    format!(
                        "`{}` is not a Chaos Mesh experiment kind the console can bound",
                        sanitize::escape(k)
                    ),
                )
                .hint(format!(
                    "use one of {} (a Workflow or Schedule: one experiment per entry instead)",
                    KINDS.join(", ")
                )),
            );
            None
        }
        None => {
            v.push(violation(&[], "the manifest has no kind").hint("e.g. kind: PodChaos"));
            None
        }
    };
    let name = match obj.pointer_str("/metadata/name") {
        Some(n) => match crate::exec::template::validate_value("name", n) {
            Ok(()) => Some(n.to_string()),
            Err(e) => {
                v.push(violation(
                    &["metadata", "name"],
                    format!("metadata.name: {e}"),
                ));
                None
            }
        },
        None => {
            v.push(
                violation(&["metadata"], "the manifest has no metadata.name")
                    .hint("the kill switch and the auto-abort delete the experiment by this name"),
            );
            None
        }
    };
    match obj.get("metadata").and_then(|m| m.get("namespace")) {
        None => {}
        Some(Value::String(ns)) if *ns == b.namespace => {}
        Some(other) => v.push(
            violation(
                &["metadata", "namespace"],
                format!(
                    "metadata.namespace {} is outside the boundary's namespace {}",
                    show(other),
                    sanitize::escape(&b.namespace)
                ),
            )
            .hint("leave it out (the console uses the boundary's) or make it the same"),
        ),
    }
    let Some(spec_value) = obj.get("spec").filter(|s| s.is_object()) else {
        v.push(violation(&[], "the manifest has no spec"));
        return Err(v);
    };
    let Some(spec) = spec_value.as_object() else {
        return Err(v);
    };
    if spec.contains_key("remoteCluster") {
        v.push(
            violation(
                &["spec", "remoteCluster"],
                "spec.remoteCluster sends the experiment to another cluster, outside the boundary's context",
            )
            .hint("remove it: the boundary's context is the only cluster a game-day touches"),
        );
    }
    let mut selectors = Vec::new();
    find_selectors(spec_value, &mut vec!["spec".into()], &mut selectors);
    if selectors.is_empty() {
        v.push(
            violation(&["spec"], "the experiment has no pod selector")
                .hint("add spec.selector with namespaces: [NAMESPACE] and labelSelectors"),
        );
    }
    let mut pods = 0u32;
    let mut selector_errors = Vec::new();
    for (path, holder) in &selectors {
        match selector_pods(b, path, holder) {
            Ok(n) => pods = pods.saturating_add(n),
            Err(mut e) => selector_errors.append(&mut e),
        }
    }
    let counted = !selectors.is_empty() && selector_errors.is_empty();
    v.append(&mut selector_errors);
    if counted && pods > b.max_pods {
        v.push(
            violation(
                &["spec", "mode"],
                format!(
                    "it can hit {pods} pods; the boundary allows at most {}",
                    b.max_pods
                ),
            )
            .hint("use mode: one, or mode: fixed with a smaller value"),
        );
    }
    let duration = match spec.get("duration") {
        None => {
            v.push(
                violation(
                    &["spec"],
                    "spec.duration is missing: the experiment would not end by itself",
                )
                .hint(format!(
                    "add spec.duration, at most {}",
                    humantime::format_duration(b.max_duration)
                )),
            );
            None
        }
        Some(Value::String(s)) => match parse_go_duration(s) {
            Ok(d) if d.is_zero() => {
                v.push(violation(&["spec", "duration"], "spec.duration is zero"));
                None
            }
            Ok(d) if d > b.max_duration => {
                v.push(
                    violation(
                        &["spec", "duration"],
                        format!(
                            "spec.duration {} is longer than the boundary's {}",
                            sanitize::escape(s),
                            humantime::format_duration(b.max_duration)
                        ),
                    )
                    .hint("shorten it, or change max_duration in review"),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                v.push(violation(
                    &["spec", "duration"],
                    format!("spec.duration: {e}"),
                ));
                None
            }
        },
        Some(other) => {
            v.push(violation(
                &["spec", "duration"],
                format!("spec.duration {} is not a string like \"30s\"", show(other)),
            ));
            None
        }
    };
    match (v.is_empty(), kind, name, duration) {
        (true, Some(kind), Some(name), Some(duration)) => Ok(Fit {
            kind,
            name,
            pods,
            duration,
        }),
        _ => Err(v),
    }
}

/// Refuses a protected context, and a context other than the one the console acts in.
pub fn check_context(b: &Boundary, active: &str, protected: &[String]) -> Result<(), String> {
    if protected.contains(&b.context) {
        return Err(format!(
            "context {} is protected (config: protected_contexts); game-days never run there",
            sanitize::escape(&b.context)
        ));
    }
    if active != b.context {
        return Err(format!(
            "the boundary names context {}, but the console acts in {}",
            sanitize::escape(&b.context),
            sanitize::escape(active)
        ));
    }
    Ok(())
}

fn show(v: &Value) -> String {
    sanitize::escape_truncated(&v.to_string(), 80)
}

trait PointerStr {
    fn pointer_str(&self, p: &str) -> Option<&str>;
}

impl PointerStr for serde_json::Map<String, Value> {
    fn pointer_str(&self, p: &str) -> Option<&str> {
        let mut parts = p.trim_start_matches('/').split('/');
        let first = self.get(parts.next()?)?;
        parts
            .try_fold(first, |v, k| v.get(k))
            .and_then(Value::as_str)
    }
}

/// Every object under `v` that holds a `selector`, with its path (spec, then target, ...).
fn find_selectors<'v>(
    v: &'v Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, &'v Value)>,
) {
    let Some(o) = v.as_object() else {
        return;
    };
    if o.contains_key("selector") {
        out.push((path.clone(), v));
    }
    for (k, child) in o {
        if k == "selector" {
            continue;
        }
        if child.is_object() {
            path.push(k.clone());
            find_selectors(child, path, out);
            path.pop();
        }
    }
}

/// How many pods the selector in `holder` (with its `mode` and `value`) can hit.
fn selector_pods(b: &Boundary, path: &[String], holder: &Value) -> Result<u32, Vec<Violation>> {
    let at = |tail: &[&str]| -> Vec<Seg> {
        path.iter()
            .map(|p| Seg::Key(p.clone()))
            .chain(tail.iter().map(|k| Seg::key(k)))
            .collect()
    };
    let here = path.join(".");
    let mut v = Vec::new();
    let mut push = |tail: &[&str], message: String, hint: Option<String>| {
        v.push(Violation {
            path: at(tail),
            message,
            hint,
        })
    };
    let Some(sel) = holder.get("selector").and_then(Value::as_object) else {
        push(
            &["selector"],
            format!("{here}.selector is not a mapping"),
            None,
        );
        return Err(v);
    };
    for k in sel.keys() {
        if !SELECTOR_FIELDS.contains(&k.as_str()) {
            push(
                &["selector", k],
                format!(
                    "{here}.selector.{} is not a selector field the console can bound",
                    sanitize::escape(k)
                ),
                Some(format!("selector fields: {}", SELECTOR_FIELDS.join(", "))),
            );
        }
    }
    let ns_hint = format!("namespaces: [{}]", sanitize::escape(&b.namespace));
    match sel.get("namespaces").and_then(Value::as_array) {
        None => push(
            &["selector"],
            format!("{here}.selector has no namespaces: it could select pods outside the boundary"),
            Some(format!("add {ns_hint}")),
        ),
        Some(list) if list.is_empty() => push(
            &["selector", "namespaces"],
            format!("{here}.selector.namespaces is empty: it could select pods in every namespace"),
            Some(format!("write {ns_hint}")),
        ),
        Some(list) => {
            for n in list {
                if n.as_str() != Some(b.namespace.as_str()) {
                    push(
                        &["selector", "namespaces"],
                        format!(
                            "{here}.selector.namespaces names {}, outside the boundary's namespace {}",
                            show(n),
                            sanitize::escape(&b.namespace)
                        ),
                        Some(format!("write {ns_hint}")),
                    );
                }
            }
        }
    }
    // Pods listed by name bound the count whatever the mode.
    let mut listed: Option<u32> = None;
    if let Some(p) = sel.get("pods") {
        match p.as_object() {
            Some(map) => {
                let mut n = 0u32;
                for (ns, names) in map {
                    if *ns != b.namespace {
                        push(
                            &["selector", "pods"],
                            format!(
                                "{here}.selector.pods names namespace {}, outside the boundary's {}",
                                sanitize::escape(ns),
                                sanitize::escape(&b.namespace)
                            ),
                            None,
                        );
                    }
                    n = n.saturating_add(names.as_array().map_or(0, |a| a.len() as u32));
                }
                listed = Some(n);
            }
            None => push(
                &["selector", "pods"],
                format!("{here}.selector.pods is not a mapping of namespace to pod names"),
                None,
            ),
        }
    }
    let value = holder.get("value").map(|x| match x {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    });
    let count = match holder.get("mode").and_then(Value::as_str) {
        None => {
            push(
                &["mode"],
                format!("{here}.mode is missing"),
                Some("mode: one hits exactly one pod".into()),
            );
            None
        }
        Some("one") => Some(1),
        Some("fixed") => match value.as_deref().map(str::parse::<u32>) {
            Some(Ok(n)) => Some(n),
            _ => {
                push(
                    &["value"],
                    format!("{here}: mode fixed needs value: \"N\", a whole number of pods"),
                    None,
                );
                None
            }
        },
        Some(m @ ("all" | "fixed-percent" | "random-max-percent")) => match listed {
            Some(n) if m == "all" => Some(n),
            Some(n) => match value.as_deref().map(str::parse::<u32>) {
                Some(Ok(pct)) if pct <= 100 => Some((n * pct).div_ceil(100)),
                _ => {
                    push(
                        &["value"],
                        format!("{here}: mode {m} needs value: \"P\", a percentage 0-100"),
                        None,
                    );
                    None
                }
            },
            None => {
                push(
                    &["mode"],
                    format!(
                        "{here}.mode {m} hits a share of whatever the selector matches, which the console cannot count"
                    ),
                    Some(
                        "use mode: one or mode: fixed, or list the pods by name under selector.pods"
                            .into(),
                    ),
                );
                None
            }
        },
        Some(other) => {
            push(
                &["mode"],
                format!(
                    "{here}.mode `{}` is not a Chaos Mesh mode",
                    sanitize::escape(other)
                ),
                Some("one, fixed, fixed-percent, random-max-percent or all".into()),
            );
            None
        }
    };
    match (v.is_empty(), count) {
        (true, Some(n)) => Ok(listed.map_or(n, |l| n.min(l))),
        _ => Err(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b() -> Boundary {
        Boundary {
            context: "staging".into(),
            namespace: "shop".into(),
            max_pods: 1,
            max_duration: Duration::from_secs(60),
        }
    }

    fn pod_kill() -> Value {
        json!({"apiVersion": API_VERSION, "kind": "PodChaos",
            "metadata": {"name": "kill-cart", "namespace": "shop"},
            "spec": {"action": "pod-kill", "mode": "one", "duration": "30s",
                "selector": {"namespaces": ["shop"], "labelSelectors": {"app": "cart"}}}})
    }

    fn refused(m: &Value) -> String {
        check_manifest(&b(), m)
            .unwrap_err()
            .iter()
            .map(|v| v.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn with(f: impl FnOnce(&mut Value)) -> Value {
        let mut m = pod_kill();
        f(&mut m);
        m
    }

    #[test]
    fn a_manifest_inside_the_boundary_fits() {
        let fit = check_manifest(&b(), &pod_kill()).unwrap();
        assert_eq!(fit.kind.kind, "PodChaos");
        assert_eq!(fit.name, "kill-cart");
        assert_eq!(fit.pods, 1);
        assert_eq!(fit.duration, Duration::from_secs(30));
        assert!(
            fit.describe(&b())
                .starts_with("1 pod of at most 1, 30s of at most 1m")
        );
        // No metadata.namespace: the console uses the boundary's.
        let m = with(|m| {
            m["metadata"].as_object_mut().unwrap().remove("namespace");
        });
        assert!(check_manifest(&b(), &m).is_ok());
    }

    #[test]
    fn the_kind_must_be_a_known_chaos_mesh_kind() {
        let m = with(|m| m["kind"] = json!("Workflow"));
        assert!(refused(&m).contains("`Workflow` is not a Chaos Mesh experiment kind"));
        let m = with(|m| m["kind"] = json!("Deployment"));
        assert!(refused(&m).contains("`Deployment`"));
        let m = with(|m| m["apiVersion"] = json!("apps/v1"));
        assert!(refused(&m).contains("not Chaos Mesh's"));
        for k in KINDS {
            let m = with(|m| m["kind"] = json!(k));
            assert!(check_manifest(&b(), &m).is_ok(), "{k}");
        }
    }

    #[test]
    fn every_namespace_must_be_the_boundarys() {
        let m = with(|m| m["metadata"]["namespace"] = json!("payments"));
        assert!(refused(&m).contains("metadata.namespace \"payments\" is outside"));
        let m = with(|m| m["spec"]["selector"]["namespaces"] = json!(["shop", "kube-system"]));
        assert!(refused(&m).contains("names \"kube-system\", outside"));
        let m = with(|m| m["spec"]["selector"]["namespaces"] = json!([]));
        assert!(refused(&m).contains("every namespace"));
        let m = with(|m| {
            m["spec"]["selector"]
                .as_object_mut()
                .unwrap()
                .remove("namespaces");
        });
        assert!(refused(&m).contains("has no namespaces"));
        let m = with(|m| m["spec"]["selector"]["pods"] = json!({"payments": ["p-1"]}));
        assert!(refused(&m).contains("selector.pods names namespace payments"));
        // A second selector (NetworkChaos' target) is checked too.
        let m = with(|m| {
            m["kind"] = json!("NetworkChaos");
            m["spec"]["target"] = json!({"mode": "one",
                "selector": {"namespaces": ["payments"]}});
        });
        assert!(refused(&m).contains("spec.target.selector.namespaces names \"payments\""));
        let m = with(|m| m["spec"]["selector"]["namespaceSelectors"] = json!(["x"]));
        assert!(refused(&m).contains("not a selector field"));
        let m = with(|m| m["spec"]["remoteCluster"] = json!("prod"));
        assert!(refused(&m).contains("another cluster"));
        let m = with(|m| {
            m["spec"].as_object_mut().unwrap().remove("selector");
        });
        assert!(refused(&m).contains("no pod selector"));
    }

    #[test]
    fn modes_are_counted_honestly_or_refused() {
        for mode in ["all", "fixed-percent", "random-max-percent"] {
            let m = with(|m| {
                m["spec"]["mode"] = json!(mode);
                m["spec"]["value"] = json!("50");
            });
            assert!(refused(&m).contains("cannot count"), "{mode}");
        }
        let m = with(|m| {
            m["spec"]["mode"] = json!("fixed");
            m["spec"]["value"] = json!("2");
        });
        assert!(refused(&m).contains("it can hit 2 pods; the boundary allows at most 1"));
        let m = with(|m| m["spec"]["mode"] = json!("fixed"));
        assert!(refused(&m).contains("needs value"));
        let m = with(|m| m["spec"]["mode"] = json!("some"));
        assert!(refused(&m).contains("not a Chaos Mesh mode"));
        let m = with(|m| {
            m["spec"].as_object_mut().unwrap().remove("mode");
        });
        assert!(refused(&m).contains("mode is missing"));
        // Pods listed by name bound `all` and the percentages.
        let m = with(|m| {
            m["spec"]["mode"] = json!("all");
            m["spec"]["selector"]["pods"] = json!({"shop": ["cart-1"]});
        });
        assert_eq!(check_manifest(&b(), &m).unwrap().pods, 1);
        let m = with(|m| {
            m["spec"]["mode"] = json!("fixed-percent");
            m["spec"]["value"] = json!("50");
            m["spec"]["selector"]["pods"] = json!({"shop": ["cart-1", "cart-2", "cart-3"]});
        });
        assert!(refused(&m).contains("it can hit 2 pods"));
        // Both sides of a network partition count.
        let m = with(|m| {
            m["kind"] = json!("NetworkChaos");
            m["spec"]["target"] = json!({"mode": "one", "selector": {"namespaces": ["shop"]}});
        });
        assert!(refused(&m).contains("it can hit 2 pods"));
    }

    #[test]
    fn the_duration_must_be_there_and_within_the_boundary() {
        let m = with(|m| {
            m["spec"].as_object_mut().unwrap().remove("duration");
        });
        assert!(refused(&m).contains("spec.duration is missing"));
        let m = with(|m| m["spec"]["duration"] = json!("2m"));
        assert!(refused(&m).contains("spec.duration 2m is longer than the boundary's 1m"));
        let m = with(|m| m["spec"]["duration"] = json!("soon"));
        assert!(refused(&m).contains("not a duration"));
        let m = with(|m| m["spec"]["duration"] = json!(30));
        assert!(refused(&m).contains("not a string"));
        let m = with(|m| m["spec"]["duration"] = json!("1m"));
        assert!(check_manifest(&b(), &m).is_ok());
    }

    #[test]
    fn protected_and_other_contexts_are_refused() {
        assert!(check_context(&b(), "staging", &[]).is_ok());
        let e = check_context(&b(), "staging", &["staging".into()]).unwrap_err();
        assert!(e.contains("protected"), "{e}");
        let e = check_context(&b(), "prod-eu", &[]).unwrap_err();
        assert!(e.contains("the console acts in prod-eu"), "{e}");
    }

    #[test]
    fn go_durations() {
        let d = |s| parse_go_duration(s).unwrap();
        assert_eq!(d("30s"), Duration::from_secs(30));
        assert_eq!(d("1m30s"), Duration::from_secs(90));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("500ms"), Duration::from_millis(500));
        for bad in ["", "30", "s", "1d", "-1s", "1m x"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }
}
