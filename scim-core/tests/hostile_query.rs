//! Issue 17, hostile input: query strings and list parameters, on every
//! list endpoint, by query string and by `.search` body.

mod hostile_support;

use hostile_support::{Hostile, Raw, check_error, detail_mentions};
use scim_core::testing::encode_query;
use serde_json::{Value, json};

/// A list request with `filter` (and other parameters), by query and by
/// `.search`, on `/Users`, `/Groups` and `/`.
fn lists(params: &[(&str, Value)]) -> Vec<Raw> {
    let mut out = Vec::new();
    for endpoint in ["/Users", "/Groups", ""] {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                format!("{k}={}", encode_query(&text))
            })
            .collect();
        out.push(Raw::new("GET", format!("{endpoint}/?{}", query.join("&"))));
        let body: serde_json::Map<String, Value> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        out.push(Raw::new("POST", format!("{endpoint}/.search")).json(&Value::Object(body)));
    }
    out
}

async fn refused_everywhere(
    h: &Hostile,
    case: &str,
    params: &[(&str, Value)],
    scim_type: &str,
    mentions: &[&str],
) {
    for raw in lists(params) {
        let name = format!(
            "{case} ({} {})",
            raw.method,
            &raw.path[..raw.path.len().min(60)]
        );
        let a = h.refused(&name, &raw, 400, Some(scim_type)).await;
        detail_mentions(&name, &a, mentions);
    }
}

/// Filters that do not parse, or name what no schema has: 400
/// `invalidFilter`, a short detail whatever the filter's size.
#[tokio::test]
async fn bad_filters() {
    let h = Hostile::new().await;
    let bad = [
        "userName eq",
        "userName xx \"a\"",
        "\"a\" eq userName",
        "userName eq \"a\" and",
        "userName eq \"a\" or or userName eq \"b\"",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"]]",
        "emails[value eq \"a\" and emails[value eq \"b\"]]",
        "userName eq \"unterminated",
        "userName eq \"a\\q\"",
        "()",
        "not userName eq \"a\"",
        "userName eq \"a\" )",
        "meta.lastModified gt \"not a date\"",
        "active gt true",
        "nope eq \"x\"",
        "urn:x:y:nope eq 1",
        "name.nope pr",
    ];
    for f in bad {
        // `/` and `/.search` check the syntax only (an attribute may exist
        // on one resource type of several).
        for raw in lists(&[("filter", json!(f))]) {
            let name = format!("filter {f:?} ({} {})", raw.method, raw.path);
            let a = h.send(&raw).await;
            if raw.path.starts_with("/?") || raw.path == "/.search" {
                assert!(a.status == 400 || a.status == 200, "{name}: {}", a.json);
                if a.status == 400 {
                    check_error(&name, &a, 400, Some("invalidFilter"));
                }
            } else {
                check_error(&name, &a, 400, Some("invalidFilter"));
            }
        }
    }
    // Bombs: 5000 levels of brackets, 400 `not`s, a filter past the length
    // limit, thousands of terms; each refused with a detail under 1 KiB.
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(3000), ")".repeat(3000));
    refused_everywhere(
        &h,
        "3000 brackets",
        &[("filter", json!(deep))],
        "invalidFilter",
        &["deep"],
    )
    .await;
    let nots = format!(
        "{}userName eq \"a\"{}",
        "not (".repeat(100),
        ")".repeat(100)
    );
    refused_everywhere(
        &h,
        "100 nots",
        &[("filter", json!(nots))],
        "invalidFilter",
        &["deep"],
    )
    .await;
    let wide = vec!["userName eq \"a\""; 1000].join(" or ");
    refused_everywhere(
        &h,
        "1000 terms",
        &[("filter", json!(wide))],
        "invalidFilter",
        &["max_filter_length", "8192"],
    )
    .await;
    let long = format!("userName eq \"{}\"", "a".repeat(9000));
    refused_everywhere(
        &h,
        "a 9 KB literal",
        &[("filter", json!(long))],
        "invalidFilter",
        &["max_filter_length"],
    )
    .await;
    let values = vec!["emails[value eq \"a\" or value eq \"b\"]"; 200].join(" or ");
    let a = h
        .send(&Raw::new(
            "GET",
            format!("/Users?filter={}", encode_query(&values)),
        ))
        .await;
    assert_eq!(
        a.status, 200,
        "200 value filters within the limits: {}",
        a.json
    );
}

