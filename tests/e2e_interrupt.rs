//! The console ending while a mitigation runs, with the real binary in a pseudo-terminal:
//! SIGHUP and SIGTERM kill the command's process group and record an `interrupted` outcome
//! before exit; after SIGKILL the next start records it with its effect unknown and says so;
//! a console killed at the confirmation prompt runs and records nothing. Also the demo's
//! `auto=true` check, which runs by itself when its step is shown.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e::assert_terminal_restored;
use crate::e2e_incident::journal_lines;
use crate::support::pty::{Key, Session, SessionBuilder, TIMEOUT};

const RUNBOOK: &str = r#"---
alerts: [SleepTest]
last_reviewed: 2026-11-20
---

# Sleep test

## Alert

A test runbook whose mitigation takes a long time.

## Check

### Is it there?

```sh {name=true-check kind=check}
true
```

## Diagnose

### Nothing to diagnose

Go on.

## Mitigate

### Sleep a while

```sh {name=long-sleep kind=mitigation shell=true timeout=10m}
echo pid "$$:ok"; exec sleep 300
```

> **Safety:** Is a long sleep fine?

## Postmortem

None.
"#;

/// A live console (no Alertmanager) whose runbooks directory holds the sleep runbook.
fn live(data: &Path) -> Session {
    let config = data.join("config");
    let runbooks = data.join("runbooks");
    std::fs::create_dir_all(config.join("warroom")).unwrap();
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::write(runbooks.join("sleep-test.md"), RUNBOOK).unwrap();
    std::fs::write(
        config.join("warroom/config.yaml"),
        format!("user: tester\nrunbooks_dir: {}\n", runbooks.display()),
    )
    .unwrap();
    SessionBuilder::warroom()
        .size(120, 40)
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", &config)
        .env("KUBECONFIG", data.join("no-kubeconfig"))
        .spawn()
}

/// Opens an incident, opens the sleep runbook, walks to its mitigation and asks to run it:
/// the prompt is open when this returns.
fn at_the_prompt(s: &Session) {
    s.wait_for_text("? help");
    s.send("I");
    s.wait_for_text("Open an incident?");
    s.send("y");
    s.wait_for_text("INCIDENT");
    s.send("f");
    s.send("sleep");
    s.send_key(Key::Enter);
    s.wait_for_text("Step 1/5");
    s.send("]]]");
    s.wait_for_text("Sleep a while");
    s.send("z");
    s.send("x");
    s.wait_for_text("Run this mitigation?");
    s.wait_for_text("runs through /bin/sh");
}

/// Confirms and waits for the command to say its pid (also its process group).
fn confirm_and_get_pid(s: &Session) -> i32 {
    s.send("y");
    // The output line `pid 1234:ok` (the command text on screen reads `pid "$$:ok"`).
    let pid = |text: &str| -> Option<i32> {
        text.split("pid ")
            .skip(1)
            .find_map(|t| t.split_once(":ok").and_then(|(n, _)| n.parse().ok()))
    };
    s.wait_for("the command's pid", TIMEOUT, |sc| {
        pid(&sc.contents()).is_some()
    });
    let text = s.screen_text();
    pid(&text).unwrap_or_else(|| panic!("no pid on screen:\n{text}"))
}

/// A live (not zombie) process in group `pgid`, if any.
fn group_member(pgid: i32) -> Option<PathBuf> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // Fields after the `(comm)`: state, ppid, pgrp.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        (f.first() != Some(&"Z") && f.get(2)?.parse::<i32>().ok()? == pgid).then(|| e.path())
    })
}

