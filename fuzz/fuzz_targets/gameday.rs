//! Game-day files (YAML with Chaos Mesh manifests): parse, boundary checks, findings.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    let analysis = warroom::gameday::model::analyse("gamedays/fuzz.yaml", Some("fuzz"), text);
    for d in &analysis.diagnostics {
        warroom_fuzz::assert_clean_lines("game-day diagnostic", &d.to_string());
    }
});
