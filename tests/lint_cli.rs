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
        out.contains("10 files checked: 0 errors, 0 warnings"),
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
