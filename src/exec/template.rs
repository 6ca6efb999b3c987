//! Turns a runbook command template plus an alert's labels into an argv, so that a label
//! value can never become shell syntax, a second argument, or an option.
//!
//! Placeholders are `{{label}}`. The template text is split into words first (POSIX shell
//! word rules, by `shlex`, on the runbook author's text only) and values are substituted
//! into whole words afterwards: a value with spaces stays one argument and quotes or `$`
//! in it mean nothing. A block that declares `shell` gets `sh -c SCRIPT` instead, with
//! every value quoted; values are validated the same way in both cases.

use std::collections::BTreeMap;
use std::fmt;

use crate::sanitize;

/// Longest value accepted for a label that is not a Kubernetes name.
pub const MAX_OTHER_LEN: usize = 128;
/// DNS-1123 label (namespaces, deployments, services, containers).
pub const MAX_DNS_LABEL_LEN: usize = 63;
/// DNS-1123 subdomain (pods and nodes).
pub const MAX_DNS_SUBDOMAIN_LEN: usize = 253;

/// Why a template could not be turned into a command. Values inside are escaped, so the
/// message is safe to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// The template itself is malformed (an unclosed `{{`, unbalanced quotes, ...).
    Syntax(String),
    /// A placeholder names a label the runbook does not declare.
    Undeclared(String),
    /// A declared label is missing from the alert (never replaced by an empty string).
    Missing(String),
    /// The alert's value for a label is not acceptable.
    Invalid {
        label: String,
        value: String,
        reason: String,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Syntax(why) => write!(f, "bad command template: {why}"),
            TemplateError::Undeclared(l) => {
                write!(
                    f,
                    "placeholder {{{{{l}}}}} uses a label the runbook does not declare"
                )
            }
            TemplateError::Missing(l) => write!(f, "the alert has no label `{l}`"),
            TemplateError::Invalid {
                label,
                value,
                reason,
            } => write!(f, "label `{label}` = \"{value}\" refused: {reason}"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// How a label's value is checked, chosen by the label's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63.
    DnsLabel,
    /// DNS-1123 labels joined by dots, at most 253.
    DnsSubdomain,
    /// `[A-Za-z0-9._:@+-]`, at most [`MAX_OTHER_LEN`].
    Other,
}

/// Labels that name Kubernetes objects get the Kubernetes naming rules.
pub fn rule_for(label: &str) -> Rule {
    match label {
        "namespace" | "deployment" | "statefulset" | "daemonset" | "service" | "container"
        | "job_name" | "replicaset" => Rule::DnsLabel,
        "pod" | "node" | "name" | "resource" => Rule::DnsSubdomain,
        _ => Rule::Other,
    }
}

fn invalid(label: &str, value: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError::Invalid {
        label: label.to_string(),
        value: sanitize::escape_truncated(value, 80),
        reason: reason.into(),
    }
}

/// Checks one label value against the rule for its label.
pub fn validate_value(label: &str, value: &str) -> Result<(), TemplateError> {
    if value.is_empty() {
        return Err(invalid(label, value, "empty value"));
    }
    // Checked before the allow-lists so the message says what is really wrong.
    if value.chars().any(sanitize::is_hazard) {
        return Err(invalid(
            label,
            value,
            "contains control, bidi or zero-width characters",
        ));
    }
    if value.starts_with('-') {
        return Err(invalid(
            label,
            value,
            "starts with '-' (would read as an option)",
        ));
    }
    match rule_for(label) {
        Rule::DnsLabel => dns_label(value).map_err(|why| invalid(label, value, why)),
        Rule::DnsSubdomain => {
            if value.len() > MAX_DNS_SUBDOMAIN_LEN {
                return Err(invalid(
                    label,
                    value,
                    format!("longer than {MAX_DNS_SUBDOMAIN_LEN} characters"),
                ));
            }
            for part in value.split('.') {
                dns_label(part).map_err(|why| {
                    invalid(label, value, format!("not a DNS-1123 subdomain ({why})"))
                })?;
            }
            Ok(())
        }
        Rule::Other => {
            if value.chars().count() > MAX_OTHER_LEN {
                return Err(invalid(
                    label,
                    value,
                    format!("longer than {MAX_OTHER_LEN} characters"),
                ));
            }
            match value
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "._:@+-".contains(*c)))
            {
                Some(c) => Err(invalid(
                    label,
                    value,
                    format!(
                        "character {} is not allowed (letters, digits and . _ : @ + - only)",
                        sanitize::escape(&c.to_string())
                    ),
                )),
                None => Ok(()),
            }
        }
    }
}

