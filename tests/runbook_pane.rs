//! The runbook pane: walking a branch and back, the picker, placeholders, the STALE banner,
//! and hostile runbook text never reaching the terminal buffer raw.

use std::collections::BTreeMap;

use insta::assert_snapshot;
use warroom::keymap::Keymap;
use warroom::runbook::parse::parse;
use warroom::sanitize::is_hazard;
use warroom::state::{Event, Mode, Overlay, Pane, State, update};

use crate::common::{demo_state, press, render, screen, t0};

fn anchor(s: &State) -> String {
    let rb = &s.runbooks[s.runbook.runbook.unwrap()];
    rb.steps[s.runbook.current_step().unwrap()].anchor.clone()
}

#[test]
fn runbook_walk_branch_120x40() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "enter", "1", "2"]);
    assert_eq!(anchor(&s), "database-slow");
    assert_snapshot!(screen(&s, 120, 40));
}

#[test]
fn runbook_walk_back_120x40() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "enter", "1", "2", "bs"]);
    assert_eq!(anchor(&s), "where-is-the-time-going");
    assert_snapshot!(screen(&s, 120, 40));
}

#[test]
fn section_jumps_are_steps_on_the_path() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "]", "]"]);
    assert_eq!(anchor(&s), "where-is-the-time-going");
    press(&mut s, &["]"]);
    assert_eq!(anchor(&s), "scale-out-the-catalog");
    press(&mut s, &["["]);
    assert_eq!(anchor(&s), "where-is-the-time-going");
    press(&mut s, &["bs", "bs"]);
    assert_eq!(anchor(&s), "where-is-the-time-going");
    press(&mut s, &["bs"]);
    assert_eq!(anchor(&s), "is-it-real");
}

#[test]
fn runbook_picker_80x24() {
    let mut s = demo_state(90);
    // `f` finds a runbook from anywhere; `/` does too while the Runbook pane has focus.
    press(&mut s, &["tab", "/"]);
    assert!(matches!(&s.overlay, Some(Overlay::Picker(_))));
    press(&mut s, &["esc", "backtab", "f", "n", "o", "d", "e"]);
    assert!(matches!(&s.overlay, Some(Overlay::Picker(p)) if p.query == "node"));
    // While the picker is open, q is typed, not quit.
    let effects = press(&mut s, &["q"]);
    assert!(effects.is_empty());
    press(&mut s, &["bs"]);
    assert_snapshot!(screen(&s, 80, 24));
    press(&mut s, &["enter"]);
    assert!(s.overlay.is_none());
    assert_eq!(s.focus, Pane::Runbook);
    assert_eq!(s.runbooks[s.runbook.runbook.unwrap()].id, "node-failure");
    // Opened without an alert for it, so placeholders stay visibly unresolved.
    assert!(s.runbook.labels.is_empty());
    press(&mut s, &["enter"]);
    let text = screen(&s, 120, 40);
    assert!(text.contains("kubectl get node {{node}}?"), "{text}");
}

#[test]
fn placeholders_are_filled_from_the_alert() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "enter", "z"]);
    let text = screen(&s, 120, 40);
    assert!(
        text.contains("kubectl -n catalog get pods -l app=catalog -o wide"),
        "{text}"
    );
    assert!(text.contains("tenant=\"acme-books\""), "{text}");
}

#[test]
fn stale_runbook_says_so_on_its_first_line() {
    let mut s = demo_state(90);
    let later = s.now + chrono::Duration::days(400);
    update(&mut s, Event::Tick(later));
    press(&mut s, &["enter"]);
    let text = screen(&s, 120, 40);
    let first = text.lines().nth(1).unwrap();
    assert!(first.contains("STALE: exercise before trusting"), "{text}");
}

#[test]
fn alert_without_runbook_says_which_file_would_answer() {
    let mut s = demo_state(90);
    s.runbooks.retain(|r| r.id != "catalog-p99-latency");
    press(&mut s, &["enter"]);
    assert!(s.runbook.runbook.is_none());
    let msg = s.runbook.missing.clone().unwrap();
    assert!(msg.contains("catalog-p99-latency.md"), "{msg}");
}

const HOSTILE: &str = "---
alerts: [Evil\u{1b}[2J]
last_reviewed: 2026-03-01
labels: [namespace]
---

# Title \u{1b}]0;pwned\u{7}

## Alert

Text with \u{202e}bidi and zero\u{200b}width and entity &#27;[31m red and &#x9b;1m csi.

## Check

### Step \u{1b}[31mred

```sh {name=evil kind=check}
echo \u{1b}[2J {{namespace}} \u{2066}x\u{2069}\tz
```

- Go \u{200d}on: [next](#next)

### Next

`code \u{1b}(0` and *em\u{7}ph*

## Diagnose

## Mitigate

## Postmortem
";

#[test]
fn hostile_text_never_reaches_the_buffer_raw() {
    let parsed = parse("evil\u{1b}", "evil.md", HOSTILE).unwrap();
    let mut s = State::new(Mode::Live, Keymap::default(), false, t0());
    update(&mut s, Event::RunbooksLoaded(vec![parsed.runbook]));
    let labels = BTreeMap::from([(
        "namespace".to_string(),
        "kube\u{200b}\u{1b}[0m-system".to_string(),
    )]);
    for step in 0..4 {
        s.runbook.open(0, Some("Evil".into()), labels.clone());
        for _ in 0..step {
            press(&mut s, &["enter"]);
        }
        s.focus = Pane::Runbook;
        for (w, h) in [(120, 40), (80, 24)] {
            let t = render(&s, w, h);
            for cell in t.backend().buffer().content() {
                assert!(
                    !cell.symbol().chars().any(is_hazard),
                    "raw hazard {:?} at step {step}",
                    cell.symbol()
                );
            }
        }
    }
    // The picker shows the hostile id and alerts too.
    press(&mut s, &["/"]);
    let t = render(&s, 120, 40);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| !c.symbol().chars().any(is_hazard))
    );
    let text = screen(&s, 120, 40);
    assert!(text.contains("\\u{001B}"), "escapes are visible: {text}");
}
