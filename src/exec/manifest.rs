//! Custom resources from runbooks: a ```` ```yaml {kube=create} ```` block holds a
//! manifest (a Chaos Mesh experiment) with placeholders, and becomes a `CreateCustom` (or,
//! with `kube=delete`, a `DeleteCustom`) action that goes through the gate like any other,
//! with the server's own dry-run.
//!
//! Values are validated by the same rules as in commands before they are put in, and the
//! result must parse as one manifest of a kind the console knows. Its namespace must be the
//! one the alert names, and a Chaos Mesh selector may not reach into other namespaces, so a
//! runbook cannot aim an experiment wider than the namespace the person checked.

use std::collections::BTreeMap;

use super::ManifestVerb;
use super::plan::{KubeAction, chaos_kind};
use super::template::{self, TemplateError};
use crate::sanitize;

/// Why a manifest block cannot become an action. Safe to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    Template(TemplateError),
    Invalid(String),
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::Template(e) => e.fmt(f),
            ManifestError::Invalid(why) => write!(f, "manifest refused: {why}"),
        }
    }
}

impl From<TemplateError> for ManifestError {
    fn from(e: TemplateError) -> Self {
        ManifestError::Template(e)
    }
}

fn invalid(why: impl Into<String>) -> ManifestError {
    ManifestError::Invalid(why.into())
}

/// Checks a manifest template without values (for lint): it must parse once every
/// placeholder is replaced by a harmless name, and name a kind the console knows.
pub fn check_template(code: &str, declared: &[String]) -> Result<(), ManifestError> {
    let labels: BTreeMap<String, String> = template::placeholders(code)?
        .into_iter()
        .map(|l| (l, "x".to_string()))
        .collect();
    let manifest = parse(&template::render_plain(code, declared, &labels)?)?;
    let (kind, namespace, _) = identify(&manifest)?;
    selector_stays_in(&manifest, &namespace)?;
    let _ = kind;
    Ok(())
}

/// The action a manifest block means for this alert's labels.
pub fn action(
    verb: ManifestVerb,
    code: &str,
    declared: &[String],
    labels: &BTreeMap<String, String>,
) -> Result<KubeAction, ManifestError> {
    let text = template::render_plain(code, declared, labels)?;
    let mut manifest = parse(&text)?;
    let (kind, namespace, name) = identify(&manifest)?;
    if let Some(checked) = labels.get("namespace")
        && checked != &namespace
    {
        return Err(invalid(format!(
            "its namespace {} is not the alert's namespace {}",
            sanitize::escape(&namespace),
            sanitize::escape(checked)
        )));
    }
    selector_stays_in(&manifest, &namespace)?;
    if let Some(meta) = manifest.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.insert("namespace".into(), namespace.clone().into());
    }
    Ok(match verb {
        ManifestVerb::Create => KubeAction::CreateCustom {
            kind,
            namespace,
            manifest,
        },
        ManifestVerb::Delete => KubeAction::DeleteCustom {
            kind,
            namespace,
            name,
        },
    })
}

fn parse(text: &str) -> Result<serde_json::Value, ManifestError> {
    let v: serde_json::Value = serde_yaml::from_str(text).map_err(|e| {
        invalid(format!(
            "not a YAML manifest: {}",
            sanitize::escape_truncated(&e.to_string(), 200)
        ))
    })?;
    if !v.is_object() {
        return Err(invalid("not a YAML mapping"));
    }
    Ok(v)
}

