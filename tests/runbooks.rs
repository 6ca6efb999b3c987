//! Runbook parsing and lint: a good fixture, one broken variant per diagnostic (asserting
//! the message and the position), the shipped runbooks, and unsafe files on disk.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use warroom::runbook::lint::lint;
use warroom::runbook::load::{collect, load_file};
use warroom::runbook::parse::parse;
use warroom::runbook::{Block, CommandKind, Danger, Diagnostic, PrecheckKind, SectionKind};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name)
}

fn good() -> String {
    std::fs::read_to_string(fixture("good.md")).unwrap()
}

fn lint_text(text: &str) -> Vec<Diagnostic> {
    match parse("t", "t.md", text) {
        Ok(p) => lint(&p, today()),
        Err(d) => vec![d],
    }
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in text"))
        + 1
}

/// Applies `from → to` to the good fixture and expects exactly the diagnostic `code` at
/// `line` (and `col` when given) with a message containing `msg`.
fn expect(from: &str, to: &str, code: &str, msg: &str, at: &str, col: Option<usize>) {
    let base = good();
    assert!(base.contains(from), "fixture lacks {from:?}");
    let text = base.replacen(from, to, 1);
    let diags = lint_text(&text);
    let d = diags
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {diags:#?}"));
    assert!(d.message.contains(msg), "{code}: {}", d.message);
    assert_eq!(d.line, line_of(&text, at), "{code} line: {d}");
    if let Some(c) = col {
        assert_eq!(d.column, c, "{code} column: {d}");
    }
    assert!(d.to_string().starts_with(&format!("t.md:{}:", d.line)));
}

#[test]
fn the_good_fixture_is_clean_and_parsed_fully() {
    let p = parse("good", "good.md", &good()).unwrap();
    assert_eq!(lint(&p, today()), vec![]);
    let rb = &p.runbook;
    assert_eq!(rb.title, "Disk full");
    assert_eq!(rb.meta.alerts, vec!["DiskFull"]);
    assert_eq!(rb.meta.labels, vec!["namespace", "pod"]);
    let anchors: Vec<&str> = rb.steps.iter().map(|s| s.anchor.as_str()).collect();
    assert_eq!(
        anchors,
        [
            "alert",
            "is-it-real",
            "what-fills-it",
            "logs-grow",
            "data-grows",
            "rotate-logs",
            "expand-the-volume",
            "postmortem"
        ]
    );
    assert_eq!(rb.steps[1].section, SectionKind::Check);
    assert_eq!(rb.steps[1].pos.line, 18);
    let df = &rb.steps[1].commands[0];
    assert_eq!(df.kind, CommandKind::Check);
    assert_eq!(df.timeout, std::time::Duration::from_secs(10));
    assert_eq!(df.pos.line, 20);
    assert_eq!(
        df.code,
        "diskctl -n {{namespace}} exec {{pod}} -- df -h /data"
    );
    assert_eq!(rb.steps[2].branches[1].target, "data-grows");
    assert_eq!(rb.steps[2].branches[1].label, "Data");
    assert_eq!(rb.steps[2].branches[1].pos.line, 31);
    let expand = &rb.steps[6].commands[0];
    assert_eq!(expand.danger, Danger::High);
    assert_eq!(
        expand.safety_question.as_deref(),
        Some("Does the storage class allow expansion?")
    );
    assert_eq!(expand.prechecks[0].kind, PrecheckKind::Promql);
    assert!(
        expand
            .dry_run
            .as_deref()
            .unwrap()
            .contains("--dry-run=server")
    );
    assert!(matches!(rb.steps[0].body[0].block, Block::Paragraph(_)));
    assert_eq!(rb.steps[0].body[0].pos.line, 14);
    assert_eq!(rb.steps[1].body[0].pos.line, 20);
}

#[test]
fn each_broken_variant_points_at_the_problem() {
    let s = "\n## Check\n";
    expect(
        s,
        "\n",
        "missing-section",
        "`## Check` is missing",
        "## Diagnose",
        Some(1),
    );
    expect(
        "## Mitigate",
        "## postmortem\n\nEarly.\n\n## Mitigate",
        "duplicate-section",
        "`Postmortem` appears twice",
        "## Postmortem",
        None,
    );
    expect(
        "\n## Postmortem\n\nNot required for P2.\n",
        "",
        "missing-section",
        "`## Postmortem` is missing",
        "## Mitigate",
        None,
    );
    expect(
        "## Mitigate\n",
        "## Postmortem\n\nToo early.\n\n## Mitigate\n",
        "section-order",
        "section `Mitigate` comes after `Postmortem`",
        "## Mitigate",
        None,
    );
    expect(
        "(#logs-grow)",
        "(#logs-grew)",
        "dangling-anchor",
        "dangling anchor #logs-grew",
        "(#logs-grew)",
        Some(1),
    );
    expect(
        "**DiskFull** fires",
        "#### What fills it?\n\n**DiskFull** fires",
        "ambiguous-anchor",
        "anchor #what-fills-it is ambiguous: 2 headings",
        "(#what-fills-it)",
        None,
    );
    expect(
        "- Data: [data](#data-grows)\n",
        "",
        "unreachable-step",
        "no branch leads to step `Data grows`",
        "### Data grows",
        Some(1),
    );
    expect(
        "> **Safety:** Is nobody reading the current log file?\n",
        "",
        "missing-safety-check",
        "mitigation `rotate` has no safety check",
        "name=rotate",
        Some(1),
    );
    expect(
        "labels: [namespace, pod]",
        "labels: [namespace]",
        "undeclared-placeholder",
        "placeholder {{pod}} is not declared",
        "exec {{pod}} -- df",
        Some(31),
    );
    expect(
        "danger=low}",
        "dangr=low}",
        "unknown-attribute",
        "unknown attribute `dangr`",
        "dangr=low",
        Some(36),
    );
    expect(
        "### Data grows",
        "### logs grow",
        "duplicate-step",
        "duplicate step name `logs grow` (first at line 33)",
        "### logs grow",
        None,
    );
    expect(
        "Not required for P2.\n",
        "Not required for P2.\n\n```sh {name=oops kind=check}\nkubectl get pods\n",
        "unterminated-fence",
        "code fence is never closed",
        "name=oops",
        None,
    );
    expect(
        "last_reviewed: 2026-03-01\n",
        "",
        "missing-last-reviewed",
        "`last_reviewed` is missing",
        "---",
        None,
    );
    expect(
        "last_reviewed: 2026-03-01",
        "last_reviewed:",
        "missing-last-reviewed",
        "`last_reviewed` is missing",
        "last_reviewed:",
        Some(1),
    );
    expect(
        "last_reviewed: 2026-03-01",
        "last_reviewed: 2026-13-01",
        "bad-last-reviewed",
        "last_reviewed `2026-13-01` is not a date",
        "last_reviewed:",
        Some(1),
    );
    expect(
        "last_reviewed: 2026-03-01",
        "last_reviewed: 2025-10-01",
        "stale",
        "stale: last reviewed 2025-10-01, 164 days ago",
        "last_reviewed",
        None,
    );
    expect(
        "alerts: [DiskFull]\n",
        "",
        "missing-alert",
        "no alert binding",
        "---",
        None,
    );
    expect(
        "- Rotate: [rotate](#rotate-logs)",
        "```kube {kind=precheck}\nx\n```\n\n- Rotate: [rotate](#rotate-logs)",
        "orphan-precheck",
        "pre-check with no mitigation",
        "```kube",
        None,
    );
}

#[test]
fn a_cycle_with_no_way_out_is_an_error() {
    let text = good()
        .replace(
            "- Rotate: [rotate](#rotate-logs)",
            "- Again: [again](#what-fills-it)",
        )
        .replace(
            "- Expand: [expand](#expand-the-volume)",
            "- Back: [back](#logs-grow)",
        );
    let diags = lint_text(&text);
    let d = diags.iter().find(|d| d.code == "cycle").expect("cycle");
    assert_eq!(d.line, line_of(&text, "### Is it real?"));
    assert!(
        d.message
            .contains("branch cycle with no way out: #is-it-real → #what-fills-it → #logs-grow → #what-fills-it"),
        "{}",
        d.message
    );
    assert_eq!(diags.iter().filter(|d| d.code == "cycle").count(), 1);
}

#[test]
fn stale_is_a_warning_not_an_error() {
    let text = good().replace("2026-03-01", "2025-01-01");
    let diags = lint_text(&text);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    assert_eq!(diags.len(), 1);
}

#[test]
fn pathological_input_is_bounded() {
    let huge = "a".repeat(warroom::runbook::parse::MAX_BYTES + 1);
    let d = parse("h", "h.md", &huge).unwrap_err();
    assert_eq!(d.code, "too-large");
    // Deep nesting parses quickly and yields diagnostics, not a hang or a crash.
    let nested = format!("{}x\n", "> ".repeat(5000)) + &"- [".repeat(20_000);
    let started = std::time::Instant::now();
    let _ = lint_text(&nested);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn every_shipped_runbook_is_lint_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let files = collect(&[dir]).unwrap();
    assert!(files.len() >= 10, "{} runbooks", files.len());
    let today = chrono::Utc::now().date_naive();
    for (file, root) in files {
        let parsed = load_file(&file, root.as_deref()).unwrap();
        let diags = lint(&parsed, today);
        assert!(
            diags.is_empty(),
            "{}",
            diags
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let rb = &parsed.runbook;
        assert!(
            rb.steps
                .iter()
                .any(|s| s.section == SectionKind::Diagnose && !s.branches.is_empty()),
            "{}: a diagnose branch point",
            rb.id
        );
        assert!(
            rb.steps
                .iter()
                .flat_map(|s| &s.commands)
                .any(|c| c.kind == CommandKind::Mitigation && c.safety_question.is_some()),
            "{}: a safety-checked mitigation",
            rb.id
        );
    }
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("runbooks/postmortem-template.md")
            .is_file()
    );
}

#[test]
fn unsafe_files_on_disk_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let books = dir.path().join("runbooks");
    std::fs::create_dir(&books).unwrap();
    std::fs::write(
        books.join("bad-utf8.md"),
        b"---\nalerts: [X]\n---\n# T\n\xff\xfe oops\n",
    )
    .unwrap();
    let outside = dir.path().join("secret.md");
    std::fs::write(&outside, good()).unwrap();
    std::os::unix::fs::symlink(&outside, books.join("link.md")).unwrap();
    let files = collect(std::slice::from_ref(&books)).unwrap();
    let errs: Vec<Diagnostic> = files
        .iter()
        .map(|(f, root)| load_file(f, root.as_deref()).unwrap_err())
        .collect();
    assert_eq!(errs[0].code, "invalid-utf8");
    assert_eq!((errs[0].line, errs[0].column), (5, 1));
    assert!(errs[0].file.ends_with("bad-utf8.md"));
    assert_eq!(errs[1].code, "outside-dir");
    assert!(
        errs[1]
            .message
            .contains("symlink leads outside the runbooks directory")
    );
}

