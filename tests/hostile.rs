//! Hostile text through every path that reaches the screen or an export: escape sequences
//! (CSI, OSC 52 clipboard, OSC 8 links, DCS, 8-bit C1), bidi overrides, zero-width
//! characters, a 1 MB value, embedded newlines and tabs, HTML entities and invalid UTF-8.
//! Assertions read the pseudo-terminal's raw bytes (not only the emulated screen) and the
//! exported files: the only escape sequences are the console's own.

use std::path::Path;
use std::process::Command;

use crate::support::pty::{Key, Session, SessionBuilder, TIMEOUT, escape};
use crate::support::stub::{Reply, Stub};

/// One of each kind of hostile text. Every CSI here uses the parameter 1337, which the
/// console itself never writes, so finding it in the output means the data leaked.
pub const PAYLOADS: &[&str] = &[
    "csi\u{1b}[1337m\u{1b}[1337;1337H",
    "osc52\u{1b}]52;c;cHduZWQ=\u{7}",
    "osc8\u{1b}]8;;http://evil.invalid/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
    "dcs\u{1b}P1337$qm\u{1b}\\",
    "c1\u{9b}1337m\u{9d}52;c;eA==\u{9c}",
    "bidi\u{202e}gnp.exe\u{2066}x\u{2069}",
    "zw kube\u{200b}-system\u{feff}\u{2060}",
    "nl line1\nline2\ttab\rcr",
    "html &lt;b&gt; &#x1b;[1337m &#27; <script>",
    "bell\u{7}bs\u{8}del\u{7f}",
];

/// Code points that must never reach the terminal raw: bidi controls, zero-width and
/// invisible characters, C0 and C1 controls. Line feed, carriage return and backspace are
/// the console's own cursor moves (down, to the first column, one left), and ESC starts its
/// own sequences, checked above; that no such character from the data reaches a cell is
/// asserted where text becomes cells (`runbook_pane::hostile_text_never_reaches_the_buffer_raw`).
fn forbidden_char(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}')
        || (warroom::sanitize::is_hazard(c) && !matches!(c, '\n' | '\r' | '\u{8}' | '\u{1b}'))
}

/// Asserts the console's output holds no escape sequence but the console's own: every ESC
/// starts a CSI (`ESC [`), a charset or keypad selection, or a cursor save/restore; no OSC,
/// DCS, APC, PM or SOS; no CSI with the payloads' parameter 1337; no C1 control, bidi or
/// zero-width character; no invalid UTF-8.
pub fn assert_only_own_escapes(what: &str, raw: &[u8]) {
    // Read mid-stream, the buffer may end inside a character or a sequence.
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&raw[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(e) => panic!(
            "{what}: invalid UTF-8 at byte {}: {}",
            e.valid_up_to(),
            escape(&raw[e.valid_up_to().saturating_sub(40)..(e.valid_up_to() + 40).min(raw.len())])
        ),
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            let Some(&next) = bytes.get(i + 1) else {
                break;
            };
            let ctx = || escape(&bytes[i.saturating_sub(40)..(i + 40).min(bytes.len())]);
            match next {
                b'[' => {
                    let mut j = i + 2;
                    while j < bytes.len() && (0x20..0x40).contains(&bytes[j]) {
                        j += 1;
                    }
                    let params = &text[i + 2..j];
                    assert!(
                        !params.contains("1337"),
                        "{what}: a CSI from the data reached the terminal: {}",
                        ctx()
                    );
                    i = j + 1;
                    continue;
                }
                b'(' | b')' => i += 3,
                b'7' | b'8' | b'=' | b'>' | b'M' => i += 2,
                _ => panic!(
                    "{what}: a foreign escape sequence (ESC {:?}) reached the terminal: {}",
                    next as char,
                    ctx()
                ),
            }
            continue;
        }
        i += 1;
    }
    if let Some((at, c)) = text.char_indices().find(|(_, c)| forbidden_char(*c)) {
        panic!(
            "{what}: U+{:04X} reached the terminal raw: {}",
            c as u32,
            escape(&bytes[at.saturating_sub(40)..(at + 40).min(bytes.len())])
        );
    }
    assert!(
        !text.contains("\u{7}"),
        "{what}: a BEL from the data reached the terminal"
    );
}

/// For exported text files: no ESC at all, no C1, bidi or zero-width character, no BEL.
pub fn assert_clean_export(what: &str, text: &str) {
    for (n, line) in text.lines().enumerate() {
        if let Some(c) = line.chars().find(|c| forbidden_char(*c) || *c == '\u{1b}') {
            panic!(
                "{what}, line {}: U+{:04X} in the export: {line:?}",
                n + 1,
                c as u32
            );
        }
    }
}