fn dns_label(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("empty name part".into());
    }
    if v.len() > MAX_DNS_LABEL_LEN {
        return Err(format!("longer than {MAX_DNS_LABEL_LEN} characters"));
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lowercase letters, digits and '-' (DNS-1123)".into());
    }
    if v.starts_with('-') || v.ends_with('-') {
        return Err("must start and end with a letter or digit (DNS-1123)".into());
    }
    Ok(())
}

/// One piece of a template word: literal text or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Label(String),
}

/// Splits text into literal runs and `{{label}}` placeholders.
fn pieces(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::Syntax("unclosed {{".into()))?;
        let name = after[..end].trim();
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(TemplateError::Syntax(format!(
                "bad placeholder {{{{{}}}}}",
                sanitize::escape(name)
            )));
        }
        out.push(Piece::Label(name.to_string()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Ok(out)
}

/// The labels a template uses, in order of first use.
pub fn placeholders(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut seen = Vec::new();
    for p in pieces(template)? {
        if let Piece::Label(l) = p
            && !seen.contains(&l)
        {
            seen.push(l);
        }
    }
    Ok(seen)
}

/// Every placeholder declared, present on the alert and valid: the values to substitute.
fn resolve(
    template: &str,
    declared: &[String],
    labels: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut values = BTreeMap::new();
    for l in placeholders(template)? {
        if !declared.contains(&l) {
            return Err(TemplateError::Undeclared(l));
        }
        let v = labels
            .get(&l)
            .ok_or_else(|| TemplateError::Missing(l.clone()))?;
        validate_value(&l, v)?;
        values.insert(l, v.clone());
    }
    Ok(values)
}

/// Renders a template as an argv without any shell: the template is split into words, then
/// each placeholder is replaced inside its word. The program (first word) may not contain a
/// placeholder, so a label can never choose what runs.
pub fn render_argv(
    template: &str,
    declared: &[String],
    labels: &BTreeMap<String, String>,
) -> Result<Vec<String>, TemplateError> {
    if let Some(why) = needs_shell(template) {
        return Err(TemplateError::Syntax(why));
    }
    let values = resolve(template, declared, labels)?;
    let words = shlex::split(template)
        .ok_or_else(|| TemplateError::Syntax("unbalanced quotes or trailing backslash".into()))?;
    if words.is_empty() {
        return Err(TemplateError::Syntax("empty command".into()));
    }
    if let Some(shell) = shell_program(&words) {
        return Err(TemplateError::Syntax(format!(
            "`{shell} -c` hides a script in an argument: mark the block shell=true instead"
        )));
    }
    let mut argv = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let mut out = String::new();
        for p in pieces(w)? {
            match p {
                Piece::Text(t) => out.push_str(&t),
                Piece::Label(l) if i == 0 => {
                    return Err(TemplateError::Syntax(format!(
                        "the program name may not come from a label ({{{{{l}}}}})"
                    )));
                }
                Piece::Label(l) => {
                    // `resolve` saw every placeholder, so the value is there.
                    let v = values.get(&l).ok_or(TemplateError::Missing(l))?;
                    out.push_str(v);
                }
            }
        }
        argv.push(out);
    }
    Ok(argv)
}