#[test]
fn the_console_loads_the_shipped_directory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let (books, problems) = warroom::runbook::load::load_dir(&dir, chrono::Utc::now().date_naive());
    assert_eq!(books.len(), 10);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        books
            .iter()
            .all(|b| !b.path.ends_with("postmortem-template.md"))
    );
}

#[test]
fn tables_show_as_rows_and_html_blocks_are_hidden() {
    let text = "---\nalerts: [X]\nlast_reviewed: 2026-03-01\n---\n## Alert\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<!-- hidden -->\n\nAfter.\n";
    let p = parse("t", "t.md", text).unwrap();
    let rows: Vec<String> = p.runbook.steps[0]
        .body
        .iter()
        .map(|b| match &b.block {
            Block::Paragraph(inl) => warroom::runbook::parse::plain(inl),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(rows, ["a │ b │ ", "1 │ 2 │ ", "After."]);
}

#[test]
fn shell_syntax_needs_shell_true() {
    expect(
        "diskctl -n {{namespace}} exec {{pod}} -- df -h /data",
        "diskctl -n {{namespace}} exec {{pod}} -- df -h /data | tail -1",
        "shell-syntax",
        "mark the block shell=true",
        "```sh {name=df",
        None,
    );
    // With the attribute the same block is clean, and parsed as a shell block.
    let text = good()
        .replace("-- df -h /data", "-- df -h /data | tail -1")
        .replace("{name=df kind=check", "{name=df kind=check shell=true");
    assert!(lint_text(&text).iter().all(|d| d.code != "shell-syntax"));
    let p = parse("t", "t.md", &text).unwrap();
    assert!(p.runbook.steps[1].commands[0].shell);
}

#[test]
fn auto_is_only_for_read_only_checks() {
    expect(
        "{name=rotate kind=mitigation danger=low}",
        "{name=rotate kind=mitigation danger=low auto=true}",
        "auto-mutating",
        "only for read-only checks",
        "{name=rotate",
        None,
    );
    expect(
        "{name=df kind=check timeout=10s}\ndiskctl -n {{namespace}} exec {{pod}} -- df -h /data",
        "{name=df kind=check auto=true}\nkubectl -n {{namespace}} delete pod {{pod}}",
        "auto-mutating",
        "not known to only read",
        "{name=df",
        None,
    );
    let text = good()
        .replace("{name=df kind=check", "{name=df kind=check auto=true")
        .replace(
            "diskctl -n {{namespace}} exec {{pod}} -- df -h /data",
            "kubectl -n {{namespace}} get pod {{pod}}",
        );
    assert_eq!(lint_text(&text), vec![]);
}

const MANIFEST: &str = "```yaml {name=kill kube=create danger=high}
apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata:
  name: kill-{{pod}}
  namespace: {{namespace}}
spec:
  action: pod-kill
  mode: one
  selector:
    namespaces: [{{namespace}}]
```

> **Safety:** Is this a game day?

```promql {kind=precheck}
up == 1
```
";

#[test]
fn manifest_blocks_are_mitigations_and_must_hold_a_known_manifest() {
    let with = |m: &str| good().replace("## Postmortem", &format!("{m}\n## Postmortem"));
    let text = with(MANIFEST);
    assert_eq!(lint_text(&text), vec![], "{text}");
    let p = parse("t", "t.md", &text).unwrap();
    let c = p
        .runbook
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .find(|c| c.name == "kill")
        .unwrap();
    assert_eq!(c.kind, CommandKind::Mitigation);
    assert_eq!(c.kube, Some(warroom::runbook::KubeVerb::Create));
    for (from, to, msg) in [
        (
            "kind: PodChaos",
            "kind: Deployment",
            "not one the console can create",
        ),
        ("  namespace: {{namespace}}\n", "", "metadata.namespace"),
        (
            "[{{namespace}}]",
            "[{{namespace}}, kube-system]",
            "selector.namespaces",
        ),
        ("```yaml {name=kill", "```sh {name=kill", "YAML manifest"),
    ] {
        let diags = lint_text(&with(&MANIFEST.replace(from, to)));
        assert!(
            diags
                .iter()
                .any(|d| d.code == "bad-manifest" && d.message.contains(msg)),
            "{from}: {diags:#?}"
        );
    }
    let diags = lint_text(&with(
        &MANIFEST.replace("kube=create", "kube=create kind=check"),
    ));
    assert!(
        diags.iter().any(|d| d.code == "bad-attribute"),
        "{diags:#?}"
    );
}

#[test]
fn kubectl_the_console_would_refuse_is_a_lint_error() {
    for code in [
        "kubectl -n {{namespace}} exec {{pod}} -- df -h /data",
        "/usr/bin/kubectl -n {{namespace}} rollout undo deployment/data",
        "kubectl --context=prod -n {{namespace}} get pods",
        "kubectl -shttps://other -n {{namespace}} get pods",
        "env kubectl -n {{namespace}} get pods",
        "kubectl drain {{pod}} --ignore-daemonsets",
    ] {
        let text = good().replace("diskctl -n {{namespace}} exec {{pod}} -- df -h /data", code);
        let d = lint_text(&text);
        assert!(
            d.iter()
                .any(|d| d.code == "unsupported-kubectl" && d.message.contains("`df`")),
            "{code}: {d:?}"
        );
    }
    // In a shell block kubectl that changes something is refused, and so is kubectl the
    // console cannot pin to the checked cluster (behind another program, by a path).
    let shell = good().replace("{name=df kind=check", "{name=df kind=check shell=true");
    for script in [
        "kubectl -n {{namespace}} get pods -o name | xargs kubectl -n {{namespace}} delete",
        "kubectl -n {{namespace}} get pods -o name | xargs kubectl -n {{namespace}} describe",
        "/usr/local/bin/kubectl -n {{namespace}} get pods | grep -c Running",
        "sh -c 'kubectl -n {{namespace}} get pods'",
    ] {
        let text = shell.replace(
            "diskctl -n {{namespace}} exec {{pod}} -- df -h /data",
            script,
        );
        assert!(
            lint_text(&text)
                .iter()
                .any(|d| d.code == "unsupported-kubectl"),
            "{script}"
        );
    }
    let text = shell.replace(
        "diskctl -n {{namespace}} exec {{pod}} -- df -h /data",
        "kubectl -n {{namespace}} get pods | grep -c Running",
    );
    assert!(
        lint_text(&text)
            .iter()
            .all(|d| d.code != "unsupported-kubectl")
    );
}
