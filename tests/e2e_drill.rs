//! `warroom drill` end to end, the real binary in pseudo-terminals: a whole drill with
//! guards, phases, the RPO typed in, "what was different", the score and the drill log; a
//! SIGKILL mid-drill resumed with the same clock; a second console and `follow` read-only.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::e2e_incident::journal_lines;
use crate::support::pty::{Key, Session, SessionBuilder, TIMEOUT};

/// A working directory with a copy of the shipped runbooks and drills, a data dir and a
/// config (`user: tester`), shared across the consoles of one test.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        let dst = dir.path().join("work/runbooks");
        std::fs::create_dir_all(dst.join("drills")).unwrap();
        for sub in ["", "drills"] {
            for e in std::fs::read_dir(src.join(sub)).unwrap().flatten() {
                if e.path().is_file() {
                    std::fs::copy(e.path(), dst.join(sub).join(e.file_name())).unwrap();
                }
            }
        }
        std::fs::create_dir_all(dir.path().join("config/warroom")).unwrap();
        std::fs::write(
            dir.path().join("config/warroom/config.yaml"),
            "user: tester\n",
        )
        .unwrap();
        Env { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("work/runbooks/drills/drill-log.md")
    }

    /// `warroom drill dr-cross-region`, started: T+0 and phase 1 on screen.
    fn started(&self) -> Session {
        let s = self.console(&["drill", "dr-cross-region"]);
        s.wait_for_text("NOT STARTED");
        s.wait_for_text("p start the drill");
        s.send("p");
        s.wait_for_text("Start the drill?");
        s.send("y");
        s.wait_for_text("PHASE 1/4");
        s
    }

    fn console(&self, args: &[&str]) -> Session {
        SessionBuilder::warroom()
            .args(args)
            .size(120, 40)
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .cwd(self.dir.path().join("work"))
            .spawn()
    }
}

/// The first `T+ MM:SS` in `text`, in seconds.
fn t_plus(text: &str) -> Option<u64> {
    let i = text.find("T+ ")?;
    let clock = text[i + 3..].split_whitespace().next()?;
    let mut secs = 0;
    for part in clock.split(':') {
        secs = secs * 60 + part.parse::<u64>().ok()?;
    }
    Some(secs)
}

fn wait_gone(s: &Session, text: &str) {
    s.wait_for(&format!("{text:?} to go away"), TIMEOUT, |sc| {
        !sc.contents().contains(text)
    });
}

fn started_at(data: &Path) -> DateTime<Utc> {
    let line = journal_lines(data)
        .into_iter()
        .find(|l| l.contains("\"type\":\"drill_started\""))
        .expect("a drill_started record");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    v["at"].as_str().unwrap().parse().unwrap()
}

