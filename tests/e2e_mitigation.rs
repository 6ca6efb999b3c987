//! A mitigation end to end in a pseudo-terminal: the demo's alert, its runbook, the scale
//! step, the prompt with a typed confirmation, the output, the journal records, and
//! `warroom audit` reading them back.

use std::process::Command;

use crate::support::pty::{Key, SessionBuilder, TIMEOUT};

use crate::e2e_incident::journal_lines;

#[test]
fn scale_out_with_a_typed_confirmation_is_journaled_and_audited() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("config");
    std::fs::create_dir_all(config.join("warroom")).unwrap();
    std::fs::write(config.join("warroom/config.yaml"), "user: tester\n").unwrap();
    let mut s = SessionBuilder::warroom()
        .args(["--demo"])
        .size(120, 40)
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", &config)
        .spawn();
    s.wait_for("the demo incident", TIMEOUT, |sc| {
        sc.contents().contains("INCIDENT")
    });
    s.send_keys(&[Key::Enter, Key::Enter]);
    s.wait_for_text("Is it real?");
    s.send("1");
    s.wait_for_text("Where is the time going?");
    s.send("1");
    s.wait_for_text("Catalog pods saturated");
    s.send("1");
    s.wait_for_text("Scale out the catalog");
    s.send("x");
    s.wait_for_text("Run this mitigation?");
    s.wait_for_text("scale deployment/catalog in catalog to 12 replicas");
    s.wait_for_text("type the target's name (catalog)");
    // Enter alone does nothing: the prompt is still open after it, and what is typed next
    // (keys are read in order) goes into its answer.
    s.send_key(Key::Enter);
    s.send("cat");
    s.wait_for(
        "the prompt still open, with the answer typed so far",
        TIMEOUT,
        |sc| {
            let text = sc.contents();
            text.contains("Run this mitigation?") && text.contains("> cat▏")
        },
    );
    assert!(!s.screen_text().contains("Not confirmed"));
    s.send("alog");
    s.send_key(Key::Enter);
    // Zoomed, the pane has room for the output under the step (the check output is there too).
    s.send("z");
    s.wait_for_text("scaled from 8 to 12 replicas");
    s.wait_for_text("succeeded");
    // The screen shows the end at once; the outcome record follows once it is fsynced.
    let deadline = std::time::Instant::now() + TIMEOUT;
    let mut lines = journal_lines(data.path());
    while !lines.iter().any(|l| l.contains("mitigation_outcome"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
        lines = journal_lines(data.path());
    }
    let intent = lines
        .iter()
        .position(|l| l.contains("\"type\":\"mitigation_intent\""))
        .expect("intent recorded");
    let outcome = lines
        .iter()
        .position(|l| l.contains("\"type\":\"mitigation_outcome\""))
        .expect("outcome recorded");
    assert!(intent < outcome);
    assert!(lines[intent].contains("\"by\":\"tester\""));
    assert!(lines[outcome].contains("\"outcome\":\"succeeded\""));
    s.send("q");
    s.wait_for_text("Quit?");
    s.send("y");
    s.wait_exit(TIMEOUT);

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["audit"])
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tester  mitigation"), "{text}");
    assert!(
        text.contains("catalog-p99-latency / scale-catalog"),
        "{text}"
    );
    assert!(
        text.contains("kube:      scale deployment/catalog in catalog to 12 replicas"),
        "{text}"
    );
    assert!(text.contains("outcome: succeeded (exit 0"), "{text}");
    // The pre-check as planned, and its result as it was when confirmed.
    assert!(
        text.contains("    pre-check: promql sum(kube_node_status_allocatable{resource=\"cpu\"})"),
        "{text}"
    );
    assert!(
        text.contains(
            "    checked: ok   promql sum(kube_node_status_allocatable{resource=\"cpu\"})"
        ),
        "{text}"
    );
}
