//! Unit tests of the lexemes and the tree shapes; the RFC examples, the
//! corpus and the property tests are under `tests/`.

use crate::{
    AttrPath, CompValue, CompareOp, Filter, ParseErrorKind, parse_attr_path, parse_filter,
    parse_path,
};

fn cmp<'a>(name: &'a str, op: CompareOp, value: impl Into<CompValue<'a>>) -> Filter<'a> {
    Filter::compare(AttrPath::new(name), op, value)
}

fn err(input: &str) -> (ParseErrorKind, usize) {
    let e = parse_filter(input).expect_err(input);
    (e.kind(), e.offset())
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    let f = parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap();
    assert_eq!(
        f,
        Filter::Or(vec![
            cmp("a", CompareOp::Eq, 1),
            Filter::And(vec![cmp("b", CompareOp::Eq, 2), cmp("c", CompareOp::Eq, 3)]),
        ])
    );
}

#[test]
fn chains_are_flat_and_parentheses_nest() {
    let flat = parse_filter("a pr and b pr and c pr").unwrap();
    assert!(matches!(&flat, Filter::And(t) if t.len() == 3));
    let nested = parse_filter("(a pr and b pr) and c pr").unwrap();
    let Filter::And(terms) = &nested else {
        panic!()
    };
    assert_eq!(terms.len(), 2);
    assert!(matches!(&terms[0], Filter::And(t) if t.len() == 2));
    assert_eq!(nested.to_string(), "(a pr and b pr) and c pr");
}

#[test]
fn keywords_operators_and_literals_ignore_case() {
    let f = parse_filter(r#"NOT (Active EQ TRUE) AND title Pr OR x Eq NULL"#).unwrap();
    assert_eq!(
        f.to_string(),
        "not (Active eq true) and title pr or x eq null"
    );
}

#[test]
fn attribute_named_like_keywords() {
    assert_eq!(
        parse_filter("not eq 1").unwrap(),
        cmp("not", CompareOp::Eq, 1)
    );
    assert_eq!(
        parse_filter("and eq 1 and or eq 2").unwrap().to_string(),
        "and eq 1 and or eq 2"
    );
    assert_eq!(parse_filter("a eq 1 andy eq 2").unwrap_err().offset(), 7);
}

#[test]
fn tolerates_repeated_whitespace() {
    let f = parse_filter("  userName   eq \t \"x\"   and ( a  pr )  ").unwrap();
    assert_eq!(f.to_string(), r#"userName eq "x" and a pr"#);
}

#[test]
fn string_escapes() {
    let f = parse_filter(r#"a eq "q\"b\\s\/n\n\t\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(f, cmp("a", CompareOp::Eq, "q\"b\\s/n\n\té😀"));
    assert_eq!(err(r#"a eq "\ud83d""#), (ParseErrorKind::BadString, 6));
    assert_eq!(err(r#"a eq "\ude00""#), (ParseErrorKind::BadString, 6));
    assert_eq!(err(r#"a eq "\x""#), (ParseErrorKind::BadString, 6));
    assert_eq!(err("a eq \"a\u{1}\""), (ParseErrorKind::BadString, 7));
    assert_eq!(err(r#"a eq "abc"#), (ParseErrorKind::UnterminatedString, 5));
}

#[test]
fn numbers() {
    for ok in ["0", "-0", "12", "-1.5", "1e10", "1E+2", "2.5e-3"] {
        let input = format!("a gt {ok}");
        let f = parse_filter(&input).unwrap();
        assert_eq!(f.to_string(), input);
    }
    assert_eq!(err("a gt 01"), (ParseErrorKind::BadNumber, 6));
    assert_eq!(err("a gt 1."), (ParseErrorKind::BadNumber, 7));
    assert_eq!(err("a gt -"), (ParseErrorKind::BadNumber, 6));
    assert_eq!(err("a gt 1e"), (ParseErrorKind::BadNumber, 7));
    assert_eq!(
        err("a gt 12x"),
        (
            ParseErrorKind::Expected("a space, ')', ']' or the end after the value"),
            7
        )
    );
}

#[test]
fn urn_prefixed_paths() {
    let p = parse_attr_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").unwrap();
    assert_eq!(
        p.uri.as_deref(),
        Some("urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert_eq!(p.name, "name");
    assert_eq!(p.sub_attr.as_deref(), Some("givenName"));
    assert_eq!(
        parse_attr_path("urn:x").unwrap_err().kind(),
        ParseErrorKind::InvalidAttrPath
    );
    assert_eq!(parse_attr_path("urn:a:").unwrap_err().offset(), 6);
}

#[test]
fn dollar_ref() {
    let p = parse_path(r#"members[$ref eq "https://x/Users/1"].$ref"#).unwrap();
    assert_eq!(
        p.to_string(),
        r#"members[$ref eq "https://x/Users/1"].$ref"#
    );
}

#[test]
fn invalid_paths() {
    assert_eq!(
        parse_attr_path("1abc").unwrap_err().kind(),
        ParseErrorKind::InvalidAttrPath
    );
    assert_eq!(parse_attr_path("a.b.c").unwrap_err().offset(), 3);
    assert_eq!(
        parse_path("emails[type eq \"work\"].")
            .unwrap_err()
            .offset(),
        23
    );
    assert_eq!(parse_path("").unwrap_err().kind(), ParseErrorKind::Empty);
    assert_eq!(parse_path("emails[").unwrap_err().offset(), 7);
}

#[test]
fn nested_value_path_is_refused() {
    assert_eq!(err(r#"a[b[c eq 1]]"#), (ParseErrorKind::NestedValuePath, 3));
}