#[test]
fn a_drill_runs_end_to_end_and_is_logged() {
    let env = Env::new();
    let mut s = env.started();
    s.wait_for_text("Is the region really lost?");
    s.wait_for_text("WAITING ON HUMAN: step #is-the-region-really-lost");
    s.send_key(Key::Enter);
    wait_gone(&s, "WAITING ON HUMAN");

    // Phase 2 behind its do-not-failover guards, then a confirmation.
    s.send("p");
    s.wait_for_text("Before phase 2: DNS failover");
    s.send("n");
    s.wait_for_text("Has the provider given an ETA under 30 minutes for the region?  no: proceed");
    s.send("n");
    s.wait_for_text("Is only one availability zone affected?  no: proceed");
    s.send("n");
    s.wait_for_text("Start phase 2?");
    s.send("y");
    s.wait_for_text("PHASE 2/4");
    s.wait_for_text("Step 6/9 · Fail over DNS");

    // Phase 3: no Prometheus here, so the RPO query fails and the facilitator types it.
    s.send("p");
    s.wait_for_text("Start phase 3?");
    s.send("y");
    s.wait_for_text("RPO: data lost");
    s.wait_for_text("The RPO query failed: no Prometheus is configured");
    s.send("42s");
    s.send_key(Key::Enter);
    s.wait_for_text("RPO 00:42 / 05:00 PASS");

    s.send("p");
    s.wait_for_text("Start phase 4?");
    s.send("y");
    s.wait_for_text("PHASE 4/4");
    s.wait_for_text("Reconcile workloads in the DR cluster");

    s.send("p");
    s.wait_for_text("Service restored?");
    s.send("y");
    s.wait_for_text("What was different this time?");
    s.send_key(Key::Enter);
    s.wait_for_text("Required: what was different");
    s.send("one responder instead of three");
    s.send_key(Key::Enter);
    s.wait_for_text("DRILL PASSED");
    s.wait_for_text("What was different: one responder instead of three");
    s.wait_for_text("Logged to runbooks/drills/drill-log.md");

    let log = std::fs::read_to_string(env.log()).unwrap();
    for part in [
        "## ",
        "· Cross-region DR failover us-east → us-west · PASSED",
        "[00:00] DRILL STARTED Cross-region DR failover us-east → us-west (dr-cross-region): RTO target 30:00, RPO target 05:00",
        "GUARD phase 2: Could the problem be our own connectivity rather than the region? no: proceed",
        "PHASE 3 Database promote",
        "RPO 00:42 (facilitator)",
        "SERVICE RESTORED",
        "DRILL PASSED",
        "- drill: dr-cross-region",
        "- rpo: 42s",
        "- result: PASSED",
        "- different: one responder instead of three",
    ] {
        assert!(log.contains(part), "missing {part:?} in\n{log}");
    }
    let entries = warroom::drill::log::read(&env.log()).unwrap();
    assert_eq!(entries.len(), 1);

    let lines = journal_lines(&env.data());
    let count = |t: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"type\":\"{t}\"")))
            .count()
    };
    assert_eq!(count("drill_started"), 1);
    assert!(
        lines[1].contains(r#""targets":{"rto":"30m","rpo":"5m"}"#)
            && lines[1].contains("\"sha256\":\""),
        "targets frozen in the journal: {}",
        lines[1]
    );
    assert_eq!(count("guard_answered"), 3);
    assert_eq!(count("phase_started"), 4);
    assert_eq!(count("rpo_measured"), 1);
    assert_eq!(count("service_restored"), 1);
    assert_eq!(count("drill_finished"), 1);
    assert!(count("human_prompted") >= 4 && count("human_answered") >= 4);

    // Finished: quitting asks nothing.
    s.send("q");
    let status = s.wait_exit(TIMEOUT);
    assert!(status.success(), "{status}");
}

#[test]
fn a_killed_drill_resumes_with_the_same_clock_and_others_only_watch() {
    let env = Env::new();
    let mut s = env.started();
    s.wait_for("T+ 00:03", TIMEOUT, |sc| {
        t_plus(&sc.contents()).is_some_and(|t| t >= 3)
    });
    let shown = t_plus(&s.screen_text()).unwrap();
    s.signal("KILL");
    s.wait_exit(TIMEOUT);

    let mut again = env.console(&["drill", "dr-cross-region"]);
    again.wait_for_text("PHASE 1/4");
    again.wait_for_text("Resumed the drill at T+");
    let resumed = t_plus(&again.screen_text()).unwrap();
    let expected = (Utc::now() - started_at(&env.data())).num_seconds() as u64;
    assert!(resumed >= shown, "not restarted: {resumed}s after {shown}s");
    assert!(
        resumed.abs_diff(expected) <= 2,
        "T+ from the journal's drill_started: screen {resumed}s, journal {expected}s"
    );
    assert_eq!(
        journal_lines(&env.data())
            .iter()
            .filter(|l| l.contains("\"type\":\"drill_started\""))
            .count(),
        1,
        "resumed, not restarted"
    );

    // A second console on the same drill: read-only, says who holds it.
    let second = env.console(&["drill", "dr-cross-region"]);
    second.wait_for_text("FOLLOWING");
    second.wait_for_text("PHASE 1/4");
    second.send("p");
    second.wait_for_text("Read-only:");
    // `warroom follow` watches the same run, drill first.
    let follower = env.console(&["follow"]);
    follower.wait_for_text("FOLLOWING");
    follower.wait_for_text("DRILL RUN");
    again.send("p");
    again.wait_for_text("Before phase 2");
    again.send("n");
    again.send("n");
    again.send("n");
    again.wait_for_text("Start phase 2?");
    again.send("y");
    again.wait_for_text("PHASE 2/4");
    follower.wait_for_text("PHASE 2/4");
    second.wait_for_text("PHASE 2/4");

    // Quitting mid-drill asks first, and says how to come back.
    again.send("q");
    again.wait_for_text("`warroom drill dr-cross-region` resumes it");
    again.send("y");
    assert!(again.wait_exit(TIMEOUT).success());
}

