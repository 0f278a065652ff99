//! Hostile input: deep nesting is refused with `TooDeep`, long chains parse
//! without recursion, and neither parsing nor dropping overflows a stack.

use scim_filter::{Filter, MAX_DEPTH, ParseErrorKind, parse_filter, parse_path};

fn nested(open: &str, close: &str, levels: usize) -> String {
    format!("{}a pr{}", open.repeat(levels), close.repeat(levels))
}

#[test]
fn nesting_up_to_the_limit_parses() {
    assert!(parse_filter(&nested("(", ")", MAX_DEPTH)).is_ok());
    assert!(parse_filter(&nested("not (", ")", MAX_DEPTH)).is_ok());
    let with_brackets = format!(
        "{}emails[a pr]{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse_filter(&with_brackets).is_ok());
}

#[test]
fn nesting_beyond_the_limit_is_too_deep() {
    let err = parse_filter(&nested("(", ")", MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    assert_eq!(err.offset(), MAX_DEPTH);
    assert!(err.to_string().contains("nested more than 64 levels"));

    let err = parse_filter(&nested("not (", ")", MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (ParseErrorKind::TooDeep, MAX_DEPTH * 5 + 4)
    );

    let brackets = format!(
        "{}emails[a pr]{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    let err = parse_filter(&brackets).unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (ParseErrorKind::TooDeep, MAX_DEPTH + 6)
    );

    let path = format!(
        "emails[{}a pr{}]",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert_eq!(
        parse_path(&path).unwrap_err().kind(),
        ParseErrorKind::TooDeep
    );
}

#[test]
fn a_million_open_parentheses_are_refused_at_the_limit() {
    let input = "(".repeat(1_000_000);
    let err = parse_filter(&input).unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (ParseErrorKind::TooDeep, MAX_DEPTH)
    );
    // The caret picture shows a window, not the whole megabyte.
    assert!(err.to_string().len() < 300);
}

/// Runs `f` on a thread with a small stack: anything recursive per term of
/// a 20 000-term chain would overflow it.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

#[test]
fn a_20000_term_or_chain_parses_prints_and_drops_flat() {
    on_small_stack(|| {
        let terms: Vec<String> = (0..20_000)
            .map(|n| format!("userName eq \"u{n}\""))
            .collect();
        let input = terms.join(" or ");
        let filter = parse_filter(&input).expect("parses");
        let Filter::Or(parsed) = &filter else {
            panic!("an or chain");
        };
        assert_eq!(parsed.len(), 20_000);
        assert_eq!(filter.to_string(), input);
        drop(filter);
    });
}

#[test]
fn a_20000_term_mixed_chain_parses_and_drops_flat() {
    on_small_stack(|| {
        let mut input = String::from("a eq 0");
        for n in 1..20_000 {
            input.push_str(if n % 3 == 0 { " or " } else { " and " });
            input.push_str(&format!("a{n} eq {n}"));
        }
        let filter = parse_filter(&input).expect("parses");
        let Filter::Or(ors) = &filter else {
            panic!("an or chain of and chains");
        };
        assert_eq!(ors.len(), 6_667);
        assert_eq!(parse_filter(&filter.to_string()).as_ref(), Ok(&filter));
    });
}

#[test]
fn unterminated_huge_string_fails_at_the_quote() {
    let input = format!("a eq \"{}", "x".repeat(1_000_000));
    let err = parse_filter(&input).unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (ParseErrorKind::UnterminatedString, 5)
    );
}
