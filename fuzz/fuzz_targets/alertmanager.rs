//! Alertmanager API v2 answers: alerts, alert groups, a created silence.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warroom::sources::alertmanager::{
    SeverityMap, apply_groups, merge, parse_alerts, parse_groups, parse_silence_id,
};

fuzz_target!(|data: &[u8]| {
    let body = warroom_fuzz::body(data);
    match parse_alerts(&body, &SeverityMap::default(), "am-0") {
        Ok(alerts) => {
            for a in &alerts {
                warroom_fuzz::assert_clean("alert name", &a.name);
                warroom_fuzz::assert_clean("fingerprint", &a.fingerprint);
                for (k, v) in a.labels.iter().chain(&a.annotations) {
                    warroom_fuzz::assert_clean("label key", k);
                    warroom_fuzz::assert_clean("label value", v);
                }
            }
            let mut merged = merge(vec![alerts.clone(), alerts]);
            if let Ok(groups) = parse_groups(&body) {
                apply_groups(&mut merged, &groups);
            }
        }
        Err(e) => warroom_fuzz::assert_clean("alerts error", &e.to_string()),
    }
    if let Err(e) = parse_groups(&body) {
        warroom_fuzz::assert_clean("groups error", &e.to_string());
    }
    match parse_silence_id(&body) {
        Ok(id) => warroom_fuzz::assert_clean("silence id", &id),
        Err(e) => warroom_fuzz::assert_clean("silence error", &e.to_string()),
    }
});
