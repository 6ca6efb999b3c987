//! The journal as the source of truth: actions become records, only records change the
//! state, a replay from disk gives the same state as the live session, and the gate
//! refuses what cannot be recorded.

use warroom::incident::{Journal, RecordKind};
use warroom::state::{Effect, Event, JournalStatus, Overlay, State, update};

use crate::common::{at, demo_state, key, press};

/// Performs journal effects the way the runtime does, against a real journal on disk, and
/// feeds each record back. Returns the effects that were not journal writes.
fn perform(
    state: &mut State,
    journal: &mut Option<Journal>,
    dir: &std::path::Path,
    effects: Vec<Effect>,
) -> Vec<Effect> {
    let mut rest = Vec::new();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        let record = match e {
            Effect::OpenIncident { id, opened, by } => {
                let (mut j, _) = Journal::open(&dir.join(&id)).unwrap();
                let r = j.append(state.now, by, opened).unwrap();
                *journal = Some(j);
                update(state, Event::JournalReady(JournalStatus::Writable));
                r
            }
            Effect::Journal { kind, by } => journal
                .as_mut()
                .expect("journal open")
                .append(state.now, by, kind)
                .unwrap(),
            other => {
                rest.push(other);
                continue;
            }
        };
        queue.extend(update(state, Event::Journaled(record)));
    }
    rest
}

/// What a replay must reproduce: the incident, acks, and where the runbook is.
fn projection(s: &State) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        s.incident.as_ref().map(|i| (
            &i.id,
            &i.title,
            i.severity,
            i.first_ack_at,
            &i.notes,
            i.resolved_at,
            &i.alerts_seen
        )),
        s.alerts.acks,
        s.current_step_anchor(),
        s.runbook.path
    )
}

