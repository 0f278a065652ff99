//! Every filter example of RFC 7644 §3.4.2.2 and every PATCH path example of
//! §3.5.2, verbatim (the RFC wraps the long ones over two lines; both the
//! one-line and the wrapped forms are here).

use scim_filter::{
    AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath, parse_filter, parse_path,
};

/// §3.4.2.2, after `filter=`.
const FILTERS: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    r#"title pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    "userType eq \"Employee\" and (emails co \"example.com\" or\n  emails.value co \"example.org\")",
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    "userType ne \"Employee\" and not (emails co \"example.com\" or\n  emails.value co \"example.org\")",
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    "userType eq \"Employee\" and emails[type eq \"work\" and\n  value co \"@example.com\"]",
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    "emails[type eq \"work\" and value co \"@example.com\"] or\n  ims[type eq \"xmpp\" and value co \"@foo.com\"]",
    // §3.4.2.2 on case: "the following two expressions will evaluate to the
    // same logical value".
    r#"userName Eq "john""#,
    r#"Username eq "john""#,
    // §3.4.3, the .search request body.
    r#"displayName sw "smith""#,
];

/// §3.5.2 and its subsections, the `path` member values.
const PATHS: &[&str] = &[
    "members",
    "name.familyName",
    r#"addresses[type eq "work"]"#,
    r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
    r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
    r#"emails[type eq "work" and value ew "example.com"]"#,
    r#"addresses[type eq "work"].streetAddress"#,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
];

#[test]
fn every_rfc_filter_parses_and_round_trips() {
    for input in FILTERS {
        let filter = parse_filter(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let canonical = filter.to_string();
        assert_eq!(parse_filter(&canonical).as_ref(), Ok(&filter), "{input}");
    }
}

#[test]
fn every_rfc_path_parses_and_round_trips() {
    for input in PATHS {
        let path = parse_path(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(path.to_string(), *input);
        assert_eq!(parse_path(&path.to_string()).as_ref(), Ok(&path));
    }
}

#[test]
fn rfc_filters_have_the_expected_shape() {
    let user_name_sw = parse_filter(FILTERS[3]).unwrap();
    assert_eq!(
        user_name_sw,
        Filter::compare(
            AttrPath::new("userName").with_uri("urn:ietf:params:scim:schemas:core:2.0:User"),
            CompareOp::Sw,
            "J"
        )
    );
    assert_eq!(
        parse_filter(FILTERS[4]).unwrap(),
        Filter::Present(AttrPath::new("title"))
    );
    assert_eq!(
        parse_filter(FILTERS[5]).unwrap(),
        Filter::compare(
            AttrPath::new("meta").with_sub_attr("lastModified"),
            CompareOp::Gt,
            "2011-05-13T04:42:34Z"
        )
    );
    let not = parse_filter(FILTERS[14]).unwrap();
    assert_eq!(
        not,
        Filter::And(vec![
            Filter::compare(AttrPath::new("userType"), CompareOp::Ne, "Employee"),
            Filter::Not(Box::new(Filter::Or(vec![
                Filter::compare(AttrPath::new("emails"), CompareOp::Co, "example.com"),
                Filter::compare(
                    AttrPath::new("emails").with_sub_attr("value"),
                    CompareOp::Co,
                    "example.org"
                ),
            ]))),
        ])
    );
    assert_eq!(parse_filter(FILTERS[14]), parse_filter(FILTERS[15]));
    let value_path = parse_filter(FILTERS[17]).unwrap();
    assert_eq!(
        value_path,
        Filter::And(vec![
            Filter::compare(AttrPath::new("userType"), CompareOp::Eq, "Employee"),
            Filter::ValuePath(ValuePath {
                attr: AttrPath::new("emails"),
                filter: Box::new(Filter::And(vec![
                    Filter::compare(AttrPath::new("type"), CompareOp::Eq, "work"),
                    Filter::compare(AttrPath::new("value"), CompareOp::Co, "@example.com"),
                ])),
            }),
        ])
    );
    assert_eq!(
        parse_filter(FILTERS[11]).unwrap(),
        Filter::compare(
            AttrPath::new("schemas"),
            CompareOp::Eq,
            CompValue::from("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        )
    );
}

#[test]
fn rfc_paths_have_the_expected_shape() {
    assert_eq!(
        parse_path(PATHS[1]).unwrap(),
        PatchPath::Attr(AttrPath::new("name").with_sub_attr("familyName"))
    );
    let PatchPath::Value {
        value_path,
        sub_attr,
    } = parse_path(PATHS[4]).unwrap()
    else {
        panic!("a value path");
    };
    assert!(value_path.attr.is("members"));
    assert_eq!(
        *value_path.filter,
        Filter::compare(
            AttrPath::new("value"),
            CompareOp::Eq,
            "2819c223-7f76-453a-919d-413861904646"
        )
    );
    assert_eq!(sub_attr.as_deref(), Some("displayName"));
    let PatchPath::Attr(employee_number) = parse_path(PATHS[7]).unwrap() else {
        panic!("an attribute path");
    };
    assert_eq!(
        employee_number.uri.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(employee_number.name, "employeeNumber");
}
