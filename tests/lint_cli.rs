//! `warroom lint` as a user runs it: exit codes, compiler-style lines, JSON.

use std::path::Path;
use std::process::Command;

fn lint(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("lint")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "WARROOM_CONFIG",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/empty-config.yaml"),
        )
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shipped_runbooks_pass() {
    let (code, out, err) = lint(&["runbooks/"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("12 files checked: 0 errors, 0 warnings"),
        "{out}"
    );
    // With no paths, ./runbooks is the default.
    assert_eq!(lint(&[]).0, 0);
}

#[test]
fn a_broken_runbook_exits_1_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/catalog-p99-latency.md"),
    )
    .unwrap()
    .replace("(#database-slow)", "(#database-slo)");
    let file = dir.path().join("catalog-p99-latency.md");
    std::fs::write(&file, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("#database-slo)"))
        .unwrap()
        + 1;
    let f = file.to_str().unwrap();
    let (code, out, _) = lint(&[f]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{f}:{line}:1: error: dangling anchor #database-slo: no step has it"
        )),
        "{out}"
    );
    assert!(out.contains("hint: did you mean #database-slow?"), "{out}");
    let (code, json, _) = lint(&["--format", "json", f]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["code"], "dangling-anchor");
    assert_eq!(v[0]["line"], line);
    assert_eq!(v[0]["level"], "error");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = lint(&["/no/such/dir"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn two_runbooks_for_one_alert_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/tls-cert-expiry.md"),
    )
    .unwrap();
    std::fs::write(dir.path().join("a.md"), &text).unwrap();
    std::fs::write(dir.path().join("b.md"), &text).unwrap();
    let (code, out, _) = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("b.md:2:1: warning: alert TLSCertificateExpiresSoon is also answered by"),
        "{out}"
    );
    assert_eq!(
        lint(&["--deny-warnings", dir.path().to_str().unwrap()]).0,
        1
    );
}

#[test]
fn game_day_files_are_linted_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let gamedays = dir.path().join("gamedays");
    std::fs::create_dir_all(&gamedays).unwrap();
    let text = crate::gameday::GAMEDAY
        .replace(
            "hypothesis: The shop keeps its 5xx ratio under 5 % while one cart or db pod misbehaves.\n",
            "",
        )
        .replace("  max_pods: 2\n", "")
        .replace("        mode: one\n        duration: 45s", "        mode: all\n        duration: 45s")
        .replace("          namespaces: [shop]\n          labelSelectors:\n            app: cart\n        stressors", "          namespaces: [payments]\n          labelSelectors:\n            app: cart\n        stressors");
    let file = gamedays.join("shop-chaos.yaml");
    std::fs::write(&file, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let f = file.to_str().unwrap();
    let (code, out, _) = lint(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{f}:1:1: error: no hypothesis")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{f}:{}:1: error: the boundary has no max_pods",
            line_of("boundary:")
        )),
        "{out}"
    );
    // Without max_pods the manifests cannot be checked yet; with it, they are.
    let text = text.replace("  namespace: shop\n", "  namespace: shop\n  max_pods: 1\n");
    std::fs::write(&file, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let (code, out, _) = lint(&[f]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{f}:{}:9: error: experiment delay-db: spec.mode all hits a share",
            line_of("mode: all")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{f}:{}:11: error: experiment stress-cart: spec.selector.namespaces names \"payments\", outside the boundary's namespace shop",
            line_of("namespaces: [payments]")
        )),
        "{out}"
    );
    assert!(out.contains("hint: write namespaces: [shop]"), "{out}");
    let (_, json, _) = lint(&["--format", "json", f]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "outside-boundary"),
        "{json}"
    );
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "missing-hypothesis"),
        "{json}"
    );
    // A clean file passes.
    std::fs::write(
        &file,
        crate::gameday::GAMEDAY.replace("observation_window: 2m", "observation_window: 10m"),
    )
    .unwrap();
    let (code, out, _) = lint(&[f]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 file checked: 0 errors, 0 warnings"),
        "{out}"
    );
}

/// A runbooks directory in a temp dir: the shipped failover runbook and drill.
fn drill_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.path().join("runbooks/drills")).unwrap();
    for f in ["dr-region-failover.md", "drills/dr-cross-region.yaml"] {
        std::fs::copy(
            root.join("runbooks").join(f),
            dir.path().join("runbooks").join(f),
        )
        .unwrap();
    }
    dir
}