/// The kind (known to the console, with its own apiVersion), namespace and name.
fn identify(
    m: &serde_json::Value,
) -> Result<(super::plan::CustomKind, String, String), ManifestError> {
    let s = |p: &str| m.pointer(p).and_then(|v| v.as_str());
    let kind_name = s("/kind").ok_or_else(|| invalid("no `kind`"))?;
    let kind = chaos_kind(kind_name)
        .filter(|k| k.kind == kind_name)
        .ok_or_else(|| {
            invalid(format!(
                "kind {} is not one the console can create (Chaos Mesh experiments: PodChaos, NetworkChaos, ...)",
                sanitize::escape(kind_name)
            ))
        })?;
    let api = format!("{}/{}", kind.group, kind.version);
    if s("/apiVersion") != Some(api.as_str()) {
        return Err(invalid(format!("apiVersion must be {api}")));
    }
    let name = s("/metadata/name").ok_or_else(|| invalid("no metadata.name"))?;
    template::validate_value("name", name)?;
    let namespace = s("/metadata/namespace")
        .ok_or_else(|| invalid("no metadata.namespace: say where it goes"))?;
    template::validate_value("namespace", namespace)?;
    Ok((kind, namespace.to_string(), name.to_string()))
}

/// A Chaos Mesh selector's `namespaces` may only name the manifest's own namespace.
fn selector_stays_in(m: &serde_json::Value, namespace: &str) -> Result<(), ManifestError> {
    let Some(list) = m.pointer("/spec/selector/namespaces") else {
        return Ok(());
    };
    let ok = list
        .as_array()
        .is_some_and(|a| a.iter().all(|n| n.as_str() == Some(namespace)));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "spec.selector.namespaces may only list {}",
            sanitize::escape(namespace)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KILL: &str = "apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata:
  name: kill-{{deployment}}
  namespace: {{namespace}}
spec:
  action: pod-kill
  mode: one
  selector:
    namespaces: [{{namespace}}]
    labelSelectors:
      app: {{deployment}}
";

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn decl() -> Vec<String> {
        vec!["namespace".into(), "deployment".into()]
    }

    #[test]
    fn a_manifest_becomes_a_create_with_validated_values() {
        let a = action(
            ManifestVerb::Create,
            KILL,
            &decl(),
            &labels(&[("namespace", "shop"), ("deployment", "cart")]),
        )
        .unwrap();
        let KubeAction::CreateCustom {
            kind,
            namespace,
            manifest,
        } = &a
        else {
            panic!("{a:?}")
        };
        assert_eq!(kind.plural, "podchaos");
        assert_eq!(namespace, "shop");
        assert_eq!(manifest["metadata"]["name"], "kill-cart");
        assert_eq!(
            manifest["spec"]["selector"]["labelSelectors"]["app"],
            "cart"
        );
        let d = action(
            ManifestVerb::Delete,
            KILL,
            &decl(),
            &labels(&[("namespace", "shop"), ("deployment", "cart")]),
        )
        .unwrap();
        assert_eq!(d.describe(), "delete PodChaos/kill-cart in shop");
        assert!(check_template(KILL, &decl()).is_ok());
    }

    #[test]
    fn injections_other_namespaces_and_unknown_kinds_are_refused() {
        for bad in crate::exec::template::tests::INJECTIONS {
            let r = action(
                ManifestVerb::Create,
                KILL,
                &decl(),
                &labels(&[("namespace", "shop"), ("deployment", bad)]),
            );
            assert!(r.is_err(), "{bad:?}");
        }
        let wide = KILL.replace(
            "namespaces: [{{namespace}}]",
            "namespaces: [shop, kube-system]",
        );
        assert!(
            action(
                ManifestVerb::Create,
                &wide,
                &decl(),
                &labels(&[("namespace", "shop"), ("deployment", "cart")])
            )
            .is_err()
        );
        let fixed = KILL.replace("namespace: {{namespace}}", "namespace: payments");
        let err = action(
            ManifestVerb::Create,
            &fixed,
            &decl(),
            &labels(&[("namespace", "shop"), ("deployment", "cart")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("not the alert's namespace"),
            "{err}"
        );
        let deploy = KILL.replace("kind: PodChaos", "kind: Deployment");
        assert!(check_template(&deploy, &decl()).is_err());
        let api = KILL.replace("chaos-mesh.org/v1alpha1", "apps/v1");
        assert!(check_template(&api, &decl()).is_err());
        assert!(check_template("kind: [", &decl()).is_err());
    }
}
