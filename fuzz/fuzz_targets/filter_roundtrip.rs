//! Whatever parses prints to a canonical form that parses to the same tree,
//! and printing that tree again gives the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(filter) = scim_filter::parse_filter(data) {
        let canonical = filter.to_string();
        let again = scim_filter::parse_filter(&canonical).expect("canonical form parses");
        assert_eq!(again, filter);
        assert_eq!(again.to_string(), canonical);
    }
});
