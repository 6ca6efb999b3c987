//! Prometheus HTTP API answers (instant and range queries, errors) and Sloth SLO specs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warroom::sources::prometheus::{parse_query, parse_sloth};

fuzz_target!(|data: &[u8]| {
    match parse_query(&warroom_fuzz::body(data)) {
        Ok(r) => {
            let _ = r.first_or_zero();
            for w in &r.warnings {
                warroom_fuzz::assert_clean("query warning", w);
            }
        }
        Err(e) => warroom_fuzz::assert_clean("query error", &e.to_string()),
    }
    if let Some(text) = warroom_fuzz::text(data) {
        match parse_sloth(std::path::Path::new("slo.yaml"), text) {
            Ok(slos) => {
                for s in slos {
                    let _ = s.ratio_query("5m");
                }
            }
            Err(e) => warroom_fuzz::assert_clean_lines("sloth error", &e.to_string()),
        }
    }
});