fn assert_group_gone(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Some(p) = group_member(pgid) {
        assert!(
            Instant::now() < deadline,
            "process group {pgid} survived: {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The mitigation records, in journal order, as (type, line).
fn mitigation_records(data: &Path) -> Vec<String> {
    journal_lines(data)
        .into_iter()
        .filter(|l| l.contains("\"type\":\"mitigation_"))
        .collect()
}

fn interrupted_on(sig: &str, code: u32, why: &str) {
    let data = tempfile::tempdir().unwrap();
    let mut s = live(data.path());
    at_the_prompt(&s);
    let pid = confirm_and_get_pid(&s);
    assert!(group_member(pid).is_some(), "the command runs");
    s.signal(sig);
    let status = s.wait_exit(TIMEOUT);
    assert_eq!(
        crate::support::pty::shell_status(&status),
        Some(code),
        "{status:?}"
    );
    assert_terminal_restored(&s);
    assert_group_gone(pid);
    let recs = mitigation_records(data.path());
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert!(
        recs[0].contains("\"type\":\"mitigation_intent\""),
        "{}",
        recs[0]
    );
    assert!(
        recs[1].contains("\"type\":\"mitigation_outcome\""),
        "{}",
        recs[1]
    );
    assert!(
        recs[1].contains("\"outcome\":\"interrupted: ") && recs[1].contains(why),
        "{}",
        recs[1]
    );
}

#[test]
fn sighup_mid_command_kills_the_group_and_records_interrupted() {
    interrupted_on("HUP", 129, "SIGHUP");
}

#[test]
fn sigterm_mid_command_kills_the_group_and_records_interrupted() {
    interrupted_on("TERM", 143, "SIGTERM");
}

#[test]
fn after_sigkill_mid_command_the_next_start_records_an_unknown_outcome_and_warns() {
    let data = tempfile::tempdir().unwrap();
    let mut s = live(data.path());
    at_the_prompt(&s);
    let pid = confirm_and_get_pid(&s);
    s.signal("KILL");
    s.wait_exit(TIMEOUT);
    // The command dies with the console (parent-death signal), group and all.
    assert_group_gone(pid);
    let recs = mitigation_records(data.path());
    assert_eq!(recs.len(), 1, "only the intent: {recs:#?}");

    let mut s = live(data.path());
    s.wait_for_text("INCIDENT");
    s.wait_for_text("effect is unknown");
    let deadline = Instant::now() + TIMEOUT;
    let mut recs = mitigation_records(data.path());
    while recs.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        recs = mitigation_records(data.path());
    }
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert!(
        recs[1].contains("interrupted: the console was killed while it ran")
            && recs[1].contains("its effect is unknown"),
        "{}",
        recs[1]
    );
    // Quit (it asks only when something would be cut short).
    s.send("q");
    let deadline = Instant::now() + TIMEOUT;
    while s.is_running() && Instant::now() < deadline {
        if s.screen_text().contains("Quit?") {
            s.send("y");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s.wait_exit(TIMEOUT);

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["audit"])
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", data.path().join("config"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sleep-test / long-sleep"), "{text}");
    assert!(text.contains("its effect is unknown"), "{text}");
    assert!(
        text.contains("EFFECT UNKNOWN: it may or may not have taken effect"),
        "{text}"
    );
    assert!(!text.contains("NONE RECORDED"), "{text}");
}

#[test]
fn the_cancel_key_kills_the_running_commands_group_and_journals_it_cancelled() {
    let data = tempfile::tempdir().unwrap();
    let mut s = live(data.path());
    at_the_prompt(&s);
    let pid = confirm_and_get_pid(&s);
    assert!(group_member(pid).is_some(), "the command runs");
    std::thread::sleep(Duration::from_millis(300));
    // The keymap's cancel_run.
    s.send_key(Key::Ctrl('k'));
    assert_group_gone(pid);
    s.wait_for_text("long-sleep: cancelled, exit -,");
    let deadline = Instant::now() + TIMEOUT;
    let mut recs = mitigation_records(data.path());
    while recs.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        recs = mitigation_records(data.path());
    }
    assert_eq!(recs.len(), 2, "{recs:#?}");
    let intent: serde_json::Value = serde_json::from_str(&recs[0]).unwrap();
    let outcome: serde_json::Value = serde_json::from_str(&recs[1]).unwrap();
    assert_eq!(outcome["type"], "mitigation_outcome");
    assert_eq!(outcome["id"], intent["id"]);
    assert_eq!(outcome["outcome"], "cancelled", "{outcome}");
    // Killed, it has no exit status of its own; how long it ran is recorded.
    assert!(outcome["exit_code"].is_null(), "{outcome}");
    let ms = outcome["duration_ms"].as_u64().unwrap_or_default();
    assert!((300..60_000).contains(&ms), "{outcome}");
    // The console is free again: nothing is running, quitting asks nothing.
    s.send("q");
    s.wait_exit(TIMEOUT);
    assert_terminal_restored(&s);

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["audit"])
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", data.path().join("config"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("  outcome: cancelled (exit -, "), "{text}");
}

#[test]
fn killing_the_console_at_the_prompt_runs_and_records_nothing() {
    for sig in ["HUP", "KILL"] {
        let data = tempfile::tempdir().unwrap();
        let mut s = live(data.path());
        at_the_prompt(&s);
        s.signal(sig);
        s.wait_exit(TIMEOUT);
        assert!(
            mitigation_records(data.path()).is_empty(),
            "SIG{sig}: {:#?}",
            journal_lines(data.path())
        );
        assert!(
            !journal_lines(data.path())
                .iter()
                .any(|l| l.contains("long-sleep")),
            "SIG{sig}"
        );
    }
}

#[test]
fn the_demos_auto_check_runs_by_itself_when_its_step_is_shown() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("config");
    std::fs::create_dir_all(config.join("warroom")).unwrap();
    std::fs::write(config.join("warroom/config.yaml"), "user: tester\n").unwrap();
    let s = SessionBuilder::warroom()
        .args(["--demo"])
        .size(120, 40)
        .env("XDG_DATA_HOME", data.path())
        .env("XDG_CONFIG_HOME", &config)
        .spawn();
    s.wait_for_text("INCIDENT");
    s.send_key(Key::Enter);
    s.wait_for_text("Step 1/");
    assert!(
        !journal_lines(data.path())
            .iter()
            .any(|l| l.contains("check_run")),
        "nothing ran before the step was shown"
    );
    s.send_key(Key::Enter);
    s.wait_for_text("Is it real?");
    s.send("z");
    // No `x`: the check ran because the step was shown, answered by the demo's cluster.
    s.wait_for_text("catalog-pods: exited, exit 0");
    s.wait_for_text("catalog-7d9f8-0");
    let deadline = Instant::now() + TIMEOUT;
    let runs = || {
        journal_lines(data.path())
            .into_iter()
            .filter(|l| l.contains("\"type\":\"check_run\"") && l.contains("catalog-pods"))
            .count()
    };
    while runs() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(runs(), 1);
}