#[test]
fn drill_files_are_linted_with_the_runbooks_they_use() {
    let dir = drill_dir();
    let drill = dir.path().join("runbooks/drills/dr-cross-region.yaml");
    let text = std::fs::read_to_string(&drill)
        .unwrap()
        .replace("rpo: 5m", "rpo: 0s")
        .replace("step: fail-over-dns", "step: fail-over-dsn")
        .replace(
            "runbook: dr-region-failover\n    step: promote",
            "runbook: dr-region-failovr\n    step: promote",
        )
        .replace(
            "      - ask: Is only one availability zone affected?",
            "      - ask: \"\"",
        )
        .replace("at: start of phase 3", "at: end of phase 9");
    std::fs::write(&drill, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let runbooks = dir.path().join("runbooks");
    let (code, out, err) = lint(&[runbooks.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let f = drill.display().to_string();
    for expected in [
        format!(
            "{f}:{}:3: error: the RPO target must be more than zero [target-not-positive]",
            line_of("rpo: 0s")
        ),
        format!(
            "{f}:{}:5: error: phase 2: runbook `dr-region-failover` has no step #fail-over-dsn [unknown-step]",
            line_of("fail-over-dsn")
        ),
        "  hint: did you mean #fail-over-dns?".to_string(),
        format!(
            "{f}:{}:5: error: phase 3: no runbook `dr-region-failovr` in the runbooks directory [unknown-runbook]",
            line_of("failovr")
        ),
        "  hint: did you mean `dr-region-failover`?".to_string(),
        format!(
            "{f}:{}:7: error: guard 2 of phase 2 asks nothing [empty-guard]",
            line_of("ask: \"\"")
        ),
        format!(
            "{f}:{}:3: error: `end of phase 9` names phase 9, but the drill has 4 phases [rpo-moment]",
            line_of("end of phase 9")
        ),
        "2 files checked: 5 errors, 0 warnings".to_string(),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in\n{out}");
    }
    let (_, json, _) = lint(&["--format", "json", drill.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "target-not-positive",
            "unknown-step",
            "empty-guard",
            "unknown-runbook",
            "rpo-moment"
        ]
    );
}

#[test]
fn a_phase_names_only_commands_its_runbook_has() {
    let dir = drill_dir();
    let drill = dir.path().join("runbooks/drills/dr-cross-region.yaml");
    let text = std::fs::read_to_string(&drill)
        .unwrap()
        .replace("commands: [dr-health]", "commands: [dr-healt]")
        .replace(
            "  - name: DNS failover\n    target: 4m\n    runbook: dr-region-failover\n    step: fail-over-dns\n    commands: [dns-failover]\n",
            "  - name: DNS failover\n    target: 4m\n    commands:\n      - dns-failover\n",
        );
    assert!(text.contains("[dr-healt]") && text.contains("      - dns-failover"));
    std::fs::write(&drill, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let (code, out, err) = lint(&[drill.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let f = drill.display().to_string();
    for expected in [
        format!(
            "{f}:{}:5: error: phase 2 lists commands but no runbook to find them in [missing-runbook]",
            text.lines().position(|l| l == "    commands:").unwrap() + 1
        ),
        format!(
            "{f}:{}:5: error: phase 4: runbook `dr-region-failover` has no command `dr-healt` [unknown-command]",
            line_of("[dr-healt]")
        ),
        "  hint: did you mean `dr-health`?".to_string(),
        "1 file checked: 2 errors, 0 warnings".to_string(),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in\n{out}");
    }
}

#[test]
fn a_bad_drill_file_or_log_is_an_error_with_its_position() {
    let dir = drill_dir();
    let drills = dir.path().join("runbooks/drills");
    let drill = drills.join("dr-cross-region.yaml");
    let text = std::fs::read_to_string(&drill)
        .unwrap()
        .replace("  rto: 30m\n", "");
    std::fs::write(&drill, &text).unwrap();
    std::fs::write(
        drills.join("drill-log.md"),
        "# Drill log\n\n## entry\n\n- drill: x\n",
    )
    .unwrap();
    let (code, out, _) = lint(&[dir.path().join("runbooks").to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let line = text.lines().position(|l| l == "targets:").unwrap() + 2;
    assert!(
        out.contains(&format!(
            "{}:{line}:3: error: targets: missing field `rto` [invalid-drill]",
            drill.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}:3:1: error: the entry lacks `- name: ...` [drill-log]",
            drills.join("drill-log.md").display()
        )),
        "{out}"
    );
    assert!(
        out.contains("3 files checked: 2 errors"),
        "the log is not taken for a runbook: {out}"
    );
    // Only warnings: the phases' targets add up to more than the RTO.
    let ok = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/drills/dr-cross-region.yaml"),
    )
    .unwrap()
    .replace("target: 8m", "target: 28m");
    std::fs::write(&drill, ok).unwrap();
    let (code, out, _) = lint(&[drill.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning: the phase targets add up to 40m, more than the RTO target 30m [phases-exceed-rto]"), "{out}");
    assert_eq!(lint(&["--deny-warnings", drill.to_str().unwrap()]).0, 1);
}

#[test]
fn the_configured_drill_log_is_linted_wherever_it_is() {
    let dir = drill_dir();
    let ops = dir.path().join("ops");
    std::fs::create_dir_all(&ops).unwrap();
    let log = ops.join("drill-history.md");
    std::fs::write(&log, "# Drills\n\n## entry\n\n- drill: x\n").unwrap();
    let cfg = dir.path().join("warroom.yaml");
    std::fs::write(
        &cfg,
        "runbooks_dir: runbooks\ndrill_log: ops/drill-history.md\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .arg("--config")
            .arg(&cfg)
            .arg("lint")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let finding = format!(
        "{}:3:1: error: the entry lacks `- name: ...` [drill-log]",
        log.canonicalize().unwrap_or(log.clone()).display()
    );
    let finding_plain = format!(
        "{}:3:1: error: the entry lacks `- name: ...` [drill-log]",
        log.display()
    );
    // The config's runbooks: the log is checked too, though it is outside them.
    let (code, out) = run(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&finding) || out.contains(&finding_plain),
        "{out}"
    );
    // Named, it is read as a drill log, not as a runbook.
    let (code, out) = run(&["ops/drill-history.md"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[drill-log]"), "{out}");
    assert!(!out.contains("missing-section"), "{out}");
    assert!(out.contains("1 file checked"), "{out}");
    // A directory that does not hold it: not checked.
    let (code, out) = run(&["runbooks"]);
    assert_eq!(code, 0, "{out}");
}
