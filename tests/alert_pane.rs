//! The alert feed's keys: filter, group-by, detail, ack, silence and expire prompts, and the
//! response clocks, through `update` and rendering.

use warroom::keymap::Keymap;
use warroom::state::{
    Alert, AlertState, Effect, Event, Labels, Mode, Overlay, Severity, SourceHealth, State, update,
};

use crate::common::{at, press, screen, t0};

fn alert(name: &str, sev: Severity, started: i64, labels: &[(&str, &str)]) -> Alert {
    Alert {
        fingerprint: format!("fp-{name}"),
        name: name.into(),
        severity: sev,
        state: AlertState::Active,
        starts_at: at(started),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        annotations: Labels::default(),
        runbook: None,
        silenced_by: Vec::new(),
        inhibited_by: Vec::new(),
        generator_url: None,
        seen_by: vec!["am1".into()],
        group: None,
    }
}

fn feed() -> State {
    let mut s = State::new(Mode::Live, Keymap::default(), false, t0());
    s.user = "carol".into();
    s.sources = vec![SourceHealth::new(
        "alertmanager",
        std::time::Duration::from_secs(5),
    )];
    update(
        &mut s,
        Event::Alerts {
            source: "alertmanager".into(),
            at: t0(),
            alerts: vec![
                alert(
                    "DiskFull",
                    Severity::P2,
                    -60,
                    &[("service", "db"), ("tenant", "acme")],
                ),
                alert(
                    "CheckoutDown",
                    Severity::P0,
                    -360,
                    &[("service", "checkout"), ("tenant", "globex")],
                ),
                alert(
                    "QueueLag",
                    Severity::P1,
                    -1000,
                    &[("service", "checkout"), ("tenant", "acme")],
                ),
            ]
            .into_iter()
            .map(std::sync::Arc::new)
            .collect(),
        },
    );
    s
}

fn type_text(s: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(s, &[&c.to_string()]))
        .collect()
}

fn visible(s: &State) -> Vec<&str> {
    s.alerts.visible().iter().map(|a| &*a.name).collect()
}

#[test]
fn filter_captures_every_key_and_esc_clears_it() {
    let mut s = feed();
    press(&mut s, &["/"]);
    assert_eq!(s.overlay, Some(Overlay::Filter));
    // q and z are text here, not quit and zoom.
    assert!(type_text(&mut s, "tenant=acmeqz").is_empty());
    assert!(!s.zoomed);
    press(&mut s, &["bs", "bs"]);
    assert_eq!(s.alerts.filter, "tenant=acme");
    assert_eq!(visible(&s), ["QueueLag", "DiskFull"]);
    assert_eq!(
        s.alerts.selected_alert().map(|a| &*a.name),
        Some("QueueLag")
    );
    press(&mut s, &["enter"]);
    assert_eq!(s.overlay, None);
    let text = screen(&s, 120, 40);
    assert!(
        text.contains("/tenant=acme") && text.contains("2 of 3 shown"),
        "{text}"
    );
    assert!(!text.contains("CheckoutDown"), "{text}");
    press(&mut s, &["esc"]);
    assert_eq!(visible(&s).len(), 3);
}

#[test]
fn group_by_cycles_labels() {
    let mut s = feed();
    press(&mut s, &["b"]);
    assert_eq!(s.alerts.group_by.as_deref(), Some("am-group"));
    press(&mut s, &["b"]);
    assert_eq!(s.alerts.group_by.as_deref(), Some("alertname"));
    press(&mut s, &["b"]);
    assert_eq!(s.alerts.group_by.as_deref(), Some("service"));
    // checkout's two alerts together, worst first inside the group; then db.
    assert_eq!(visible(&s), ["CheckoutDown", "QueueLag", "DiskFull"]);
    assert!(screen(&s, 120, 40).contains("grouped by service"));
    for _ in 0..4 {
        press(&mut s, &["b"]);
    }
    assert_eq!(s.alerts.group_by, None);
}

#[test]
fn ack_records_who_and_when_once() {
    let mut s = feed();
    update(&mut s, Event::Tick(at(30)));
    let effects = press(&mut s, &["a"]);
    // A P0 ack outside an incident opens one, and the ack is a journal record by carol.
    assert!(
        matches!(&effects[0], Effect::OpenIncident { .. }),
        "{effects:?}"
    );
    assert!(effects.iter().any(|e| matches!(e,
        Effect::Journal { kind: warroom::incident::RecordKind::AlertAcked { fingerprint }, by: Some(b) }
            if fingerprint == "fp-CheckoutDown" && b == "carol")), "{effects:?}");
    assert!(crate::common::journal_in_memory(&mut s, effects).is_empty());
    let ack = &s.alerts.acks["fp-CheckoutDown"];
    assert_eq!((ack.by.as_str(), ack.at), ("carol", at(30)));
    // A second ack does not take it over.
    assert!(press(&mut s, &["a"]).is_empty());
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("already acked by carol")
    );
    assert!(screen(&s, 120, 40).contains("✓ carol"));
}

