//! `update` in isolation: events in, state and effects out, through the real keymap.

use std::collections::BTreeMap;

use warroom::keymap::{Action, Key, KeyList, Keymap};
use warroom::state::{
    Ack, Alert, AlertState, Effect, Event, Labels, Mode, Overlay, Pane, Pending, Severity, Signal,
    State, update,
};

use crate::common::{at, demo_state, key, press, t0};

fn alert(name: &str, sev: Severity, started: i64) -> Alert {
    Alert {
        fingerprint: format!("fp-{name}"),
        name: name.into(),
        severity: sev,
        state: AlertState::Active,
        starts_at: at(started),
        labels: Labels::default(),
        annotations: Labels::default(),
        runbook: None,
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        generator_url: None,
        seen_by: Vec::new(),
        group: None,
    }
}

fn live() -> State {
    State::new(Mode::Live, Keymap::default(), false, t0())
}

fn alerts_event(alerts: Vec<Alert>) -> Event {
    Event::Alerts {
        source: "am".into(),
        at: t0(),
        alerts: alerts.into_iter().map(std::sync::Arc::new).collect(),
    }
}

#[test]
fn tab_and_shift_tab_cycle_focus() {
    let mut s = live();
    assert_eq!(s.focus, Pane::Alerts);
    press(&mut s, &["tab", "tab"]);
    assert_eq!(s.focus, Pane::Slo);
    press(&mut s, &["tab", "tab"]);
    assert_eq!(s.focus, Pane::Alerts, "wraps around");
    press(&mut s, &["backtab"]);
    assert_eq!(s.focus, Pane::Drill);
}

#[test]
fn quit_exits_at_once_when_nothing_runs() {
    let mut s = live();
    assert_eq!(press(&mut s, &["q"]), vec![Effect::Exit(0)]);
    let mut s = live();
    assert_eq!(press(&mut s, &["ctrl-c"]), vec![Effect::Exit(0)]);
}

#[test]
fn quit_during_a_drill_asks_and_defaults_to_no() {
    let mut s = demo_state(5);
    assert!(s.drill.as_ref().is_some_and(|d| d.clock.is_running()));
    assert!(press(&mut s, &["q"]).is_empty());
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm {
            on_yes: Pending::Quit,
            ..
        })
    ));
    // A stray Enter, or any other key, neither quits nor dismisses.
    assert!(press(&mut s, &["enter", "tab", "q", "z"]).is_empty());
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm {
            on_yes: Pending::Quit,
            ..
        })
    ));
    assert_eq!(s.focus, Pane::Alerts, "keys do not leak through the prompt");
    assert!(!s.zoomed);
    press(&mut s, &["n"]);
    assert_eq!(s.overlay, None);
    press(&mut s, &["q"]);
    press(&mut s, &["esc"]);
    assert_eq!(s.overlay, None);
    press(&mut s, &["q"]);
    assert_eq!(press(&mut s, &["y"]), vec![Effect::Exit(0)]);
}

#[test]
fn help_toggles_and_swallows_pane_keys() {
    let mut s = live();
    press(&mut s, &["?"]);
    assert_eq!(s.overlay, Some(Overlay::Help { scroll: 0 }));
    press(&mut s, &["j", "j", "k"]);
    assert_eq!(
        s.overlay,
        Some(Overlay::Help { scroll: 1 }),
        "j/k scroll the help"
    );
    press(&mut s, &["tab", "z"]);
    assert_eq!((s.focus, s.zoomed), (Pane::Alerts, false));
    press(&mut s, &["?"]);
    assert_eq!(s.overlay, None);
    press(&mut s, &["?", "esc"]);
    assert_eq!(s.overlay, None);
    // Quit still works from the help.
    press(&mut s, &["?"]);
    assert_eq!(press(&mut s, &["q"]), vec![Effect::Exit(0)]);
}

#[test]
fn zoom_toggles_and_redraw_suspend_are_effects() {
    let mut s = live();
    press(&mut s, &["z"]);
    assert!(s.zoomed);
    press(&mut s, &["z"]);
    assert!(!s.zoomed);
    assert_eq!(press(&mut s, &["ctrl-z"]), vec![Effect::Suspend]);
}