/// Why a template cannot run as a plain argv: several lines, or shell syntax (a pipe,
/// `;`, `&&`, `||`, `&`, a redirection, `$(...)`, `${...}`, backticks) outside single
/// quotes. The runbook must say `shell=true` for that; a block without it runs as argv,
/// where such text would silently mean something else than its author thought.
pub fn needs_shell(template: &str) -> Option<String> {
    let hint = "mark the block shell=true to run it through /bin/sh";
    if template.chars().any(|c| c == '\n' || c == '\r') {
        return Some(format!("several lines: {hint}, or write one command"));
    }
    let mut single = false;
    let mut double = false;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if single {
            single = c != '\'';
            continue;
        }
        let next = chars.peek().copied();
        let found = match c {
            '\\' => {
                chars.next();
                None
            }
            '\'' if !double => {
                single = true;
                None
            }
            '"' => {
                double = !double;
                None
            }
            '`' => Some("`...`".to_string()),
            '$' if matches!(next, Some('(' | '{')) => Some(format!("${}", next.unwrap_or('('))),
            '$' if next.is_some_and(|n| n.is_ascii_alphabetic() || n == '_') => {
                Some("$VARIABLE".to_string())
            }
            '|' | '&' | ';' | '<' | '>' if !double => {
                let mut tok = c.to_string();
                if next == Some(c) || (c == '>' && next == Some('&')) {
                    tok.extend(next);
                }
                Some(tok)
            }
            _ => None,
        };
        if let Some(tok) = found {
            return Some(format!("`{tok}` is shell syntax: {hint}"));
        }
    }
    None
}

/// `sh -c`, `bash -c` and the like at the start of an argv.
fn shell_program(words: &[String]) -> Option<String> {
    let program = words.first()?;
    let base = program.rsplit('/').next().unwrap_or(program);
    let shell = matches!(
        base,
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash" | "busybox"
    );
    (shell
        && words
            .iter()
            .skip(1)
            .any(|w| w.starts_with('-') && w.contains('c')))
    .then(|| base.to_string())
}

/// One value as a single literal shell word: validated values are quoted anyway, so even
/// a value the allow-lists would let through can never end the quote.
pub fn quote_for_shell(label: &str, v: &str) -> Result<String, TemplateError> {
    let q = shlex::try_quote(v).map_err(|e| invalid(label, v, e.to_string()))?;
    // shlex leaves "safe" words bare; quote them anyway so every value is one literal
    // word whatever surrounds it.
    if q == v {
        Ok(format!("'{v}'"))
    } else {
        Ok(q.into_owned())
    }
}

/// Renders a template for `sh -c`: every value is validated and then single-quoted, and a
/// placeholder inside a quoted part of the template is refused (quoting would not hold
/// there). Returns the script; run it as `["sh", "-c", script]`.
pub fn render_shell(
    template: &str,
    declared: &[String],
    labels: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    let values = resolve(template, declared, labels)?;
    check_placeholders_unquoted(template)?;
    let mut out = String::new();
    for p in pieces(template)? {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Label(l) => {
                let v = values.get(&l).ok_or(TemplateError::Missing(l.clone()))?;
                out.push_str(&quote_for_shell(&l, v)?);
            }
        }
    }
    Ok(out)
}

/// Substitutes validated values into plain text (a PromQL query): no splitting, no quoting;
/// the allow-lists already keep quotes, backslashes and braces out of values.
pub fn render_plain(
    template: &str,
    declared: &[String],
    labels: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    let values = resolve(template, declared, labels)?;
    let mut out = String::new();
    for p in pieces(template)? {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Label(l) => out.push_str(values.get(&l).ok_or(TemplateError::Missing(l))?),
        }
    }
    Ok(out)
}

