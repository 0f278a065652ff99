//! Issue 17, hostile input: request bodies. Every case is sent to every
//! endpoint that reads a body (create, replace, PATCH, Bulk, `.search`),
//! and each must get its RFC 7644 §3.12 error with nothing changed.

mod hostile_support;

use hostile_support::{Hostile, Raw, check_error, detail_mentions};
use serde_json::json;

/// A valid create body, whose prefixes are the truncated cases.
const VALID: &[u8] = br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"trunc","name":{"givenName":"T"},"emails":[{"value":"t@x","primary":true}]}"#;

/// A body case: its name, bytes, the status and `scimType` it gets, and a
/// word its detail must hold.
struct Case {
    name: String,
    body: Vec<u8>,
    status: u16,
    scim_type: Option<&'static str>,
    mentions: &'static str,
}

fn case(
    name: &str,
    body: impl Into<Vec<u8>>,
    status: u16,
    scim_type: Option<&'static str>,
    mentions: &'static str,
) -> Case {
    Case {
        name: name.to_owned(),
        body: body.into(),
        status,
        scim_type,
        mentions,
    }
}

fn syntax(name: &str, body: impl Into<Vec<u8>>) -> Case {
    case(name, body, 400, Some("invalidSyntax"), "JSON")
}

fn cases() -> Vec<Case> {
    let mut out = vec![
        syntax("malformed: a member without a value", r#"{"userName": }"#),
        syntax("malformed: single quotes", r"{'userName': 'a'}"),
        syntax("malformed: a trailing comma", r#"{"userName": "a",}"#),
        syntax(
            "malformed: text after the value",
            r#"{"userName": "a"} {"userName": "b"}"#,
        ),
        syntax("malformed: NaN", r#"{"userName": "a", "x": NaN}"#),
        syntax(
            "malformed: a number out of range",
            r#"{"userName": "a", "x": 1e400}"#,
        ),
        syntax(
            "malformed: a raw control character in a string",
            b"{\"userName\": \"a\x01b\"}".to_vec(),
        ),
        syntax(
            "malformed: a raw newline in a string",
            "{\"userName\": \"a\nb\"}",
        ),
        syntax("malformed: a bad escape", r#"{"userName": "a\qb"}"#),
        syntax("invalid UTF-8: 0xFF", b"{\"userName\": \"\xff\"}".to_vec()),
        syntax(
            "invalid UTF-8: an overlong slash",
            b"{\"userName\": \"\xc0\xaf\"}".to_vec(),
        ),
        syntax(
            "invalid UTF-8: a lone continuation byte",
            b"{\"userName\": \"\x80\"}".to_vec(),
        ),
        syntax(
            "invalid UTF-8: an encoded surrogate",
            b"{\"userName\": \"\xed\xa0\x80\"}".to_vec(),
        ),
        syntax(
            "invalid UTF-8: a truncated sequence",
            b"{\"userName\": \"\xe2\x82\"}".to_vec(),
        ),
        syntax("UTF-16 with its BOM", {
            let mut b = vec![0xFF, 0xFE];
            b.extend(r#"{"userName":"u16"}"#.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }),
        syntax("lone surrogate: high", r#"{"userName": "a\ud800"}"#),
        syntax(
            "lone surrogate: high then a letter",
            r#"{"userName": "a\ud800b"}"#,
        ),
        syntax("lone surrogate: low", r#"{"userName": "a\udc00"}"#),
        syntax(
            "lone surrogate: two highs",
            r#"{"userName": "\ud800\ud800"}"#,
        ),
        syntax(
            "duplicate members",
            r#"{"userName": "d1", "userName": "d2"}"#,
        ),
        syntax(
            "duplicate members, nested",
            r#"{"userName": "d3", "name": {"givenName": "a", "givenName": "b"}}"#,
        ),
        syntax(
            "duplicate members in a PATCH operation",
            r#"{"Operations": [{"op": "add", "op": "remove", "path": "displayName", "value": "x"}]}"#,
        ),
        syntax(
            "duplicate Operations",
            r#"{"Operations": [], "Operations": [{"op": "remove", "path": "displayName"}]}"#,
        ),
        syntax(
            "10 000 nested arrays",
            format!(
                r#"{{"userName": "deep", "x": {}{}}}"#,
                "[".repeat(10_000),
                "]".repeat(10_000)
            ),
        ),
        syntax(
            "10 000 nested objects",
            format!(
                r#"{{"userName": "deep", "name": {}1{}}}"#,
                r#"{"a":"#.repeat(10_000),
                "}".repeat(10_000)
            ),
        ),
        syntax("10 000 open brackets, unclosed", "[".repeat(10_000)),
        case("empty", "", 400, Some("invalidSyntax"), "body"),
        case(
            "only whitespace",
            " \r\n\t ",
            400,
            Some("invalidSyntax"),
            "body",
        ),
        case(
            "NUL in a value",
            r#"{"userName": "a\u0000b"}"#,
            400,
            Some("invalidValue"),
            "NUL",
        ),
        case(
            "NUL in a member name",
            r#"{"userName": "a", "x\u0000": 1}"#,
            400,
            Some("invalidValue"),
            "NUL",
        ),
        case(
            "NUL deep in an array",
            r#"{"userName": "a", "emails": [{"value": "\u0000@x"}]}"#,
            400,
            Some("invalidValue"),
            "NUL",
        ),
        case(
            "NUL in a PATCH value",
            r#"{"Operations": [{"op": "replace", "path": "displayName", "value": "\u0000"}]}"#,
            400,
            Some("invalidValue"),
            "NUL",
        ),
    ];
    for json in [
        "[]",
        "[{\"userName\": \"a\"}]",
        "\"userName\"",
        "42",
        "-0.5",
        "null",
        "true",
        "false",
    ] {
        out.push(case(
            &format!("not an object: {json}"),
            json,
            400,
            Some("invalidSyntax"),
            "object",
        ));
    }
    for end in (1..VALID.len()).step_by(3) {
        out.push(syntax(&format!("truncated to {end} bytes"), &VALID[..end]));
    }
    out
}

/// Every endpoint that reads a body, on the fixture's resources.
fn targets(h: &Hostile) -> Vec<(&'static str, String)> {
    vec![
        ("POST", "/Users".to_owned()),
        ("PUT", format!("/Users/{}", h.users[0])),
        ("PATCH", format!("/Users/{}", h.users[0])),
        ("POST", "/Groups".to_owned()),
        ("PUT", format!("/Groups/{}", h.groups[0])),
        ("PATCH", format!("/Groups/{}", h.groups[0])),
        ("POST", "/Bulk".to_owned()),
        ("POST", "/Users/.search".to_owned()),
        ("POST", "/.search".to_owned()),
    ]
}

/// Malformed, truncated, non-object, invalid UTF-8, lone surrogates,
/// duplicate members, NUL, 10 000-deep nesting and empty bodies: each gets
/// 400 with its `scimType` at every endpoint that reads a body, and
/// nothing changes.
#[tokio::test]
async fn every_bad_body_at_every_endpoint_is_refused() {
    let h = Hostile::new().await;
    let cases = cases();
    let mut n = 0;
    for c in &cases {
        // A non-object is a valid .search body shape for no endpoint; a
        // PATCH body with duplicate Operations is refused like any other.
        for (method, path) in targets(&h) {
            let name = format!("{} ({method} {path})", c.name);
            let a = h
                .refused(
                    &name,
                    &Raw::new(method, &path).bytes(c.body.clone()),
                    c.status,
                    c.scim_type,
                )
                .await;
            detail_mentions(&name, &a, &[c.mentions]);
            n += 1;
        }
    }
    assert!(n >= 9 * 60, "only {n} cases");
}

/// A body over the limit is 413 naming the limit, before it is parsed;
/// one byte under is read (and here refused as a non-object, not 413).
#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let h = Hostile::with(|b| b.max_payload_size(4096)).await;
    for (method, path) in targets(&h) {
        let case = format!("4097 bytes ({method} {path})");
        let a = h
            .refused(
                &case,
                &Raw::new(method, &path).bytes(vec![b' '; 4097]),
                413,
                None,
            )
            .await;
        detail_mentions(&case, &a, &["4096"]);
        let case = format!("4096 bytes ({method} {path})");
        h.refused(
            &case,
            &Raw::new(method, &path).bytes(vec![b'1'; 4096]),
            400,
            Some("invalidSyntax"),
        )
        .await;
    }
}

/// A body declared as something other than JSON is 415, whatever it
/// holds; one with no content type at all is read as JSON (RFC 9110
/// §8.3 lets a recipient examine it), so a JSON body is created and
/// anything else is refused as not JSON.
#[tokio::test]
async fn a_body_of_another_type_is_415() {
    let h = Hostile::new().await;
    let body = serde_json::to_vec(&json!({"userName": "typed"})).unwrap();
    for ct in [
        "text/plain",
        "application/xml",
        "text/html; charset=utf-8",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "",
    ] {
        for (method, path) in targets(&h) {
            let case = format!("content-type {ct:?} ({method} {path})");
            let a = h
                .refused(
                    &case,
                    &Raw::new(method, &path)
                        .bytes(body.clone())
                        .header("content-type", ct),
                    415,
                    None,
                )
                .await;
            detail_mentions(&case, &a, &["application/scim+json"]);
        }
    }
    let h = Hostile::new().await;
    let a = h.send(&Raw::new("POST", "/Users").bare(body.clone())).await;
    assert_eq!(a.status, 201, "no content type, a JSON body: {}", a.json);
    h.refused(
        "no content type, not JSON",
        &Raw::new("POST", "/Users").bare(&b"userName=x"[..]),
        400,
        Some("invalidSyntax"),
    )
    .await;
}

/// A UTF-8 byte-order mark before the JSON is skipped (RFC 8259 §8.1 lets
/// a reader ignore it; Windows tools write one); a second one is not JSON.
#[tokio::test]
async fn a_byte_order_mark_is_skipped() {
    let h = Hostile::new().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(br#"{"userName": "bom"}"#);
    let a = h
        .send(&Raw::new("POST", "/Users").bytes(body.clone()))
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    assert_eq!(a.json["userName"], "bom");
    let mut twice = b"\xEF\xBB\xBF".to_vec();
    twice.extend_from_slice(&body);
    h.refused(
        "two BOMs",
        &Raw::new("POST", "/Users").bytes(twice),
        400,
        Some("invalidSyntax"),
    )
    .await;
}

/// One attribute under two names that match in any case, or as a name and
/// its URN form, is refused: which one counts would be a guess.
#[tokio::test]
async fn one_attribute_under_two_names_is_refused() {
    let h = Hostile::new().await;
    let user = "urn:ietf:params:scim:schemas:core:2.0:User";
    let ent = hostile_support::ENTERPRISE;
    for body in [
        json!({"userName": "a", "USERNAME": "b"}),
        json!({"userName": "a", format!("{user}:userName"): "b"}),
        json!({"userName": "a", "name": {"givenName": "a", "GivenName": "b"}}),
        json!({"userName": "a", ent: {"department": "x"}, format!("{ent}:department"): "y"}),
        json!({"userName": "a", "emails": [{"value": "a@x", "VALUE": "b@x"}]}),
    ] {
        let case = format!("{body}");
        let a = h
            .refused(
                &case,
                &Raw::new("POST", "/Users").json(&body),
                400,
                Some("invalidSyntax"),
            )
            .await;
        detail_mentions(&case, &a, &["twice"]);
        let put = Raw::new("PUT", format!("/Users/{}", h.users[1])).json(&body);
        h.refused(&case, &put, 400, Some("invalidSyntax")).await;
    }
    check_error(
        "sanity",
        &h.send(&Raw::new("POST", "/Users").json(&json!({"userName": "alice"})))
            .await,
        409,
        Some("uniqueness"),
    );
}
