//! Our parser against scim-filter 0.2.3 and scim_proto 1.10.4, each on the
//! inputs it can parse (`cargo bench` in this folder). Criterion prints one
//! group per input; compare the three lines of a group, measured in the
//! same run.
//!
//! What the others cannot parse: neither reads Entra's
//! `emails[type eq "work"].value eq "x"` nor has a PATCH-path parser
//! (scim_proto reads `members[value eq "x"]` as a filter, scim-filter 0.2.3
//! through `value_path_data`, so that one path is compared); scim_proto
//! has no URN prefixes; scim-filter 0.2.3 backtracks exponentially on
//! parentheses (30 levels took 21 minutes in one measurement), so it is
//! left out of the 30-deep input.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use old_scim_filter::parser as old;
use scim_proto::filter::ScimFilter;

fn chain(n: usize) -> String {
    let attrs = [("userName", "u"), ("displayName", "d"), ("title", "t")];
    (0..n)
        .map(|i| {
            let (a, p) = attrs[i % 3];
            let op = if i == 0 { "" } else if i % 2 == 1 { " or " } else { " and " };
            format!("{op}{a} eq \"{p}{i}\"")
        })
        .collect()
}

struct Input {
    name: &'static str,
    text: String,
    old: bool,
    proto: bool,
    path: bool,
}

fn inputs() -> Vec<Input> {
    let i = |name, text: String, old, proto, path| Input { name, text, old, proto, path };
    vec![
        i("entra_username_eq", r#"userName eq "AdeleV@contoso.onmicrosoft.com""#.into(), true, true, false),
        i("entra_work_email", r#"emails[type eq "work"].value eq "AdeleV@contoso.com""#.into(), false, false, false),
        i("rfc_work_email", r#"emails[type eq "work" and value eq "AdeleV@contoso.com"]"#.into(), true, true, false),
        i("chain_20_and_or", chain(20), true, true, false),
        i("parens_30_deep", format!("{}userName eq \"x\"{}", "(".repeat(30), ")".repeat(30)), false, true, false),
        i("parens_12_deep", format!("{}userName eq \"x\"{}", "(".repeat(12), ")".repeat(12)), true, true, false),
        i("urn_manager", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq \"abc\"".into(), true, false, false),
        i("patch_member_path", r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#.into(), true, true, true),
        i("patch_work_email_path", r#"emails[type eq "work"].value"#.into(), false, false, true),
    ]
}

fn bench(c: &mut Criterion) {
    for input in inputs() {
        let s = input.text.as_str();
        let mut g = c.benchmark_group(input.name);
        if input.path {
            assert!(scim_filter::parse_path(s).is_ok());
            g.bench_function("ours", |b| b.iter(|| scim_filter::parse_path(black_box(s))));
        } else {
            assert!(scim_filter::parse_filter(s).is_ok());
            g.bench_function("ours", |b| b.iter(|| scim_filter::parse_filter(black_box(s))));
        }
        if input.old {
            if input.path {
                assert!(matches!(old::value_path_data(s), Ok(("", _))));
                g.bench_function("scim-filter-0.2.3", |b| b.iter(|| old::value_path_data(black_box(s))));
            } else {
                assert!(matches!(old::filter(s), Ok(("", _))));
                g.bench_function("scim-filter-0.2.3", |b| b.iter(|| old::filter(black_box(s))));
            }
        }
        if input.proto {
            assert!(ScimFilter::from_str(s).is_ok());
            g.bench_function("scim_proto-1.10.4", |b| b.iter(|| ScimFilter::from_str(black_box(s))));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
