//! Inputs the fuzz targets (`fuzz/`, docs/fuzzing.md) found, each shrunk by hand and kept
//! here so the normal suite guards the fix without cargo-fuzz.

use std::path::Path;

use warroom::sanitize::is_hazard;

/// What the fuzz targets assert: no raw control, bidi or zero-width character in text
/// meant for the terminal (line breaks of the message itself allowed).
fn assert_clean(what: &str, text: &str) {
    for line in text.lines() {
        assert!(
            !line.chars().any(is_hazard),
            "{what} carries a raw hazardous character: {line:?}"
        );
    }
}

/// An unknown key is quoted in the error; a tab or escape in it must be escaped.
/// (fuzz target `config`, crash-044facad)
#[test]
fn config_error_quoting_an_unknown_key_is_escaped() {
    let err = warroom::config::parse(Path::new("config.yaml"), "us\t\t\u{202e}er: alice\n")
        .expect_err("unknown key");
    let text = err.to_string();
    assert_clean("config error", &text);
    assert!(text.contains("us\\t\\t\\u{202E}er"), "{text}");
}

/// (fuzz target `theme`, crash-666d9f19)
#[test]
fn theme_error_quoting_an_unknown_role_is_escaped() {
    let err = warroom::theme::parse(
        "fuzz",
        "name: fuzz\nstyles:\n  b\tas\u{202e}e: { fg: black }\n",
    )
    .expect_err("unknown role");
    let text = err.to_string();
    assert_clean("theme error", &text);
    assert!(text.contains("b\\tas\\u{202E}e"), "{text}");
}

/// The `name:` and `extends:` a theme file gives are quoted when they are wrong.
/// (fuzz target `theme`, crash-75c31242)
#[test]
fn theme_errors_quoting_its_name_or_base_are_escaped() {
    for text in ["name: da\trk\u{202e}\n", "extends: da\trk\u{202e}\n"] {
        let err = warroom::theme::parse("fuzz", text).expect_err("bad name or base");
        let text = err.to_string();
        assert_clean("theme error", &text);
        assert!(text.contains("da\\trk\\u{202E}"), "{text}");
    }
}

/// A Sloth spec's errors go through the config error. (fuzz target `prometheus`,
/// crash-771161c2)
#[test]
fn sloth_error_quoting_an_unknown_field_is_escaped() {
    let err = warroom::sources::prometheus::parse_sloth(
        Path::new("slo.yaml"),
        "version: prometheus/v1\nservice: checkout\nl\t\u{1b}[2J: x\n",
    )
    .expect_err("unknown field");
    assert_clean("sloth error", &err.to_string());
}

/// A journal line with an unknown field full of DEL characters: the error that says which
/// line is malformed quotes it. (fuzz target `journal`, crash-ee6cbabf)
#[test]
fn journal_error_quoting_a_malformed_record_is_escaped() {
    let line = "{\"v\":1,\"seq\":1,\"at\":\"2026-03-14T09:00:00Z\",\"type\":\"alert_acked\",\"fingerprint\":\"f\",\"\u{7f}\u{7f}\u{1b}[2J\":1}\n";
    let err = warroom::incident::journal::parse_lines(Path::new("journal.jsonl"), line, 1, 1)
        .expect_err("unknown field");
    let text = err.to_string();
    assert_clean("journal error", &text);
    assert!(text.contains("journal.jsonl:1"), "{text}");
}

/// A journal whose `incident_opened` carries an id with control characters (the directory
/// name is checked, the record's id was not): the postmortem's facts table quoted it raw.
/// (fuzz target `journal`, crash-db7c4c67)
#[test]
fn postmortem_escapes_the_incident_id_from_the_journal() {
    let line = "{\"v\":1,\"seq\":1,\"at\":\"2026-03-14T09:00:00Z\",\"type\":\"incident_opened\",\"id\":\"in\\u007f\\u001b]52;c;eA==\\u0007\",\"title\":\"t\",\"severity\":\"P1\",\"commander\":\"a\"}\n";
    let records = warroom::incident::journal::parse_lines(Path::new("journal.jsonl"), line, 1, 1)
        .expect("a valid record");
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 14, 10, 0, 0).unwrap();
    let pm = warroom::incident::postmortem::render(
        &records,
        warroom::incident::postmortem::DEFAULT_TEMPLATE,
        now,
    )
    .expect("a draft");
    assert_clean("postmortem", &pm);
    assert!(pm.contains("in\\u{007F}\\u{001B}]52"), "{pm}");
}