#[test]
fn response_clocks_follow_the_severity_targets() {
    let mut s = feed();
    update(&mut s, Event::Tick(t0()));
    let text = screen(&s, 160, 40);
    // P0 six minutes old, not acked: ack target of 5 min is passed by 1 min.
    assert!(text.contains("ACK LATE 1m "), "{text}");
    // P1 at 16m40s without ack: page the secondary.
    assert!(text.contains("ESCALATE 2nd"), "{text}");
    // P2 one minute old: a business day to ack.
    assert!(text.contains("ack in 23h59m"), "{text}");
    let effects = press(&mut s, &["a"]);
    crate::common::journal_in_memory(&mut s, effects);
    let text = screen(&s, 160, 40);
    // Acked P0: 30 min to mitigate from its start, 6 min gone.
    assert!(text.contains("fix in 24m "), "{text}");
}

#[test]
fn silence_asks_with_default_no_and_a_stray_enter_does_not_confirm() {
    let mut s = feed();
    update(&mut s, Event::Tick(at(10)));
    press(&mut s, &["s"]);
    assert!(matches!(s.overlay, Some(Overlay::Silence(_))));
    // An empty comment is refused.
    assert!(press(&mut s, &["enter"]).is_empty());
    assert!(screen(&s, 120, 40).contains("say why in the comment"));
    type_text(&mut s, "on it, y n q");
    press(&mut s, &["enter"]);
    assert!(screen(&s, 120, 40).contains("Create this silence for 2h?"));
    assert!(press(&mut s, &["enter"]).is_empty(), "enter answers no");
    assert_eq!(s.overlay, None);

    press(&mut s, &["s", "backtab"]);
    press(&mut s, &["bs", "bs"]);
    type_text(&mut s, "45m");
    press(&mut s, &["tab"]);
    type_text(&mut s, "known issue");
    press(&mut s, &["enter"]);
    let effects = press(&mut s, &["y"]);
    let [
        Effect::CreateSilence {
            fingerprint,
            request,
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}");
    };
    assert_eq!(fingerprint, "fp-CheckoutDown");
    assert_eq!(request.created_by, "carol");
    assert_eq!(request.comment, "known issue");
    assert_eq!(request.starts_at, at(10));
    assert_eq!(request.ends_at, at(10 + 45 * 60));
    assert_eq!(request.matchers.len(), 2);
    assert!(request.matchers.iter().all(|m| m.is_equal && !m.is_regex));
}

#[test]
fn bad_duration_and_read_only_are_refused() {
    let mut s = feed();
    press(&mut s, &["s", "backtab", "bs", "bs"]);
    type_text(&mut s, "soon");
    press(&mut s, &["tab"]);
    type_text(&mut s, "x");
    assert!(press(&mut s, &["enter"]).is_empty());
    assert!(screen(&s, 120, 40).contains("not a duration"));
    assert!(
        press(&mut s, &["y"]).is_empty(),
        "y is text until the form is valid"
    );
    press(&mut s, &["esc"]);
    assert_eq!(s.overlay, None);

    let mut s = feed();
    s.read_only = true;
    assert!(press(&mut s, &["s"]).is_empty());
    assert_eq!(s.overlay, None);
    assert!(s.notice.as_ref().unwrap().text.contains("Read-only"));
}

#[test]
fn expire_asks_first() {
    let mut s = feed();
    let mut a = alert("Muted", Severity::P0, -10, &[]);
    a.state = AlertState::Silenced;
    a.silenced_by = vec!["sil-1".into()];
    update(
        &mut s,
        Event::Alerts {
            source: "alertmanager".into(),
            at: t0(),
            alerts: vec![std::sync::Arc::new(a)],
        },
    );
    press(&mut s, &["U"]);
    // A stray Enter neither confirms nor dismisses; n does.
    assert!(press(&mut s, &["enter"]).is_empty());
    assert!(s.overlay.is_some());
    press(&mut s, &["n"]);
    assert_eq!(s.overlay, None);
    press(&mut s, &["U"]);
    assert_eq!(
        press(&mut s, &["y"]),
        vec![Effect::ExpireSilence { id: "sil-1".into() }]
    );
}

#[test]
fn detail_shows_every_label_escaped() {
    let mut s = feed();
    let body = serde_json::json!([{
        "labels": {"alertname": "Evil", "ns": "kube\u{200B}-system", "big": "v".repeat(5000)},
        "annotations": {"summary": "\u{1b}]0;PWNED\u{7}hello", "description": "abc\u{202E}fed"},
        "fingerprint": "fe", "startsAt": "2026-03-14T09:20:00Z",
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
    }])
    .to_string();
    let alerts = warroom::sources::alertmanager::parse_alerts(
        &warroom::sources::http::Body {
            status: 200,
            content_type: "application/json".into(),
            bytes: body.into_bytes(),
        },
        &Default::default(),
        "am1",
    )
    .unwrap();
    update(
        &mut s,
        Event::Alerts {
            source: "alertmanager".into(),
            at: t0(),
            alerts,
        },
    );
    press(&mut s, &["d"]);
    assert!(matches!(s.overlay, Some(Overlay::AlertDetail { .. })));
    let text = screen(&s, 120, 40);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'));
    // The 5000-character value is cut with a marker; below it the rest, escaped.
    press(&mut s, &["j"; 25]);
    let text = screen(&s, 120, 40);
    assert!(text.contains("…[+"), "{text}");
    assert!(text.contains("kube\\u{200B}-system"), "{text}");
    assert!(text.contains("\\u{001B}]0;PWNED\\u{0007}hello"), "{text}");
    assert!(text.contains("abc\\u{202E}fed"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'));
    press(&mut s, &["esc"]);
    assert_eq!(s.overlay, None);
}