/// Walks the template with POSIX quote rules and refuses `{{` inside quotes or after a
/// backslash.
fn check_placeholders_unquoted(template: &str) -> Result<(), TemplateError> {
    #[derive(PartialEq)]
    enum Q {
        None,
        Single,
        Double,
    }
    let mut q = Q::None;
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (&q, c) {
            (Q::None, '\\') | (Q::Double, '\\') => {
                // `\'value'` would escape the opening quote of the value.
                if template[i + 1..].starts_with("{{") {
                    return Err(TemplateError::Syntax(
                        "in a shell block a placeholder may not follow a backslash".into(),
                    ));
                }
                chars.next();
            }
            (Q::None, '\'') => q = Q::Single,
            (Q::Single, '\'') => q = Q::None,
            (Q::None, '"') => q = Q::Double,
            (Q::Double, '"') => q = Q::None,
            (Q::Single | Q::Double, '{') if template[i..].starts_with("{{") => {
                return Err(TemplateError::Syntax(
                    "in a shell block a placeholder may not sit inside quotes".into(),
                ));
            }
            _ => {}
        }
    }
    if q != Q::None {
        return Err(TemplateError::Syntax("unbalanced quotes".into()));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn decl(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_template_becomes_an_argv() {
        let argv = render_argv(
            "kubectl -n {{namespace}} scale deployment/{{deployment}} --replicas=12",
            &decl(&["namespace", "deployment"]),
            &labels(&[("namespace", "shop"), ("deployment", "cart")]),
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                "kubectl",
                "-n",
                "shop",
                "scale",
                "deployment/cart",
                "--replicas=12"
            ]
        );
    }

    #[test]
    fn quotes_in_the_template_are_the_authors_and_values_stay_one_word() {
        let argv = render_argv(
            "echo 'two words' {{tenant}}",
            &decl(&["tenant"]),
            &labels(&[("tenant", "acme")]),
        )
        .unwrap();
        assert_eq!(argv, ["echo", "two words", "acme"]);
    }

    #[test]
    fn undeclared_and_missing_labels_are_errors_never_empty() {
        let l = labels(&[("namespace", "shop")]);
        assert_eq!(
            render_argv("kubectl -n {{namespace}} get pods", &[], &l),
            Err(TemplateError::Undeclared("namespace".into()))
        );
        assert_eq!(
            render_argv(
                "kubectl -n {{ns}} get pods",
                &decl(&["ns"]),
                &BTreeMap::new()
            ),
            Err(TemplateError::Missing("ns".into()))
        );
        assert!(matches!(
            render_argv(
                "echo {{tenant}}",
                &decl(&["tenant"]),
                &labels(&[("tenant", "")])
            ),
            Err(TemplateError::Invalid { .. })
        ));
    }

    #[test]
    fn malformed_templates_are_refused() {
        let l = labels(&[("a", "x")]);
        let d = decl(&["a"]);
        for t in [
            "echo {{a",
            "echo {{}}",
            "echo {{a b}}",
            "echo 'unbalanced",
            "",
            "{{a}} --help",
            "x{{a}} y",
            "echo a\necho b",
        ] {
            assert!(
                matches!(render_argv(t, &d, &l), Err(TemplateError::Syntax(_))),
                "{t:?}"
            );
        }
    }

    /// Everything an attacker could put in an alert label to change what runs.
    pub(crate) const INJECTIONS: &[&str] = &[
        "shop; rm -rf /",
        "shop && reboot",
        "shop | sh",
        "$(reboot)",
        "`reboot`",
        "${IFS}reboot",
        "-rf",
        "--all",
        "--kubeconfig=/tmp/evil",
        "shop\nreboot",
        "shop\rreboot",
        "kube\u{200B}-system",
        "shop\u{202E}pohs",
        "shop\u{2066}x",
        "shop\u{FEFF}",
        "shop\u{00AD}",
        "shop\u{1b}[31m",
        "shop reboot",
        "shop'x",
        "shop\"x",
        "shop>out",
        "shop<in",
        "../../etc/passwd",
        "shop*",
        "shop?",
        "~root",
        "a,b=c",
        "shop\0",
    ];

    #[test]
    fn every_injection_is_refused_for_every_kind_of_label() {
        for label in ["namespace", "pod", "node", "tenant", "region"] {
            for bad in INJECTIONS {
                let l = labels(&[(label, bad)]);
                let t = format!("echo {{{{{label}}}}}");
                let err = render_argv(&t, &decl(&[label]), &l).unwrap_err();
                assert!(
                    matches!(err, TemplateError::Invalid { .. }),
                    "{label}={bad:?}: {err:?}"
                );
                assert!(
                    render_shell(&t, &decl(&[label]), &l).is_err(),
                    "shell {label}={bad:?}"
                );
                // The message itself is safe to draw.
                assert!(!err.to_string().chars().any(sanitize::is_hazard));
            }
        }
    }

    #[test]
    fn kubernetes_names_follow_dns_1123() {
        assert!(validate_value("namespace", "kube-system").is_ok());
        assert!(validate_value("namespace", "Kube").is_err());
        assert!(validate_value("namespace", "a.b").is_err());
        assert!(validate_value("namespace", "shop-").is_err());
        assert!(validate_value("namespace", &"a".repeat(63)).is_ok());
        assert!(validate_value("namespace", &"a".repeat(64)).is_err());
        assert!(validate_value("node", "ip-10-0-1-7.eu-west-1.compute.internal").is_ok());
        assert!(validate_value("node", "a..b").is_err());
        assert!(validate_value("pod", "cart-7d9f8-abcde").is_ok());
        assert!(validate_value("pod", &format!("{}.b", "a".repeat(252))).is_err());
    }

    #[test]
    fn other_labels_use_the_allow_list_and_a_length_cap() {
        assert!(validate_value("region", "eu-west-1").is_ok());
        assert!(validate_value("instance", "10.0.0.7:9100").is_ok());
        assert!(validate_value("severity", "P1").is_ok());
        assert!(validate_value("tenant", &"a".repeat(MAX_OTHER_LEN)).is_ok());
        assert!(validate_value("tenant", &"a".repeat(MAX_OTHER_LEN + 1)).is_err());
        assert!(validate_value("tenant", "é").is_err());
    }

    #[test]
    fn shell_blocks_quote_every_value() {
        let script = render_shell(
            "kubectl -n {{namespace}} get pods | grep {{tenant}}",
            &decl(&["namespace", "tenant"]),
            &labels(&[("namespace", "shop"), ("tenant", "acme:eu")]),
        )
        .unwrap();
        assert_eq!(script, "kubectl -n 'shop' get pods | grep 'acme:eu'");
        for t in [
            "echo \"{{tenant}}\"",
            "echo '{{tenant}}'",
            "echo \\{{tenant}}",
        ] {
            assert!(
                matches!(
                    render_shell(t, &decl(&["tenant"]), &labels(&[("tenant", "a")])),
                    Err(TemplateError::Syntax(_))
                ),
                "{t}"
            );
        }
    }

    #[test]
    fn shell_syntax_without_shell_true_is_refused_and_points_to_it() {
        let d = decl(&["namespace"]);
        let l = labels(&[("namespace", "shop")]);
        for t in [
            "kubectl -n {{namespace}} get pods | grep cart",
            "kubectl get pods; reboot",
            "kubectl get pods && reboot",
            "kubectl get pods || true",
            "sleep 10 &",
            "kubectl get pods > out",
            "kubectl get pods < in",
            "kubectl get pods 2>&1",
            "echo $(hostname)",
            "echo \"$(hostname)\"",
            "echo `hostname`",
            "echo ${HOME}",
            "echo $HOME",
            "sh -c 'kubectl get pods'",
            "/bin/bash -ec 'x'",
            "kubectl get pods\nkubectl get nodes",
        ] {
            let err = render_argv(t, &d, &l).unwrap_err();
            assert!(err.to_string().contains("shell=true"), "{t}: {err}");
        }
        // Inside single quotes it is the author's literal text, passed as one argument.
        assert_eq!(
            render_argv("echo 'a|b;c>d'", &d, &l).unwrap(),
            ["echo", "a|b;c>d"]
        );
        assert!(
            render_argv(
                "kubectl get pods -o 'jsonpath={.items[*].metadata.name}'",
                &d,
                &l
            )
            .is_ok()
        );
    }

    /// The quoting layer alone, without validation in front of it: whatever a value holds,
    /// a real `sh` sees one literal word and runs nothing of it.
    #[test]
    fn a_quoted_value_cannot_break_out_of_a_real_shell() {
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("pwned");
        let c = canary.display();
        let hostile = [
            format!("x'; touch {c}; echo '"),
            format!("$(touch {c})"),
            format!("`touch {c}`"),
            format!("x\"; touch {c}; echo \""),
            format!("x' && touch {c} #"),
            format!("a\nb; touch {c}"),
            "$HOME ${IFS} * ? ~ \\".to_string(),
        ];
        for v in &hostile {
            let script = format!("printf '%s' {}", quote_for_shell("tenant", v).unwrap());
            let out = std::process::Command::new("/bin/sh")
                .args(["-c", &script])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), *v, "{script}");
            assert!(!canary.exists(), "{v} broke out");
        }
    }

    #[test]
    fn placeholders_are_listed_once_in_order() {
        assert_eq!(
            placeholders("{{b}} {{ a }} {{b}}").unwrap(),
            vec!["b".to_string(), "a".to_string()]
        );
    }
}