/// Percent-encoding that decodes to nothing sensible.
#[tokio::test]
async fn bad_percent_encoding() {
    let h = Hostile::new().await;
    for (query, scim_type) in [
        ("filter=userName%20eq%20%22%ff%22", "invalidValue"),
        ("filter=userName%20eq%20%22%c0%af%22", "invalidValue"),
        ("filter=userName%20eq%20%22a%00%22", "invalidValue"),
        ("count=%00", "invalidValue"),
        ("filter=userName%20eq%zz%22", "invalidFilter"),
        ("filter=userName%20eq%20%22a%", "invalidFilter"),
        ("filter=%", "invalidFilter"),
        ("sortBy=%ff", "invalidValue"),
        ("attributes=%ff", "invalidValue"),
    ] {
        for endpoint in ["/Users", "/Groups"] {
            h.refused(
                &format!("{endpoint}?{query}"),
                &Raw::new("GET", format!("{endpoint}?{query}")),
                400,
                Some(scim_type),
            )
            .await;
        }
    }
}

/// `count` and `startIndex`: out-of-range values are clamped as RFC 7644
/// §3.4.2.4 says (count below 0 is 0, above the maximum is the maximum,
/// startIndex below 1 is 1); values that are not integers are 400.
#[tokio::test]
async fn absurd_count_and_start_index() {
    let h = Hostile::with(|b| b.max_page_size(2)).await;
    for (query, total, items) in [
        ("count=-1", 3, 0),
        ("count=-9223372036854775808", 3, 0),
        ("count=9223372036854775807", 3, 2),
        ("count=1000000", 3, 2),
        ("startIndex=0", 3, 2),
        ("startIndex=-9223372036854775808", 3, 2),
        ("startIndex=9223372036854775807", 3, 0),
        (
            "startIndex=9223372036854775807&count=9223372036854775807",
            3,
            0,
        ),
    ] {
        let a = h.send(&Raw::new("GET", format!("/Users?{query}"))).await;
        assert_eq!(a.status, 200, "{query}: {}", a.json);
        assert_eq!(a.json["totalResults"], total, "{query}");
        assert_eq!(
            a.json["Resources"].as_array().map_or(0, Vec::len),
            items,
            "{query}: {}",
            a.json
        );
    }
    for bad in [
        "abc",
        "1e3",
        "1.5",
        "99999999999999999999999",
        "0x10",
        "--1",
        " ",
    ] {
        for name in ["count", "startIndex"] {
            if bad.trim().is_empty() {
                continue;
            }
            refused_everywhere(
                &h,
                &format!("{name}={bad}"),
                &[(name, json!(bad))],
                "invalidValue",
                &[name],
            )
            .await;
        }
    }
}

/// `sortBy` naming no attribute, or not a path; `sortOrder` neither
/// ascending nor descending.
#[tokio::test]
async fn bad_sorting() {
    let h = Hostile::new().await;
    for path in ["/Users", "/Groups"] {
        for (query, mentions) in [
            ("sortBy=nope", "nope"),
            ("sortBy=name.nope", "name.nope"),
            ("sortBy=urn:x:y:z", "urn:x:y:z"),
            ("sortBy=a%5B%5B", "sortBy"),
            ("sortBy=userName&sortOrder=sideways", "sortOrder"),
        ] {
            let case = format!("{path}?{query}");
            let a = h
                .refused(&case, &Raw::new("GET", &case), 400, Some("invalidValue"))
                .await;
            detail_mentions(&case, &a, &[mentions]);
        }
    }
    let a = h
        .send(&Raw::new(
            "GET",
            "/Users?sortBy=emails&sortOrder=descending",
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
}

/// Thousands of attribute paths in `attributes` or
/// `excludedAttributes`: 400 naming the limit, on lists, reads and
/// writes alike.
#[tokio::test]
async fn thousands_of_attributes() {
    let h = Hostile::new().await;
    let many: Vec<Value> = (0..5000).map(|i| json!(format!("a{i}"))).collect();
    for name in ["attributes", "excludedAttributes"] {
        refused_everywhere(
            &h,
            &format!("5000 {name}"),
            &[(name, Value::Array(many.clone()))],
            "invalidValue",
            &["max_attributes", "100"],
        )
        .await;
        let list = many
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",");
        let id = &h.users[0];
        for raw in [
            Raw::new("GET", format!("/Users/{id}?{name}={list}")),
            Raw::new("POST", format!("/Users?{name}={list}")).json(&json!({"userName": "attrs"})),
            Raw::new("PATCH", format!("/Users/{id}?{name}={list}")).json(
                &json!({"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}),
            ),
        ] {
            let case = format!("{} with 5000 {name}", raw.method);
            h.refused(&case, &raw, 400, Some("invalidValue")).await;
        }
    }
    let hundred = (0..100)
        .map(|i| format!("a{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let a = h
        .send(&Raw::new("GET", format!("/Users?attributes={hundred}")))
        .await;
    assert_eq!(a.status, 200, "100 attributes: {}", a.json);
}
