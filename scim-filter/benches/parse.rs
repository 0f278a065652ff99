#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! Parse throughput on the inputs identity providers send most, and on the
//! shapes that stress a parser (long chains, deep parentheses).
//!
//! `cargo bench -p scim-filter`. For the side-by-side with other SCIM
//! filter parsers, see `benches/filter-compare`.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

fn inputs() -> Vec<(&'static str, String, bool)> {
    let chain: Vec<String> = (0..20)
        .map(|n| format!("attr{n} eq \"value{n}\""))
        .collect();
    let mut chain_text = chain[0].clone();
    for (n, term) in chain.iter().enumerate().skip(1) {
        chain_text.push_str(if n % 2 == 0 { " and " } else { " or " });
        chain_text.push_str(term);
    }
    vec![
        (
            "entra_username_eq",
            r#"userName eq "AdeleV@contoso.onmicrosoft.com""#.to_owned(),
            false,
        ),
        (
            "entra_work_email",
            r#"emails[type eq "work"].value eq "AdeleV@contoso.com""#.to_owned(),
            false,
        ),
        ("chain_20_and_or", chain_text, false),
        (
            "parens_30_deep",
            format!("{}userName eq \"x\"{}", "(".repeat(30), ")".repeat(30)),
            false,
        ),
        (
            "patch_value_path",
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#.to_owned(),
            true,
        ),
        (
            "patch_work_email_value",
            r#"emails[type eq "work"].value"#.to_owned(),
            true,
        ),
    ]
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("scim-filter");
    for (name, input, is_path) in inputs() {
        group.throughput(Throughput::Bytes(input.len() as u64));
        if is_path {
            group.bench_function(name, |b| {
                b.iter(|| scim_filter::parse_path(black_box(&input)))
            });
        } else {
            group.bench_function(name, |b| {
                b.iter(|| scim_filter::parse_filter(black_box(&input)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