fn alert_json(extra_label: &str) -> String {
    let mut labels = serde_json::Map::new();
    labels.insert("alertname".into(), "HostileAlert".into());
    labels.insert("severity".into(), "page".into());
    labels.insert("tenant".into(), format!("acme{}", PAYLOADS[5]).into());
    labels.insert("region".into(), PAYLOADS[0].into());
    labels.insert("service".into(), extra_label.into());
    let mut annotations = serde_json::Map::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        labels.insert(format!("p{i}"), (*p).into());
        annotations.insert(format!("a{i}{}", PAYLOADS[1]), (*p).into());
    }
    annotations.insert("summary".into(), PAYLOADS.join(" | ").into());
    annotations.insert(
        "huge".into(),
        format!("{}{}", PAYLOADS[1], "x".repeat(1 << 20)).into(),
    );
    let alert = serde_json::json!([{
        "labels": labels,
        "annotations": annotations,
        "fingerprint": format!("fp{}", PAYLOADS[1]),
        "startsAt": "2026-03-14T09:00:00Z",
        "generatorURL": format!("http://prom.invalid/{}", PAYLOADS[2]),
        "status": {"state": "active", "silencedBy": [PAYLOADS[3]], "inhibitedBy": []}
    }]);
    alert.to_string()
}

/// A runbook for `HostileAlert` whose every text carries hostile characters, and whose
/// check prints escape sequences to its output.
fn hostile_runbook() -> String {
    let p = PAYLOADS.join(" ");
    format!(
        "---\nalerts: [HostileAlert]\nseverity: P1\nservice: any\nowner: team-sre\nlast_reviewed: 2026-11-08\n---\n\n\
         # Hostile {p0}\n\n## Alert\n\n{p}\n\n## Check\n\n### Is it {p1} real?\n\n{p}\n\n\
         ```sh {{name=leak kind=check timeout=15s}}\nprintf '\\033]52;c;cHduZWQ=\\007 \\302\\233 1337m \\342\\200\\256gnp \\033[1337m\\033P1337$qm\\033\\\\ \\377\\376 done\\n'\n```\n\n\
         - It is {p5}: [diagnose](#diagnose-it)\n\n## Diagnose\n\n### Diagnose it\n\n{p}\n\n\
         ## Mitigate\n\n### Mitigate it\n\n{p}\n\n## Postmortem\n\n### Write it\n\n{p}\n",
        p0 = PAYLOADS[0],
        p1 = PAYLOADS[1],
        p5 = PAYLOADS[5],
    )
}

fn live_console(am: &Stub, runbooks: &Path, data: &Path) -> Session {
    let b = SessionBuilder::warroom()
        .size(120, 40)
        .env("XDG_DATA_HOME", data);
    let dir = b.config_home().join("warroom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        format!(
            "user: tester\nrunbooks_dir: {}\nread_only_tools: [printf]\nalertmanager:\n  urls: [{}]\n  interval: 1s\n",
            runbooks.display(),
            am.url()
        ),
    )
    .unwrap();
    b.spawn()
}