#[test]
fn acking_a_p1_opens_an_incident_and_nothing_changes_before_the_record_lands() {
    let mut s = demo_state(90);
    s.user = "carol".into();
    // The top alert is acked already (by the demo's alice); the payments P1 is not.
    let effects = press(&mut s, &["j", "a"]);
    assert!(
        matches!(&effects[0], Effect::OpenIncident { opened: RecordKind::IncidentOpened { severity, commander, .. }, .. } if severity == "P1" && commander == "carol")
    );
    assert!(
        matches!(effects.last(), Some(Effect::Journal { kind: RecordKind::AlertAcked { .. }, by: Some(b) }) if b == "carol")
    );
    assert!(s.incident.is_none(), "not open until its record is on disk");
    assert_eq!(
        s.alerts.acks.values().filter(|a| a.by == "carol").count(),
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    perform(&mut s, &mut j, dir.path(), effects);
    let inc = s.incident.as_ref().unwrap();
    assert!(inc.first_ack_at.is_some());
    assert_eq!(
        s.alerts.acks.values().filter(|a| a.by == "carol").count(),
        1
    );
    assert_eq!(s.in_flight, 0);
}

#[test]
fn keys_typed_while_records_are_in_flight_wait_their_turn() {
    let mut s = demo_state(90);
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    // Typed before the incident is even open: enter (open runbook), enter (next), 2.
    let mut typed = Vec::new();
    for k in ["enter", "enter", "2"] {
        typed.extend(update(&mut s, key(k)));
    }
    assert!(typed.is_empty(), "queued, not acted on: {typed:?}");
    assert_eq!(s.key_queue.len(), 3);
    perform(&mut s, &mut j, dir.path(), effects);
    assert_eq!(
        s.current_step_anchor().map(|a| a.1).as_deref(),
        Some("a-single-flapping-target")
    );
    assert!(s.key_queue.is_empty());
}

#[test]
fn a_replay_from_disk_gives_the_same_state_as_the_live_session() {
    // A seeded generator of key sequences: every run explores the same 200 sessions.
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let keys = [
        "enter", "bs", "1", "2", "3", "j", "k", "a", "tab", "backtab", "g", "G",
    ];
    let start = demo_state(90);
    for case in 0..200 {
        let dir = tempfile::tempdir().unwrap();
        let mut live = start.clone();
        let mut j = None;
        let effects = live.open_incident(format!("case {case}"), warroom::state::Severity::P1);
        live.expect_replies(&effects);
        perform(&mut live, &mut j, dir.path(), effects);
        for _ in 0..next(25) {
            let k = keys[next(keys.len() as u64) as usize];
            let effects = update(&mut live, key(k));
            perform(&mut live, &mut j, dir.path(), effects);
        }
        if next(4) == 0 {
            let effects = press(&mut live, &["i"]);
            assert!(effects.is_empty());
            for c in "lag ok".chars() {
                update(&mut live, key(&c.to_string()));
            }
            let effects = update(&mut live, key("enter"));
            perform(&mut live, &mut j, dir.path(), effects);
        }
        drop(j);
        let id = live.incident.as_ref().unwrap().id.clone();
        let (_, replay) = Journal::open(&dir.path().join(&id)).unwrap();
        let mut replayed = start.clone();
        for r in replay.records {
            update(&mut replayed, Event::Journaled(r));
        }
        assert_eq!(projection(&replayed), projection(&live), "case {case}");
    }
}

#[test]
fn read_only_and_failed_journals_refuse_actions() {
    let mut s = demo_state(90);
    update(
        &mut s,
        Event::JournalReady(JournalStatus::ReadOnly("incident x is held by bob".into())),
    );
    assert!(press(&mut s, &["j", "a", "I", "y"]).is_empty());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Read-only: incident x is held by bob")),
        "{:?}",
        s.notice
    );
    assert!(s.alerts.acks.values().all(|a| a.by != s.user));

    let mut s = demo_state(90);
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    perform(&mut s, &mut j, dir.path(), effects);
    update(
        &mut s,
        Event::JournalFailed("No space left on device".into()),
    );
    let refused = |s: &State| {
        s.notice.as_ref().is_some_and(|n| {
            n.text
                .contains("Refused: the journal cannot be written (No space left on device)")
        })
    };
    assert!(press(&mut s, &["j", "a"]).is_empty());
    assert!(refused(&s), "{:?}", s.notice);
    s.notice = None;
    assert!(press(&mut s, &["enter"]).is_empty());
    assert!(refused(&s), "{:?}", s.notice);
    assert!(
        s.current_runbook().is_none(),
        "the runbook did not open unrecorded"
    );
    // A note is refused before it is typed, not after.
    s.notice = None;
    assert!(press(&mut s, &["i"]).is_empty());
    assert!(s.overlay.is_none(), "{:?}", s.overlay);
    assert!(refused(&s), "{:?}", s.notice);
}

#[test]
fn notes_need_an_incident_and_bad_action_items_say_what_is_missing() {
    let mut s = demo_state(90);
    press(&mut s, &["i"]);
    assert!(s.overlay.is_none());
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("open one first"))
    );
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    perform(&mut s, &mut j, dir.path(), effects);
    press(&mut s, &["i"]);
    for c in "action: add pool alert due:2026-12-01".chars() {
        update(&mut s, key(&c.to_string()));
    }
    assert!(press(&mut s, &["enter"]).is_empty());
    match &s.overlay {
        Some(Overlay::Note(input)) => {
            assert!(input.error.as_deref().is_some_and(|e| e.contains("owner")))
        }
        other => panic!("note input should stay open: {other:?}"),
    }
    for c in " @dave".chars() {
        update(&mut s, key(&c.to_string()));
    }
    let effects = press(&mut s, &["enter"]);
    perform(&mut s, &mut j, dir.path(), effects);
    let note = &s.incident.as_ref().unwrap().notes[0];
    assert_eq!(note.text, "add pool alert");
    assert_eq!(
        note.action_item.as_ref().map(|a| a.owner.as_str()),
        Some("dave")
    );
    let _ = at(0);
}