#[test]
fn alerts_sort_by_severity_then_age_and_selection_follows_the_alert() {
    let mut s = live();
    update(
        &mut s,
        alerts_event(vec![
            alert("b-p2", Severity::P2, -900),
            alert("a-p1-new", Severity::P1, -60),
            alert("c-p1-old", Severity::P1, -600),
        ]),
    );
    let names: Vec<_> = s.alerts.alerts.iter().map(|a| &*a.name).collect();
    assert_eq!(names, ["c-p1-old", "a-p1-new", "b-p2"]);
    assert_eq!(
        s.alerts.selected_alert().map(|a| &*a.name),
        Some("c-p1-old")
    );
    press(&mut s, &["j", "j", "j"]);
    assert_eq!(
        s.alerts.selected_alert().map(|a| &*a.name),
        Some("b-p2"),
        "clamped at the end"
    );
    // A P0 arrives on top: the selection stays on the same alert, not the same row.
    update(
        &mut s,
        alerts_event(vec![
            alert("b-p2", Severity::P2, -900),
            alert("z-p0", Severity::P0, -5),
            alert("c-p1-old", Severity::P1, -600),
        ]),
    );
    assert_eq!(&*s.alerts.alerts[0].name, "z-p0");
    assert_eq!(s.alerts.selected_alert().map(|a| &*a.name), Some("b-p2"));
    press(&mut s, &["g"]);
    assert_eq!(s.alerts.selected_alert().map(|a| &*a.name), Some("z-p0"));
    // The selected alert resolves: selection moves to the top.
    update(
        &mut s,
        alerts_event(vec![alert("b-p2", Severity::P2, -900)]),
    );
    assert_eq!(s.alerts.selected_alert().map(|a| &*a.name), Some("b-p2"));
}

#[test]
fn acks_last_until_the_alert_resolves() {
    let mut s = live();
    update(&mut s, alerts_event(vec![alert("x", Severity::P1, -60)]));
    let ack = Ack {
        by: "alice".into(),
        at: t0(),
    };
    update(
        &mut s,
        Event::Acked {
            fingerprint: "fp-x".into(),
            ack: ack.clone(),
        },
    );
    update(
        &mut s,
        Event::Acked {
            fingerprint: "fp-unknown".into(),
            ack: ack.clone(),
        },
    );
    assert_eq!(
        s.alerts.acks.len(),
        2,
        "an ack of an alert not polled yet is kept"
    );
    assert_eq!(s.alerts.unacked(), 0);
    update(&mut s, alerts_event(vec![alert("x", Severity::P1, -60)]));
    assert_eq!(s.alerts.acks.get("fp-x"), Some(&ack), "survives a refresh");
    update(&mut s, alerts_event(vec![]));
    assert!(
        !s.alerts.acks.contains_key("fp-x"),
        "gone once the alert resolved"
    );
}

#[test]
fn enter_opens_the_runbook_and_digits_walk_the_tree() {
    let mut s = demo_state(3);
    let top = s.alerts.selected_alert().unwrap().name.clone();
    assert_eq!(&*top, "CatalogP99LatencyHigh");
    press(&mut s, &["enter"]);
    assert_eq!(s.focus, Pane::Runbook);
    let rb = &s.runbooks[s.runbook.runbook.unwrap()];
    assert_eq!(rb.id, "catalog-p99-latency");
    press(&mut s, &["enter"]);
    let step = |s: &State| {
        let rb = &s.runbooks[s.runbook.runbook.unwrap()];
        rb.steps[s.runbook.current_step().unwrap()].anchor.clone()
    };
    assert_eq!(step(&s), "is-it-real");
    press(&mut s, &["2"]);
    assert_eq!(step(&s), "a-single-flapping-target");
    press(&mut s, &["1"]);
    assert_eq!(step(&s), "where-is-the-time-going");
    press(&mut s, &["3"]);
    assert_eq!(step(&s), "one-tenants-traffic-spiked");
    press(&mut s, &["bs", "bs"]);
    assert_eq!(
        step(&s),
        "a-single-flapping-target",
        "back retraces the path taken, not document order"
    );
    press(&mut s, &["9"]);
    assert_eq!(step(&s), "a-single-flapping-target");
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("no choice 9"))
    );
}

#[test]
fn enter_on_an_alert_without_runbook_says_so() {
    let mut s = live();
    update(
        &mut s,
        alerts_event(vec![alert("lonely", Severity::P2, -5)]),
    );
    press(&mut s, &["enter"]);
    assert_eq!(s.focus, Pane::Alerts);
    assert!(s.notice.as_ref().is_some_and(|n| {
        n.text
            .contains("No runbook answers lonely: runbooks/lonely.md")
    }));
    // The notice goes away by itself.
    update(&mut s, Event::Tick(at(60)));
    assert!(s.notice.is_none());
}

#[test]
fn signals_and_dead_input_exit_with_conventional_codes() {
    let mut s = demo_state(1);
    assert_eq!(
        update(&mut s, Event::Signal(Signal::Hangup)),
        vec![Effect::Exit(129)]
    );
    assert_eq!(
        update(&mut s, Event::Signal(Signal::Terminate)),
        vec![Effect::Exit(143)]
    );
    assert_eq!(
        update(&mut s, Event::Signal(Signal::Interrupt)),
        vec![Effect::Exit(130)]
    );
    assert_eq!(
        update(&mut s, Event::InputClosed("EIO".into())),
        vec![Effect::Exit(1)]
    );
}

#[test]
fn only_changes_mark_the_state_dirty() {
    let mut s = live();
    s.dirty = false;
    press(&mut s, &["w"]);
    assert!(!s.dirty, "an unbound key changes nothing");
    let ack = |by: &str| Event::Acked {
        fingerprint: "fp".into(),
        ack: Ack {
            by: by.into(),
            at: t0(),
        },
    };
    update(&mut s, ack("a"));
    assert!(s.dirty);
    s.dirty = false;
    update(&mut s, ack("b"));
    assert!(!s.dirty, "a second ack keeps the first and changes nothing");
    update(&mut s, Event::Tick(at(1)));
    assert!(s.dirty);
    assert_eq!(s.now, at(1));
    s.dirty = false;
    update(&mut s, Event::Resize(80, 24));
    assert!(s.dirty);
}

