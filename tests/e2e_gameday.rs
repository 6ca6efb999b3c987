//! `warroom --demo gameday` end to end, the real binary in a pseudo-terminal: the shipped
//! storefront-five-classics game-day against the demo's simulated cluster, whose error
//! ratio climbs while the network delay runs, until the abort condition deletes it.

use std::time::{Duration, Instant};

use crate::support::pty::{Key, SessionBuilder, TIMEOUT};

/// The simulated network delay passes 5 % about 15 s in; the abort query is polled every
/// 5 s, and the deletion is recorded right after: 30 s leaves room on a slow machine.
const ABORT_WITHIN: Duration = Duration::from_secs(30);

#[test]
fn the_demo_game_day_aborts_the_network_delay_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("warroom")).unwrap();
    std::fs::write(config.join("warroom/config.yaml"), "user: tester\n").unwrap();
    let mut s = SessionBuilder::warroom()
        .args(["--demo", "gameday"])
        .size(120, 40)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", &config)
        .spawn();
    s.wait_for_text("GAME-DAY storefront-five-classics");
    s.wait_for_text("network-delay");
    // The abort condition must be readable before anything starts.
    s.wait_for_text("ok ·");
    // The game-day pane, focused and zoomed.
    s.send_key(Key::BackTab);
    s.wait_for_text("▶ Drill clock");
    s.send("z");
    s.wait_for_text("hypothesis The storefront keeps serving");
    s.send("j");
    s.wait_for_text("›2 network-delay");
    s.send("e");
    s.wait_for_text("gd-catalog-delay");
    s.send("gd-catalog-delay");
    s.send_key(Key::Enter);
    s.wait_for_text("INJECTING");
    let started = Instant::now();
    s.wait_for("the abort to delete network-delay", ABORT_WITHIN, |sc| {
        sc.contents().contains("ABORTED")
    });
    let took = started.elapsed();
    s.wait_for_text("TRIPPED");
    eprintln!("demo abort: network-delay deleted {took:?} after it started");
    assert!(
        took >= Duration::from_secs(5),
        "the delay needs time to hurt: aborted after {took:?}"
    );

    let lines = crate::e2e_incident::journal_lines(&data);
    let record = |t: &str| -> Vec<serde_json::Value> {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"type\":\"{t}\"")))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let trips = record("gameday_abort_tripped");
    assert_eq!(trips.len(), 1, "{lines:#?}");
    assert!(trips[0]["value"].as_f64().unwrap() > 0.05, "{}", trips[0]);
    assert_eq!(
        trips[0]["experiments"],
        serde_json::json!(["network-delay"])
    );
    let removed = record("gameday_experiment_removed");
    assert_eq!(removed.len(), 1, "{lines:#?}");
    assert_eq!(removed[0]["experiment"], "network-delay");
    assert_eq!(removed[0]["reason"], "abort");
    assert_eq!(removed[0]["ok"], true);
    // Nothing left in the cluster: quitting asks nothing about experiments.
    s.send("q");
    s.wait_for_text("Quit");
    let text = s.screen_text();
    assert!(!text.contains("chaos experiment(s)"), "{text}");
    s.send("y");
    assert!(s.wait_exit(TIMEOUT).success());
}