#[test]
fn a_bad_drill_stops_before_the_screen_is_taken() {
    let env = Env::new();
    let mut s = env.console(&["drill", "no-such-drill"]);
    s.wait_for_text("no drill `no-such-drill`");
    s.wait_for_text("drills there: dr-cross-region");
    assert_eq!(s.wait_exit(TIMEOUT).exit_code(), 2);

    let file = env
        .dir
        .path()
        .join("work/runbooks/drills/dr-cross-region.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("step: fail-over-dns", "step: fail-over"),
    )
    .unwrap();
    let mut s = env.console(&["drill", "dr-cross-region"]);
    s.wait_for_text("has no step #fail-over [unknown-step]");
    s.wait_for_text("the drill file has errors");
    assert_eq!(s.wait_exit(TIMEOUT).exit_code(), 2);
}

#[test]
fn an_unfinished_run_resumes_even_after_its_file_is_broken() {
    let env = Env::new();
    let mut s = env.started();
    s.signal("KILL");
    s.wait_exit(TIMEOUT);
    let file = env
        .dir
        .path()
        .join("work/runbooks/drills/dr-cross-region.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("rto: 30m", "rto: soon")).unwrap();

    // The run goes on with the drill it started with; the status bar says why.
    let s = env.console(&["drill", "dr-cross-region"]);
    s.wait_for_text("PHASE 1/4");
    s.wait_for_text("the drill file has errors now");
    s.wait_for_text("RTO left");
    drop(s);
    // With nothing to resume, the broken file stops the command.
    std::fs::remove_dir_all(env.data()).unwrap();
    let mut s = env.console(&["drill", "dr-cross-region"]);
    s.wait_for_text("`soon` is not a duration");
    assert_eq!(s.wait_exit(TIMEOUT).exit_code(), 2);
}

#[test]
fn a_run_scored_but_not_logged_is_logged_at_the_next_start() {
    let env = Env::new();
    // A console scored this run and stopped before its log append: the journal has the
    // score, the log has nothing.
    let (id, records) = crate::drill::scored_run("one responder instead of three");
    let dir = env.data().join("warroom/incidents").join(&id);
    let (mut journal, _) = warroom::incident::journal::Journal::open(&dir).unwrap();
    for r in records {
        journal.append(r.at, r.by, r.kind).unwrap();
    }
    drop(journal);
    assert!(!env.log().exists());

    let s = env.console(&["drill", "dr-cross-region"]);
    s.wait_for_text("NOT STARTED");
    // The recovered entry is the previous drill the new run is compared with.
    s.wait_for_text("Previous drill 2026-03-14: PASSED · RTO 11:40");
    let entries = warroom::drill::log::read(&env.log()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].run, id);
    assert_eq!(entries[0].different, "one responder instead of three");
    assert_eq!(entries[0].rto, std::time::Duration::from_secs(700));
    drop(s);

    // The next start finds it logged: nothing is appended twice.
    let s = env.console(&["drill", "dr-cross-region"]);
    s.wait_for_text("NOT STARTED");
    drop(s);
    assert_eq!(warroom::drill::log::read(&env.log()).unwrap().len(), 1);
}