#[test]
fn resolving_asks_first_then_starts_the_postmortem_clock() {
    let mut s = demo_state(90);
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    press(&mut s, &["R"]);
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("No incident is open"))
    );
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    perform(&mut s, &mut j, dir.path(), effects);
    assert!(
        press(&mut s, &["R", "enter"]).is_empty(),
        "a stray enter does not resolve"
    );
    assert!(s.incident_open());
    let effects = press(&mut s, &["y"]);
    perform(&mut s, &mut j, dir.path(), effects);
    let inc = s.incident.as_ref().unwrap();
    assert!(!inc.is_open());
    let due = inc
        .postmortem_due(s.now + chrono::Duration::hours(1))
        .unwrap()
        .unwrap();
    assert_eq!(due.as_secs(), 47 * 3600, "P1: due 48 h after resolution");
}

#[test]
fn postmortem_draft_snapshot() {
    use chrono::TimeZone;
    use warroom::incident::{ActionItem, Record, postmortem};
    let t = |m: i64, s: i64| {
        chrono::Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap()
            + chrono::Duration::seconds(m * 60 + s)
    };
    let by = || Some("alice".to_string());
    let kinds = vec![
        (
            t(0, 0),
            by(),
            RecordKind::IncidentOpened {
                id: "inc-20260314-090000".into(),
                title: "Catalog p99 latency (acme-books, us-east)".into(),
                severity: "P1".into(),
                commander: "alice".into(),
            },
        ),
        (
            t(0, 0),
            None,
            RecordKind::AlertSeen {
                fingerprint: "f1".into(),
                name: "CatalogP99LatencyHigh".into(),
                severity: "P1".into(),
                labels: [
                    ("tenant".to_string(), "acme-books".to_string()),
                    ("region".to_string(), "us-east".to_string()),
                ]
                .into(),
                starts_at: t(-4, 0),
            },
        ),
        (
            t(1, 10),
            by(),
            RecordKind::AlertAcked {
                fingerprint: "f1".into(),
            },
        ),
        (
            t(1, 30),
            by(),
            RecordKind::RunbookOpened {
                runbook: "catalog-p99-latency".into(),
                alert: Some("f1".into()),
            },
        ),
        (
            t(2, 0),
            by(),
            RecordKind::BranchChosen {
                runbook: "catalog-p99-latency".into(),
                from: "where-is-the-time-going".into(),
                to: "catalog-saturated".into(),
                choice: 1,
            },
        ),
        (
            t(3, 0),
            by(),
            RecordKind::Note {
                text: "HPA at max, CPU 95% | all pods".into(),
                action_item: None,
            },
        ),
        (
            t(9, 0),
            by(),
            RecordKind::MitigationIntent {
                id: "m1".into(),
                runbook: "catalog-p99-latency".into(),
                name: "scale-catalog".into(),
                plan: "kubectl -n catalog scale deployment/catalog --replicas=12".into(),
            },
        ),
        (
            t(9, 40),
            None,
            RecordKind::MitigationOutcome {
                id: "m1".into(),
                exit_code: Some(0),
                duration_ms: 40_000,
                outcome: "succeeded".into(),
            },
        ),
        (
            t(12, 0),
            by(),
            RecordKind::Note {
                text: "raise HPA max for catalog".into(),
                action_item: Some(ActionItem {
                    owner: "bob".into(),
                    due: chrono::NaiveDate::from_ymd_opt(2026, 3, 21).unwrap(),
                    ticket: Some("OPS-481".into()),
                }),
            },
        ),
        (
            t(20, 0),
            None,
            RecordKind::AlertResolved {
                fingerprint: "f1".into(),
            },
        ),
        (
            t(21, 0),
            by(),
            RecordKind::IncidentResolved { summary: None },
        ),
    ];
    let records: Vec<Record> = kinds
        .into_iter()
        .enumerate()
        .map(|(i, (at, by, k))| Record::new(i as u64 + 1, at, by, k))
        .collect();
    let text = postmortem::render(&records, postmortem::DEFAULT_TEMPLATE, t(60, 0)).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn the_stale_banner_counts_from_the_last_real_use_of_a_runbook() {
    let mut s = demo_state(90);
    press(&mut s, &["enter"]);
    let i = s.runbook.runbook.unwrap();
    let id = s.runbooks[i].id.clone();
    let today = s.now.date_naive();
    s.runbooks[i].meta.last_reviewed = Some(today - chrono::Duration::days(200));
    let text = crate::common::screen(&s, 120, 40);
    assert!(
        text.contains("STALE: exercise before trusting (last reviewed"),
        "{text}"
    );
    s.exercised
        .insert(id.clone(), today - chrono::Duration::days(3));
    let text = crate::common::screen(&s, 120, 40);
    assert!(
        !text.contains("STALE"),
        "used in an incident 3 days ago:\n{text}"
    );

    // Opening it during a live incident counts as an exercise.
    let mut live = State::new(warroom::state::Mode::Live, Default::default(), false, s.now);
    update(&mut live, Event::RunbooksLoaded(s.runbooks.clone()));
    let r = warroom::incident::Record::new(
        2,
        s.now,
        None,
        RecordKind::RunbookOpened {
            runbook: id.clone(),
            alert: None,
        },
    );
    update(&mut live, Event::Journaled(r));
    assert_eq!(live.exercised.get(&id), Some(&today));

    // And the store finds it in journals on disk, ignoring demo incidents.
    let root = tempfile::tempdir().unwrap();
    for (inc, day) in [("inc-a", 10), ("demo-b", 1)] {
        let (mut j, _) = Journal::open(&root.path().join(inc)).unwrap();
        let at = s.now - chrono::Duration::days(day);
        j.append(
            at,
            None,
            RecordKind::IncidentOpened {
                id: inc.into(),
                title: "t".into(),
                severity: "P1".into(),
                commander: "c".into(),
            },
        )
        .unwrap();
        j.append(
            at,
            None,
            RecordKind::RunbookOpened {
                runbook: id.clone(),
                alert: None,
            },
        )
        .unwrap();
    }
    let found = warroom::incident::store::last_exercised(root.path());
    assert_eq!(found.get(&id), Some(&(today - chrono::Duration::days(10))));
}

#[test]
fn roles_and_severity_are_typed_on_the_scribe_line_and_journaled() {
    let mut s = demo_state(90);
    let dir = tempfile::tempdir().unwrap();
    let mut j = None;
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    perform(&mut s, &mut j, dir.path(), effects);
    let mut say = |s: &mut State, text: &str| {
        press(s, &["i"]);
        for c in text.chars() {
            update(s, key(&c.to_string()));
        }
        let effects = press(s, &["enter"]);
        perform(s, &mut j, dir.path(), effects);
    };
    say(&mut s, "role: scribe @bob");
    say(&mut s, "role: commander @carol");
    say(&mut s, "severity: P0");
    let inc = s.incident.as_ref().unwrap();
    assert_eq!(inc.roles.get("scribe").map(String::as_str), Some("bob"));
    assert_eq!(inc.commander, "carol", "command handed over");
    assert_eq!(inc.severity, warroom::state::Severity::P0);
    assert!(crate::common::screen(&s, 120, 40).contains("IC carol · scribe bob"));
    // Mistakes keep the input open with a message and record nothing.
    let before = s.incident.as_ref().unwrap().records.len();
    say(&mut s, "role: barista @dan");
    match &s.overlay {
        Some(Overlay::Note(input)) => {
            assert!(input.error.as_deref().is_some_and(|e| e.contains("scribe")))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.incident.as_ref().unwrap().records.len(), before);
}

#[test]
fn postmortem_reports_the_slo_budget_the_incident_burned() {
    use std::time::Duration;
    use warroom::incident::postmortem::{self, SloImpact, SloSection};
    // 2 % errors for 30 min against 99.9 % over 30 days: 0.02 * 1800 / (0.001 * 2592000).
    let burned = postmortem::budget_burned(
        0.02,
        Duration::from_secs(1800),
        0.999,
        Duration::from_secs(30 * 86_400),
    );
    assert!((burned - 0.013_888_9).abs() < 1e-6, "{burned}");
    let t = chrono::Utc::now();
    let records = vec![warroom::incident::Record::new(
        1,
        t,
        None,
        RecordKind::IncidentOpened {
            id: "inc-x".into(),
            title: "t".into(),
            severity: "P1".into(),
            commander: "a".into(),
        },
    )];
    let rows = SloSection::Computed(vec![SloImpact {
        name: "catalog-availability".into(),
        objective: 0.999,
        error_ratio: 0.02,
        budget_burned: burned,
    }]);
    let text =
        postmortem::render_with_slo(&records, postmortem::DEFAULT_TEMPLATE, t, &rows).unwrap();
    assert!(
        text.contains("| catalog-availability | 99.900% | 2.0000% | 1.39% |"),
        "{text}"
    );
    let failed = postmortem::render_with_slo(
        &records,
        postmortem::DEFAULT_TEMPLATE,
        t,
        &SloSection::Failed("connection refused".into()),
    )
    .unwrap();
    assert!(
        failed.contains("could not be measured (connection refused)"),
        "{failed}"
    );
    let plain = postmortem::render(&records, postmortem::DEFAULT_TEMPLATE, t).unwrap();
    assert!(plain.contains("fill in from the SLO dashboards"));
}

/// What the exit paths (quit, SIGHUP, SIGTERM, a panic of the main loop) call: every
/// intent without an outcome, including one still queued, gets an `interrupted` outcome on
/// disk before `finish` returns; one that has its outcome is left alone.
#[test]
fn finishing_records_every_open_intent_as_interrupted_before_returning() {
    use warroom::exec::interrupt;
    use warroom::incident::RecordKind;
    use warroom::sources::journal::{Command, spawn_writer};
    let root = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let writer = spawn_writer(root.path().to_path_buf(), "tester".into(), None, tx);
    let id = "inc-20260314-092600".to_string();
    writer
        .send(Command::Open {
            id: id.clone(),
            opened: RecordKind::IncidentOpened {
                id: id.clone(),
                title: "t".into(),
                severity: "P1".into(),
                commander: "tester".into(),
            },
            by: None,
        })
        .unwrap();
    let intent = |id: &str| Command::Append {
        kind: RecordKind::MitigationIntent {
            id: id.into(),
            runbook: "rb".into(),
            name: "scale".into(),
            plan: "kube: scale".into(),
        },
        by: Some("tester".into()),
    };
    // m1 ran and ended normally; m2 is running; m3 was confirmed but had not started; m4's
    // API call is under way.
    writer.send(intent("fin-m1")).unwrap();
    writer
        .send(Command::Append {
            kind: RecordKind::MitigationOutcome {
                id: "fin-m1".into(),
                exit_code: Some(0),
                duration_ms: 5,
                outcome: "succeeded".into(),
            },
            by: None,
        })
        .unwrap();
    writer.send(intent("fin-m2")).unwrap();
    interrupt::started("fin-m2", interrupt::Runner::Process);
    writer.send(intent("fin-m3")).unwrap();
    writer.send(intent("fin-m4")).unwrap();
    interrupt::started("fin-m4", interrupt::Runner::Kube);
    interrupt::finish("the console panicked", interrupt::FLUSH_WAIT);
    let records = warroom::incident::store::read_records(&root.path().join(&id)).unwrap();
    let outcomes: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| match &r.kind {
            RecordKind::MitigationOutcome { id, outcome, .. } => {
                Some((id.clone(), outcome.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:#?}");
    assert_eq!(outcomes[0], ("fin-m1".into(), "succeeded".into()));
    assert_eq!(outcomes[1].0, "fin-m2");
    assert_eq!(
        outcomes[1].1,
        "interrupted: the console panicked; its process group was killed"
    );
    assert_eq!(outcomes[2].0, "fin-m3");
    assert!(
        outcomes[2].1.starts_with("interrupted before it started"),
        "{}",
        outcomes[2].1
    );
    // An API call cannot be killed like a process group: it may have gone through.
    assert_eq!(outcomes[3].0, "fin-m4");
    assert_eq!(
        outcomes[3].1,
        "interrupted: the console panicked; the API call was under way and may have gone through: its effect is unknown, check it"
    );
    assert!(!outcomes[3].1.contains("process group"));
    // The audit points it out, and only it.
    let audit = warroom::incident::audit::render(&id, &records);
    assert_eq!(audit.matches("EFFECT UNKNOWN").count(), 1, "{audit}");
    // Twice is harmless: nothing is open any more.
    interrupt::finish("again", interrupt::FLUSH_WAIT);
    let again = warroom::incident::store::read_records(&root.path().join(&id)).unwrap();
    assert_eq!(again.len(), records.len());
    rx.close();
}

/// The demo 90 s in with a P1 incident opened on its journal in `dir`.
fn open_p1(dir: &std::path::Path) -> (State, Option<Journal>) {
    let mut s = demo_state(90);
    let mut j = None;
    let effects = s.open_incident("t".into(), warroom::state::Severity::P1);
    s.expect_replies(&effects);
    perform(&mut s, &mut j, dir, effects);
    (s, j)
}

/// Whole-line view of the incident banner's clock row.
fn clock_row(s: &State) -> String {
    crate::common::screen(s, 120, 40)
        .lines()
        .find(|l| l.contains("T+ "))
        .map(|l| l.split('┃').nth(1).unwrap_or(l).trim().to_string())
        .unwrap_or_default()
}

#[test]
fn the_incident_banner_counts_down_to_its_response_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, mut j) = open_p1(dir.path());
    // The clocks run from the page (the alert's start), not from when the incident opened.
    let opened = s.incident.as_ref().unwrap().paged_at;
    assert!(opened < s.now);
    // P1: ack within 15 minutes, mitigate within 4 hours (practices' severity matrix).
    update(
        &mut s,
        Event::Tick(opened + chrono::Duration::seconds(6 * 60 + 10)),
    );
    let row = clock_row(&s);
    assert!(
        row.starts_with("T+ 6m · ack due in 8m/15m · mitigate due in 3h53m/4h00m"),
        "{row}"
    );
    // The last minute before the target is counted in seconds.
    update(
        &mut s,
        Event::Tick(opened + chrono::Duration::seconds(14 * 60 + 20)),
    );
    assert!(
        clock_row(&s).contains("ack due in 40s/15m"),
        "{}",
        clock_row(&s)
    );
    update(
        &mut s,
        Event::Tick(opened + chrono::Duration::seconds(17 * 60 + 5)),
    );
    let row = clock_row(&s);
    assert!(
        row.starts_with("T+ 17m · ack OVER by 2m, ESCALATE 2nd · mitigate due in 3h42m/4h00m"),
        "the whole row fits the pane: {row}"
    );
    // Acked late: the time it took is fixed now, shown to the second, and marked. (The
    // top alert is the demo's, acked already; the payments P1 below it is not.)
    let effects = press(&mut s, &["j", "a"]);
    perform(&mut s, &mut j, dir.path(), effects);
    let row = clock_row(&s);
    assert!(row.contains("ack 17:05/15:00 LATE"), "{row}");
    assert!(row.contains("mitigate due in 3h42m/4h00m"), "{row}");
}

#[test]
fn a_resolved_incident_never_acked_shows_its_clocks_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, mut j) = open_p1(dir.path());
    let paged = s.incident.as_ref().unwrap().paged_at;
    update(
        &mut s,
        Event::Tick(paged + chrono::Duration::seconds(20 * 60)),
    );
    let effects = press(&mut s, &["R", "y"]);
    perform(&mut s, &mut j, dir.path(), effects);
    assert!(!s.incident.as_ref().unwrap().is_open());
    let at_resolution = clock_row(&s);
    assert!(
        at_resolution.starts_with("T+ 20:00 · postmortem due in 2d00h · ack 20:00/15:00 LATE"),
        "{at_resolution}"
    );
    // An hour later nothing has moved but the postmortem countdown.
    update(
        &mut s,
        Event::Tick(paged + chrono::Duration::seconds(80 * 60)),
    );
    let later = clock_row(&s);
    assert!(
        later.starts_with("T+ 20:00 · postmortem due in 1d23h · ack 20:00/15:00 LATE"),
        "{later}"
    );
}