#[test]
fn hostile_alerts_runbooks_notes_and_command_output_never_reach_the_terminal_raw() {
    let am = Stub::start(|path| {
        if path.starts_with("/api/v2/alerts/groups") {
            Reply::json("[]")
        } else if path.starts_with("/api/v2/alerts") {
            Reply::json(alert_json(PAYLOADS[2]))
        } else {
            Reply::json("{}")
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let runbooks = tmp.path().join("runbooks");
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::write(runbooks.join("hostile-alert.md"), hostile_runbook()).unwrap();
    let lint = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("lint")
        .arg(&runbooks)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "the hostile runbook loads: {}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let data = tmp.path().join("data");
    let mut s = live_console(&am, &runbooks, &data);
    s.wait_for_text("HostileAlert");
    // Every label and annotation, in full.
    s.send("d");
    s.wait_for_text("esc closes");
    s.send_key(Key::Esc);
    s.wait_for("the details to close", TIMEOUT, |sc| {
        !sc.contents().contains("esc closes")
    });
    // Ack: a P1 opens an incident, whose journal then carries the alert's labels.
    s.send("a");
    s.wait_for_text("✓ tester");
    // The runbook, its check (which prints escapes), a branch.
    s.send_key(Key::Enter);
    s.wait_for_text("Step 1/5");
    s.send_key(Key::Enter);
    s.wait_for_text("real?");
    // `printf` is a read-only tool by the config's `read_only_tools`: it runs at once.
    s.send("x");
    s.wait_for("the check's output", TIMEOUT, |sc| {
        sc.contents().contains("done")
    });
    // A note typed with bidi, zero-width and C1 characters.
    s.send("i");
    s.wait_for_text("Note for the incident journal");
    s.send("note \u{202e}evil\u{200b}x\u{9b}1337m end");
    s.send_key(Key::Enter);
    s.wait_for_text("notes 1");
    assert_only_own_escapes("the live console", &s.raw_output());
    s.send("q");
    s.wait_exit(TIMEOUT);
    assert_only_own_escapes("the live console, to its exit", &s.raw_output());

    // The exports of what was recorded.
    let exports = exports(&data, tmp.path());
    assert!(
        exports
            .iter()
            .any(|(_, t)| t.contains("\\u{202E}evil\\u{200B}x")),
        "the note is in the exports, escaped: {exports:?}"
    );
}

/// Runs `postmortem` (to a file and to stdout) and `audit`, checks each is clean, and
/// returns what they wrote.
fn exports(data: &Path, work: &Path) -> Vec<(&'static str, String)> {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(args)
            .env("XDG_DATA_HOME", data)
            .env("XDG_CONFIG_HOME", work.join("no-config"))
            .current_dir(work)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "warroom {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 errors");
        assert_clean_export(&format!("warroom {args:?} stderr"), &stderr);
        stdout
    };
    let pm_file = work.join("pm.md");
    run(&["postmortem", "-o", pm_file.to_str().unwrap()]);
    let mut out = vec![
        (
            "postmortem file",
            std::fs::read_to_string(&pm_file).unwrap(),
        ),
        ("postmortem stdout", run(&["postmortem"])),
        ("audit", run(&["audit"])),
    ];
    for (what, text) in &out {
        assert_clean_export(what, text);
    }
    out.retain(|(_, t)| !t.is_empty());
    out
}

/// A journal written by something else (a damaged disk, a hand edit, an older build) with
/// raw hostile text in every string field.
fn hostile_journal(data: &Path, id: &str) {
    let dir = data.join("warroom/incidents/inc-hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let p = PAYLOADS.join(" ");
    let huge = format!("{}{}", PAYLOADS[1], "y".repeat(1 << 20));
    let kinds = [
        serde_json::json!({"type": "incident_opened", "id": id, "title": format!("Hostile {p}"), "severity": "P1", "commander": PAYLOADS[5]}),
        serde_json::json!({"type": "alert_seen", "fingerprint": PAYLOADS[1], "name": PAYLOADS[0], "severity": "P1", "labels": {"tenant": PAYLOADS[6], PAYLOADS[2]: PAYLOADS[4]}, "starts_at": "2026-03-14T08:55:00Z"}),
        serde_json::json!({"type": "alert_acked", "fingerprint": PAYLOADS[1]}),
        serde_json::json!({"type": "role_assigned", "role": "scribe", "person": PAYLOADS[5]}),
        serde_json::json!({"type": "runbook_opened", "runbook": PAYLOADS[3], "alert": PAYLOADS[1]}),
        serde_json::json!({"type": "step_viewed", "runbook": PAYLOADS[3], "step": PAYLOADS[7]}),
        serde_json::json!({"type": "branch_chosen", "runbook": PAYLOADS[3], "from": PAYLOADS[0], "to": PAYLOADS[8], "choice": 1}),
        serde_json::json!({"type": "check_run", "runbook": PAYLOADS[3], "name": PAYLOADS[4], "argv": PAYLOADS, "exit_code": 0, "duration_ms": 5}),
        serde_json::json!({"type": "mitigation_intent", "id": "m1", "runbook": PAYLOADS[3], "name": PAYLOADS[9], "plan": p}),
        serde_json::json!({"type": "mitigation_outcome", "id": "m1", "exit_code": 1, "duration_ms": 5, "outcome": p}),
        serde_json::json!({"type": "alert_silenced", "fingerprint": PAYLOADS[1], "silence_id": PAYLOADS[2], "until": "2026-03-14T10:00:00Z", "comment": p}),
        serde_json::json!({"type": "note", "text": huge}),
        serde_json::json!({"type": "note", "text": p, "action_item": {"owner": PAYLOADS[5], "due": "2026-12-01", "ticket": PAYLOADS[1]}}),
        serde_json::json!({"type": "severity_changed", "from": "P1", "to": PAYLOADS[6]}),
    ];
    let mut text = String::new();
    for (i, kind) in kinds.into_iter().enumerate() {
        let mut rec = serde_json::json!({"v": 1, "seq": i + 1, "at": format!("2026-03-14T09:00:{:02}Z", i), "by": PAYLOADS[6]});
        for (k, v) in kind.as_object().unwrap() {
            rec[k] = v.clone();
        }
        text.push_str(&rec.to_string());
        text.push('\n');
    }
    std::fs::write(dir.join("journal.jsonl"), text).unwrap();
}

#[test]
fn exports_of_a_journal_with_raw_hostile_text_are_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // The record's id is not the (checked) directory name here.
    hostile_journal(&data, &format!("inc-hostile{}", PAYLOADS[4]));
    let out = exports(&data, tmp.path());
    let pm = &out[0].1;
    assert!(
        pm.contains("Hostile csi\\u{001B}[1337m"),
        "the title, escaped:\n{}",
        &pm[..pm.len().min(2000)]
    );
    assert!(
        pm.contains("nl line1\\nline2\\ttab\\rcr"),
        "a newline in a note cannot start a new line of the postmortem"
    );
}

#[test]
fn follow_of_a_journal_with_raw_hostile_text_shows_only_escaped_text() {
    let b = SessionBuilder::warroom().size(120, 40);
    let data = b.sandbox().join("data");
    hostile_journal(&data, "inc-hostile");
    let mut s = b.arg("follow").arg("inc-hostile").spawn();
    s.wait_for_text("Hostile");
    s.send_key(Key::Tab);
    s.send("d");
    assert_only_own_escapes("warroom follow", &s.raw_output());
    s.send("q");
    s.wait_exit(TIMEOUT);
    assert_only_own_escapes("warroom follow, to its exit", &s.raw_output());
}

#[test]
fn errors_quoting_hostile_input_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(args)
            .env("XDG_DATA_HOME", tmp.path().join("data"))
            .env("XDG_CONFIG_HOME", tmp.path().join("config"))
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        assert!(!all.is_empty(), "warroom {args:?} said something");
        all
    };
    let check = |what: &str, bytes: Vec<u8>| {
        let text =
            String::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: invalid UTF-8: {e}"));
        assert_clean_export(what, &text);
        text
    };
    // A config with hostile keys and values.
    let config = tmp.path().join("config.yaml");
    std::fs::write(&config, format!("user: x\n\"k{}\": 1\n", PAYLOADS.join(""))).unwrap();
    check(
        "bad config",
        run(&["--config", config.to_str().unwrap(), "lint"]),
    );
    std::fs::write(&config, format!("user: [\"{}\"\n", PAYLOADS[1])).unwrap();
    check(
        "broken config",
        run(&["--config", config.to_str().unwrap(), "lint"]),
    );
    // Runbooks with hostile text in every place lint quotes, and one that is not UTF-8.
    let runbooks = tmp.path().join("rb");
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::write(
        runbooks.join("bad.md"),
        format!(
            "---\nalerts: [\"{p}\"]\nseverity: \"{p}\"\nlast_reviewed: \"{p}\"\n---\n# {p}\n\n## {p}\n\n- [{p}](#{p})\n\n```sh {{name={p} kind={p}}}\nx\n```\n",
            p = PAYLOADS[1]
        ),
    )
    .unwrap();
    let mut bytes = b"---\nalerts: [X]\n---\n# \xff\xfe \x1b]52;c;eA==\x07\n".to_vec();
    bytes.extend_from_slice(b"\xc2\x9b1337m\n");
    std::fs::write(runbooks.join("bytes.md"), bytes).unwrap();
    let text = check("lint", run(&["lint", runbooks.to_str().unwrap()]));
    assert!(text.contains("bad.md"), "lint names the file: {text}");
    let json = check(
        "lint --format json",
        run(&["lint", "--format", "json", runbooks.to_str().unwrap()]),
    );
    assert!(json.contains("bad.md"), "lint names the file: {json}");
}

#[test]
fn the_checker_catches_every_payload_that_carries_an_escape() {
    for p in PAYLOADS {
        let leaks = p
            .chars()
            .any(|c| c != '\n' && c != '\r' && forbidden_char(c) || c == '\u{1b}');
        let caught =
            std::panic::catch_unwind(|| assert_only_own_escapes("probe", p.as_bytes())).is_err();
        assert_eq!(caught, leaks, "raw output check on {p:?}");
        let caught = std::panic::catch_unwind(|| assert_clean_export("probe", p)).is_err();
        assert_eq!(caught, leaks, "export check on {p:?}");
    }
}