#[test]
fn a_drill_killed_after_its_guards_resumes_in_its_later_phase() {
    let env = Env::new();
    let mut s = env.started();
    s.send_key(Key::Enter);
    wait_gone(&s, "WAITING ON HUMAN");
    s.send("p");
    s.wait_for_text("Before phase 2: DNS failover");
    s.send("n");
    s.send("n");
    s.send("n");
    s.wait_for_text("Start phase 2?");
    s.send("y");
    s.wait_for_text("PHASE 2/4");
    s.wait_for_text("WAITING ON HUMAN: step #fail-over-dns");
    s.signal("KILL");
    s.wait_exit(TIMEOUT);

    let again = env.console(&["drill", "dr-cross-region"]);
    again.wait_for_text("Resumed the drill at T+");
    // Phase 2 is running, its step still waits on a human, and the guards stay answered.
    again.wait_for_text("PHASE 2/4");
    again.wait_for_text("WAITING ON HUMAN: step #fail-over-dns");
    again.wait_for_text("Step 6/9 · Fail over DNS");
    let text = again.screen_text();
    let expected = (Utc::now() - started_at(&env.data())).num_seconds() as u64;
    let resumed = t_plus(&text).unwrap();
    assert!(
        resumed.abs_diff(expected) <= 2,
        "T+ from the journal: screen {resumed}s, journal {expected}s"
    );
    // Phase 1 is done, with the actual time it took before the kill.
    let phase1 = text
        .lines()
        .find(|l| l.contains("1 Confirm region loss"))
        .unwrap_or_default();
    assert!(
        phase1.contains("✓ 1 Confirm region loss") && phase1.contains("/05:00 ON TIME"),
        "{text}"
    );
    assert!(text.contains("▶ 2 DNS failover"), "{text}");
    // The next p starts phase 3: no guard is asked again.
    again.send("p");
    again.wait_for_text("Start phase 3?");
    assert!(!again.screen_text().contains("Before phase 2"));
    again.send("y");
    again.wait_for_text("PHASE 3/4");
    let lines = journal_lines(&env.data());
    let count = |t: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"type\":\"{t}\"")))
            .count()
    };
    assert_eq!(count("drill_started"), 1, "resumed, not restarted");
    assert_eq!(
        count("guard_answered"),
        3,
        "the guards were not asked twice"
    );
    assert_eq!(count("phase_started"), 3);
}

#[test]
fn two_consoles_started_before_either_writes_run_one_drill_and_the_second_follows() {
    let env = Env::new();
    let a = env.console(&["drill", "dr-cross-region"]);
    let b = env.console(&["drill", "dr-cross-region"]);
    for s in [&a, &b] {
        s.wait_for_text("NOT STARTED");
        s.wait_for_text("p start the drill");
        s.send("p");
        s.wait_for_text("Start the drill?");
    }
    a.send("y");
    a.wait_for_text("PHASE 1/4");
    b.send("y");
    // The second start finds the first run: it follows it and says whose it is.
    b.wait_for_text("FOLLOWING");
    b.wait_for_text("another console started this drill first");
    b.wait_for_text("PHASE 1/4");
    let runs = |data: &Path| {
        std::fs::read_dir(data.join("warroom/incidents"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("journal.jsonl").is_file())
            .count()
    };
    assert_eq!(runs(&env.data()), 1, "one run of the drill");
    assert_eq!(
        journal_lines(&env.data())
            .iter()
            .filter(|l| l.contains("\"type\":\"drill_started\""))
            .count(),
        1
    );
    b.send("p");
    b.wait_for_text("Read-only:");
    // The first console moves the drill on; the second sees it.
    a.send("p");
    a.wait_for_text("Before phase 2");
    for _ in 0..3 {
        a.send("n");
    }
    a.wait_for_text("Start phase 2?");
    a.send("y");
    a.wait_for_text("PHASE 2/4");
    b.wait_for_text("PHASE 2/4");
}