#[test]
fn source_failure_keeps_data_and_marks_the_source() {
    let mut s = live();
    update(&mut s, alerts_event(vec![alert("x", Severity::P1, -60)]));
    update(
        &mut s,
        Event::SourceFailed {
            source: "am".into(),
            at: at(10),
            error: "HTTP 502".into(),
        },
    );
    assert_eq!(s.alerts.alerts.len(), 1, "last good data stays");
    let src = &s.sources[0];
    assert_eq!(src.error.as_deref(), Some("HTTP 502"));
    assert_eq!(src.failing_since, Some(at(10)));
    update(&mut s, alerts_event(vec![]));
    assert_eq!(s.sources[0].error, None);
}

#[test]
fn configured_keys_replace_the_defaults() {
    let mut o = BTreeMap::new();
    o.insert(Action::Zoom, KeyList::One(Key::parse("Z").unwrap()));
    let mut s = State::new(Mode::Live, Keymap::with_overrides(o).unwrap(), false, t0());
    press(&mut s, &["z"]);
    assert!(!s.zoomed);
    update(&mut s, key("Z"));
    assert!(s.zoomed);
}

#[test]
fn the_demo_drill_runs_its_phases_and_finishes() {
    let s = demo_state(2);
    let d = &s.drill.as_ref().unwrap().clock;
    assert_eq!(d.current_phase(), Some(0));
    assert_eq!(
        d.elapsed(s.now).as_secs(),
        182,
        "injected three minutes before the demo began"
    );
    let s = demo_state(13 * 60 + 5);
    let d = &s.drill.as_ref().unwrap().clock;
    assert!(!d.is_running());
    assert!(d.phases.iter().all(|p| p.ended_at.is_some()));
    // Played from the shipped drill file and scored like a real run.
    let s = demo_state(13 * 60 + 25);
    let run = s.drill.as_ref().unwrap();
    assert_eq!(run.drill, "dr-cross-region");
    assert_eq!(run.spec.phases[1].guards.len(), 3);
    assert!(run.guards.iter().flatten().all(|g| *g == Some(true)));
    let (_, score) = run.finished.clone().expect("scored 20 s after the restore");
    assert!(score.passed);
    assert_eq!(score.rto_s, 16 * 60, "injected at -3m, restored at 13m");
    assert!(s.running_work().is_none(), "quitting no longer asks");
}

/// `Gate` effects asking, read-only, for the demo runbook's `auto=true` check.
fn auto_gates(effects: &[warroom::state::Effect]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(e, warroom::state::Effect::Gate { spec, read_only: true, .. }
                if spec.name == "catalog-pods")
        })
        .count()
}

/// The gate's answer, so the console is free again (here: refused, nothing runs).
fn gate_answered(s: &mut warroom::state::State) {
    update(
        s,
        warroom::state::Event::Gated(Box::new(warroom::state::mitigation::GateAnswer {
            dry_run: false,
            labels: BTreeMap::new(),
            result: Err("answered".into()),
        })),
    );
}

#[test]
fn an_auto_check_is_asked_for_exactly_once_when_its_step_is_first_shown() {
    use crate::common::journal_in_memory;
    let mut s = demo_state(90);
    // Open an incident, so every step change is a journal record coming back.
    let e = press(&mut s, &["I", "y"]);
    let rest = journal_in_memory(&mut s, e);
    assert!(s.incident_open());
    assert_eq!(auto_gates(&rest), 0);
    let e = press(&mut s, &["enter"]);
    assert_eq!(
        auto_gates(&journal_in_memory(&mut s, e)),
        0,
        "the Alert step has none"
    );
    let e = press(&mut s, &["enter"]);
    let rest = journal_in_memory(&mut s, e);
    assert_eq!(auto_gates(&rest), 1, "{rest:?}");
    gate_answered(&mut s);
    // Shown again: not asked again.
    for k in ["bs", "enter", "bs", "enter"] {
        let e = press(&mut s, &[k]);
        assert_eq!(auto_gates(&journal_in_memory(&mut s, e)), 0, "{k}");
    }
    // Replaying the same records (a resume) asks for nothing.
    let records = s.incident.as_ref().unwrap().records.clone();
    let mut r = demo_state(90);
    let mut asked = 0;
    for rec in records {
        asked += auto_gates(&update(&mut r, warroom::state::Event::Journaled(rec)));
    }
    asked += auto_gates(&update(
        &mut r,
        warroom::state::Event::JournalReady(warroom::state::JournalStatus::Writable),
    ));
    assert_eq!(asked, 0);
    assert!(
        r.runbook.runbook.is_some(),
        "the replay did open the runbook"
    );
}
