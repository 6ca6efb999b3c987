//! The incident journal end to end, with the real binary in pseudo-terminals: resume after
//! SIGKILL, a second console opening read-only, `follow` beside a writer, crashes at random
//! moments, and `postmortem` from what was recorded.

use std::path::Path;
use std::process::Command;

use crate::support::pty::{Key, Session, SessionBuilder, TIMEOUT};

/// A console on the demo whose incident data lives in `data` (shared across restarts).
fn console(data: &Path, args: &[&str]) -> Session {
    let config = data.join("config");
    std::fs::create_dir_all(config.join("warroom")).unwrap();
    std::fs::write(config.join("warroom/config.yaml"), "user: tester\n").unwrap();
    SessionBuilder::warroom()
        .args(args)
        .size(120, 40)
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", &config)
        .spawn()
}

/// The lines of the one incident journal under `data`.
pub(crate) fn journal_lines(data: &Path) -> Vec<String> {
    let root = data.join("warroom/incidents");
    // A drill's start lock (`.drill-NAME/`) sits beside the journals.
    let dir = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("journal.jsonl").is_file())
        .expect("an incident dir");
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn ready(s: &Session) {
    s.wait_for("the demo incident and the drill clock", TIMEOUT, |sc| {
        let t = sc.contents();
        t.contains("INCIDENT") && t.contains("T+ ")
    });
}

#[test]
fn everything_is_where_it_was_after_sigkill() {
    let data = tempfile::tempdir().unwrap();
    let mut s = console(data.path(), &["--demo"]);
    ready(&s);
    s.send_keys(&[Key::Enter, Key::Enter]);
    s.send("2a");
    s.wait_for_text("A single flapping target");
    s.wait_for_text("✓ tester");
    s.send("i");
    s.wait_for_text("Note for the incident journal");
    s.send("action: alert on scrape gaps @dave due:2026-12-01 ticket:OPS-7");
    s.send_key(Key::Enter);
    s.wait_for_text("notes 1 (actions 1)");
    let id = |text: &str| {
        text.split_whitespace()
            .find(|w| w.starts_with("demo-"))
            .map(String::from)
    };
    let t_before = id(&s.screen_text());
    assert!(t_before.is_some());
    s.signal("KILL");
    s.wait_exit(TIMEOUT);

    let s = console(data.path(), &["--demo"]);
    ready(&s);
    s.wait_for_text("A single flapping target");
    s.wait_for_text("✓ tester");
    s.wait_for_text("notes 1 (actions 1)");
    let after = s.screen_text();
    assert_eq!(id(&after), t_before, "same incident");
    assert!(after.contains("Step 3/"), "same runbook step:\n{after}");
    let lines = journal_lines(data.path());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"type\":\"note\"") && l.contains("\"owner\":\"dave\""))
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("incident_opened"))
            .count(),
        1,
        "resumed, not reopened"
    );
}

#[test]
fn a_second_console_opens_read_only_and_says_who_holds_the_incident() {
    let data = tempfile::tempdir().unwrap();
    let writer = console(data.path(), &["--demo"]);
    ready(&writer);
    let second = console(data.path(), &["--demo"]);
    second.wait_for_text("FOLLOWING");
    second.wait_for_text("read-only: held by tester on ");
    second.send("a");
    second.wait_for_text("Read-only:");
    // The writer is not blocked: it still records.
    writer.send_keys(&[Key::Enter]);
    writer.wait_for_text("Step 1/");
    second.wait_for_text("Step 1/");
}

#[test]
fn follow_shows_the_writers_steps_live() {
    let data = tempfile::tempdir().unwrap();
    let writer = console(data.path(), &["--demo"]);
    ready(&writer);
    let follower = console(data.path(), &["follow"]);
    follower.wait_for_text("FOLLOWING");
    writer.send_keys(&[Key::Enter, Key::Enter]);
    writer.send("1");
    writer.wait_for_text("Where is the time going?");
    follower.wait_for_text("Where is the time going?");
    writer.send("3");
    follower.wait_for_text("One tenant's traffic spiked");
    follower.send("2");
    follower.wait_for_text("Read-only:");
}

#[test]
fn random_kills_lose_nothing_that_was_shown() {
    let data = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x00c0_ffee_1234_5678;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut records_seen = 0;
    for round in 0..4 {
        let mut s = console(data.path(), &["--demo"]);
        ready(&s);
        if round == 0 {
            s.send_keys(&[Key::Enter]);
            s.wait_for_text("Step 1/");
        }
        // A burst of walking: enter, branches, back; killed at a random moment within it.
        for _ in 0..(5 + rand(20)) {
            let k = ["\r", "1", "2", "\x7f"][rand(4) as usize];
            s.send(k);
        }
        std::thread::sleep(std::time::Duration::from_millis(rand(120)));
        s.signal("KILL");
        s.wait_exit(TIMEOUT);
        let lines = journal_lines(data.path());
        assert!(
            lines.len() >= records_seen,
            "round {round}: records lost ({} < {records_seen})",
            lines.len()
        );
        records_seen = lines.len();
    }
    // The survivor of all that starts, resumes, and still writes.
    let s = console(data.path(), &["--demo"]);
    ready(&s);
    s.wait_for_text("Step ");
    s.send("i");
    s.wait_for_text("Note for the incident journal");
    s.send("after the storm\r");
    s.wait_for_text("notes 1");
    assert!(
        journal_lines(data.path())
            .last()
            .is_some_and(|l| l.contains("after the storm"))
    );
}

#[test]
fn postmortem_writes_a_complete_draft() {
    let data = tempfile::tempdir().unwrap();
    let mut s = console(data.path(), &["--demo"]);
    ready(&s);
    s.send_keys(&[Key::Enter, Key::Enter]);
    s.send("1a");
    s.wait_for_text("Where is the time going?");
    s.wait_for_text("✓ tester");
    s.send("q");
    s.wait_for_text("Quit?");
    s.send("y");
    s.wait_exit(TIMEOUT);
    let out = data.path().join("pm.md");
    let status = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["postmortem", "-o"])
        .arg(&out)
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", data.path().join("config"))
        .current_dir(data.path())
        .status()
        .unwrap();
    assert!(status.success());
    let pm = std::fs::read_to_string(&out).unwrap();
    for part in [
        "# Postmortem: Catalog p99 latency for acme-books (demo)",
        "## Summary",
        "## Impact",
        "## Timeline (UTC)",
        "Alert firing: CatalogP99LatencyHigh (P1, tenant=acme-books, region=us-east)",
        "Runbook opened: catalog-p99-latency",
        "chose 1 → #where-is-the-time-going",
        "Alert acknowledged: CatalogP99LatencyHigh",
        "## Root cause",
        "## Why we did not catch it earlier",
        "## Action items",
        "## Lessons",
    ] {
        assert!(pm.contains(part), "missing {part:?} in:\n{pm}");
    }
    assert!(!pm.contains("{{"), "every placeholder filled:\n{pm}");
    let timeline = &pm[pm.find("## Timeline").unwrap()..pm.find("## Root cause").unwrap()];
    assert!(
        !timeline.contains("tester"),
        "blameless: the timeline names actions, not people:\n{timeline}"
    );
}
