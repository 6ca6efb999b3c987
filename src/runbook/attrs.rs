//! Runme-style attributes in a fence's info string: ```` ```sh {name=x kind=check} ````.
//! Strict on purpose: a misspelt `dangr=high` must be an error, not a silent default.

use std::time::Duration;

use super::diagnostic::Diagnostic;
use super::model::{CommandKind, Danger, KubeVerb, Pos};

pub const KNOWN: &[&str] = &[
    "name", "kind", "danger", "timeout", "dry-run", "shell", "auto", "kube",
];

#[derive(Debug, Default)]
pub struct CommandAttrs {
    pub name: Option<String>,
    pub kind: CommandKind,
    pub danger: Danger,
    pub timeout: Option<Duration>,
    pub dry_run: Option<String>,
    /// `shell=true`: the block runs through `/bin/sh`.
    pub shell: bool,
    /// `auto=true`: a read-only check run once when its step is first shown.
    pub auto: bool,
    /// `kube=create` or `kube=delete`: the block is a manifest for the API.
    pub kube: Option<KubeVerb>,
}

pub struct Attrs {
    pub lang: String,
    /// `None` when the info string has no `{...}`: a plain code block, not a command.
    pub attrs: Option<CommandAttrs>,
    pub problems: Vec<Diagnostic>,
}

/// Splits `sh {name=x danger="high"}` into the language and its attributes. `brace` is
/// where the `{` is in the file, so each problem points at its attribute.
pub fn parse_info(info: &str, brace: Pos) -> Attrs {
    let pos = brace;
    let info = info.trim();
    let (lang, rest) = match info.find('{') {
        Some(i) => (info[..i].trim(), Some(&info[i..])),
        None => (info.split_whitespace().next().unwrap_or(""), None),
    };
    let mut out = Attrs {
        lang: lang.to_string(),
        attrs: None,
        problems: Vec::new(),
    };
    let Some(rest) = rest else {
        return out;
    };
    let Some(inner) = rest
        .strip_prefix('{')
        .and_then(|r| r.trim_end().strip_suffix('}'))
    else {
        out.problems.push(
            Diagnostic::error(
                "bad-attributes",
                pos,
                "attribute list is not closed with `}`",
            )
            .hint("write attributes as {name=restart-catalog kind=mitigation}"),
        );
        return out;
    };
    let mut a = CommandAttrs::default();
    let mut kind_set = false;
    for (key, value, offset) in pairs(inner) {
        let pos = Pos {
            line: brace.line,
            col: brace.col + 1 + offset,
        };
        let bad = |what: &str, hint: &str| {
            Diagnostic::error("bad-attribute", pos, format!("attribute `{key}`: {what}"))
                .hint(hint.to_string())
        };
        match key.as_str() {
            "name" => {
                if value.is_empty()
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    out.problems.push(bad(
                        &format!("`{value}` is not a valid name"),
                        "use letters, digits, - and _",
                    ));
                }
                a.name = Some(value);
            }
            "kind" => match CommandKind::parse(&value) {
                Some(k) => {
                    a.kind = k;
                    kind_set = true;
                }
                None => out.problems.push(bad(
                    &format!("unknown kind `{value}`"),
                    "kind is check, mitigation, precheck or expected",
                )),
            },
            "danger" => match Danger::parse(&value) {
                Some(d) => a.danger = d,
                None => out.problems.push(bad(
                    &format!("unknown danger level `{value}`"),
                    "danger is low, medium or high",
                )),
            },
            "timeout" => match humantime::parse_duration(&value) {
                Ok(d) if !d.is_zero() => a.timeout = Some(d),
                _ => out.problems.push(bad(
                    &format!("`{value}` is not a duration"),
                    "write e.g. timeout=30s or timeout=2m",
                )),
            },
            "dry-run" => a.dry_run = Some(value),
            "shell" | "auto" => {
                let flag = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        out.problems.push(bad(
                            &format!("`{value}` is not true or false"),
                            &format!("write {key}=true"),
                        ));
                        continue;
                    }
                };
                if key == "shell" {
                    a.shell = flag;
                } else {
                    a.auto = flag;
                }
            }
            "kube" => match KubeVerb::parse(&value) {
                Some(v) => a.kube = Some(v),
                None => out.problems.push(bad(
                    &format!("unknown kube verb `{value}`"),
                    "kube is create or delete (the block holds the manifest)",
                )),
            },
            other => out.problems.push(
                Diagnostic::error(
                    "unknown-attribute",
                    pos,
                    format!("unknown attribute `{other}`"),
                )
                .hint(format!("known attributes: {}", KNOWN.join(", "))),
            ),
        }
    }
    // A manifest block changes the cluster: it is a mitigation, whether it says so or not.
    if a.kube.is_some() {
        if kind_set && a.kind != CommandKind::Mitigation {
            out.problems.push(
                Diagnostic::error(
                    "bad-attribute",
                    pos,
                    "a kube=create|delete block changes the cluster: it can only be kind=mitigation",
                )
                .hint("drop kind= or write kind=mitigation"),
            );
        }
        a.kind = CommandKind::Mitigation;
    }
    out.attrs = Some(a);
    out
}

/// `key=value`, `key="quoted value"` (with `\\"` inside), `key='quoted'` and bare `key`
/// (value "true"), each with the character offset where its key starts.
fn pairs(s: &str) -> Vec<(String, String, usize)> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let stop = |c: char| c.is_whitespace() || c == ',';
    loop {
        while i < chars.len() && stop(chars[i]) {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !stop(chars[i]) {
            i += 1;
        }
        if i == start {
            break;
        }
        let key: String = chars[start..i].iter().collect();
        let mut value = String::from("true");
        if chars.get(i) == Some(&'=') {
            i += 1;
            value.clear();
            match chars.get(i).copied() {
                Some(q @ ('"' | '\'')) => {
                    i += 1;
                    // A backslash keeps the next character, so quotes can nest.
                    while let Some(&c) = chars.get(i) {
                        i += 1;
                        match c {
                            '\\' => {
                                value.extend(chars.get(i));
                                i += 1;
                            }
                            c if c == q => break,
                            c => value.push(c),
                        }
                    }
                }
                _ => {
                    while i < chars.len() && !stop(chars[i]) {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
            }
        }
        out.push((key.trim_matches('"').to_string(), value, start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runme_style() {
        let a = parse_info(
            r#"sh {name=scale kind=mitigation danger=high timeout=2m dry-run="kubectl scale --dry-run=server"}"#,
            Pos::default(),
        );
        assert_eq!(a.lang, "sh");
        assert!(a.problems.is_empty());
        let c = a.attrs.unwrap();
        assert_eq!(c.name.as_deref(), Some("scale"));
        assert_eq!(c.kind, CommandKind::Mitigation);
        assert_eq!(c.danger, Danger::High);
        assert_eq!(c.timeout, Some(Duration::from_secs(120)));
        assert_eq!(c.dry_run.as_deref(), Some("kubectl scale --dry-run=server"));
        let bad = parse_info("sh {name=x dangr=high}", Pos::default());
        assert_eq!(bad.problems[0].message, "unknown attribute `dangr`");
        assert!(parse_info("text", Pos::default()).attrs.is_none());
        let quoted = parse_info(
            r#"sh {name=p dry-run="patch -p '{\"a\":1}'"}"#,
            Pos::default(),
        );
        assert!(quoted.problems.is_empty());
        assert_eq!(
            quoted.attrs.unwrap().dry_run.as_deref(),
            Some(r#"patch -p '{"a":1}'"#)
        );
    }
}
