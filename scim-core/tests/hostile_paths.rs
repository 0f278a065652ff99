//! Issue 17, hostile input: paths, methods, authentication and ETags.

mod hostile_support;

use hostile_support::{Hostile, Raw, answer, check_error, detail_mentions};
use scim_core::auth::TokenAuthenticator;
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::json;

/// Dot segments, encoded slashes and dots, extra segments, NUL, 60 KB
/// ids (the `http` crate's URI limit is 64 KB; longer ones never reach the
/// service), on every method: 404 with a short detail, nothing changed.
#[tokio::test]
async fn odd_paths_name_nothing() {
    let h = Hostile::new().await;
    let (u, g) = (&h.users[0], &h.groups[0]);
    let long = "a".repeat(60_000);
    let paths = [
        format!("/Users/../Groups/{g}"),
        format!("/Groups/../Users/{u}"),
        format!("/Users/./{u}"),
        format!("/Users/%2e%2e/Groups/{g}"),
        "/Users/..".to_owned(),
        "/Users/%2e%2e".to_owned(),
        format!("/Users%2F{u}"),
        format!("/Users/{u}%2Fx"),
        format!("/Users/{u}%2F..%2F..%2FGroups"),
        format!("/Users/{u}/extra"),
        format!("/Users/{u}/emails"),
        format!("/Users/{u}%00"),
        "/Users/%00".to_owned(),
        format!("/Users/{g}"),
        format!("/Groups/{u}"),
        format!("/Users/{long}"),
        format!("/{long}"),
        format!("/Users/{long}/x"),
        "/Nope".to_owned(),
        "/Nope/1".to_owned(),
        "/Users/%FF%FE".to_owned(),
        "/Users/%uD800".to_owned(),
    ];
    for path in &paths {
        for raw in [
            Raw::new("GET", path),
            Raw::new("PUT", path).json(&json!({"userName": "x", "displayName": "x"})),
            Raw::new("PATCH", path).json(
                &json!({"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}),
            ),
            Raw::new("DELETE", path),
        ] {
            let case = format!("{} {}", raw.method, &path[..path.len().min(80)]);
            let a = h.send(&raw).await;
            // A path the router does not know may also be 405 for a
            // method its endpoint lacks; never a change, a 2xx or a 5xx.
            assert!(
                a.status == 404 || a.status == 405,
                "{case}: {} {}",
                a.status,
                a.json
            );
            check_error(&case, &a, a.status, None);
        }
        h.refused(path, &Raw::new("GET", path), 404, None).await;
    }
    // The fixture's resources are all still there.
    for id in &h.users {
        assert_eq!(
            h.send(&Raw::new("GET", format!("/Users/{id}")))
                .await
                .status,
            200
        );
    }
}

/// Methods a target does not take, standard or not: 405 with `Allow`
/// listing those it does, and the same list in a SCIM body.
#[tokio::test]
async fn unknown_methods_are_405_with_allow() {
    let h = Hostile::new().await;
    let u = &h.users[0];
    let targets = [
        ("/", "GET"),
        ("/Users", "GET, POST"),
        ("/Groups", "GET, POST"),
        (&*format!("/Users/{u}"), "GET, PUT, PATCH, DELETE"),
        ("/Bulk", "POST"),
        ("/.search", "POST"),
        ("/Users/.search", "POST"),
        ("/ServiceProviderConfig", "GET"),
        ("/Schemas", "GET"),
        ("/ResourceTypes/User", "GET"),
    ];
    let methods = [
        "TRACE",
        "CONNECT",
        "OPTIONS",
        "PROPFIND",
        "FOO",
        "MKCOL",
        "PURGE",
        "X-HTTP-METHOD",
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
    ];
    let mut n = 0;
    for (path, allowed) in targets {
        for method in methods {
            if allowed.split(", ").any(|m| m == method)
                || (method == "GET" && allowed.contains("GET"))
            {
                continue;
            }
            let case = format!("{method} {path}");
            let raw = Raw::new(method, path).json(&json!({"userName": "m"}));
            let a = h.refused(&case, &raw, 405, None).await;
            assert_eq!(a.header("allow"), Some(allowed), "{case}");
            detail_mentions(&case, &a, &[allowed]);
            n += 1;
        }
    }
    assert!(n > 80, "{n} cases");
}

/// Authentication: every malformed or wrong credential is 401 with
/// `WWW-Authenticate: Bearer` and a SCIM body, and one tenant's token
/// never reaches another tenant's resources (404, nothing changed).
#[tokio::test]
async fn bad_credentials_and_other_tenants() {
    let svc = ScimService::builder(MemoryStore::new())
        .authenticator(
            TokenAuthenticator::new()
                .token("acme", "acme-token")
                .token("globex", "globex-token"),
        )
        .build();
    let h = Hostile::populated(svc, Context::new("acme")).await;
    let u = h.users[0].clone();
    let oversized = format!("Bearer {}", "t".repeat(64 * 1024));
    let headers: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("no header", None),
        ("empty", Some(b"".to_vec())),
        ("spaces", Some(b"   ".to_vec())),
        ("scheme only", Some(b"Bearer".to_vec())),
        ("scheme and space", Some(b"Bearer ".to_vec())),
        ("Basic", Some(b"Basic YWNtZTphY21lLXRva2Vu".to_vec())),
        ("Digest", Some(b"Digest username=\"acme\"".to_vec())),
        ("wrong token", Some(b"Bearer nope".to_vec())),
        ("a token's prefix", Some(b"Bearer acme-toke".to_vec())),
        (
            "a token with a suffix",
            Some(b"Bearer acme-token2".to_vec()),
        ),
        (
            "two tokens",
            Some(b"Bearer acme-token, Bearer globex-token".to_vec()),
        ),
        ("oversized", Some(oversized.into_bytes())),
        ("not UTF-8", Some(b"Bearer \xff\xfe".to_vec())),
    ];
    for (name, value) in &headers {
        for raw in [
            Raw::new("GET", "/Users"),
            Raw::new("GET", format!("/Users/{u}")),
            Raw::new("DELETE", format!("/Users/{u}")),
            Raw::new("POST", "/Users").json(&json!({"userName": "intruder"})),
            Raw::new("POST", "/Bulk").json(
                &json!({"Operations": [{"method": "DELETE", "path": format!("/Users/{u}")}]}),
            ),
        ] {
            let raw = match value {
                Some(v) => raw.header("authorization", v),
                None => raw,
            };
            let case = format!("{name}: {} {}", raw.method, raw.path);
            let a = h.refused_authenticated(&case, &raw, 401, None).await;
            assert!(
                a.header("www-authenticate")
                    .is_some_and(|w| w.starts_with("Bearer")),
                "{case}: {:?}",
                a.header("www-authenticate")
            );
        }
    }
    // globex's token on acme's ids: nothing found, nothing changed.
    let globex = |raw: Raw| raw.header("authorization", "Bearer globex-token");
    for id in h
        .users
        .iter()
        .map(|id| ("Users", id))
        .chain(h.groups.iter().map(|id| ("Groups", id)))
    {
        let path = format!("/{}/{}", id.0, id.1);
        for raw in [
            Raw::new("GET", &path),
            Raw::new("PUT", &path).json(&json!({"userName": "stolen", "displayName": "stolen"})),
            Raw::new("PATCH", &path).json(&json!({"Operations": [{"op": "replace", "path": "displayName", "value": "stolen"}]})),
            Raw::new("DELETE", &path),
        ] {
            let case = format!("globex {} {path}", raw.method);
            h.refused_authenticated(&case, &globex(raw), 404, None).await;
        }
    }
    // globex adds acme's user to a group of its own: the member is unknown.
    let a = h
        .send_authenticated(&globex(
            Raw::new("POST", "/Groups")
                .json(&json!({"displayName": "g", "members": [{"value": u}]})),
        ))
        .await;
    assert!(a.status == 400 || a.status == 404, "{}", a.json);
    let a = answer(
        h.svc
            .handle(globex(Raw::new("GET", "/Users")).request())
            .await,
    );
    assert_eq!(
        a.json["totalResults"], 0,
        "globex lists none of acme's users"
    );
}

/// `If-Match` with garbage, an empty value, a stale or another
/// resource's version: 412, nothing changed; the current version applies.
#[tokio::test]
async fn garbage_and_stale_etags() {
    let h = Hostile::new().await;
    let (u, other) = (&h.users[0], &h.users[1]);
    let first =
        h.send(&Raw::new("GET", format!("/Users/{u}"))).await.json["meta"]["version"].clone();
    let a = h
        .send(&Raw::new("PATCH", format!("/Users/{u}")).json(
            &json!({"Operations": [{"op": "replace", "path": "displayName", "value": "v2"}]}),
        ))
        .await;
    let current = a.json["meta"]["version"].as_str().unwrap().to_owned();
    let other_version = h
        .send(&Raw::new("GET", format!("/Users/{other}")))
        .await
        .json["meta"]["version"]
        .clone();
    let long = format!("W/\"{}\"", "9".repeat(8000));
    let tags = [
        "garbage".to_owned(),
        "W/".to_owned(),
        String::new(),
        "\"\"".to_owned(),
        "W/\"".to_owned(),
        "W/\"-1\"".to_owned(),
        first.as_str().unwrap().to_owned(),
        other_version.as_str().unwrap().to_owned(),
        long,
        "W/\"1\", W/\"2\", W/\"3\"".to_owned(),
        current.replace("W/", ""),
    ];
    for tag in &tags {
        // The last one (the current tag without W/) is the current version
        // by weak comparison: it applies, and is checked below.
        if *tag == current.replace("W/", "") {
            continue;
        }
        for raw in [
            Raw::new("PUT", format!("/Users/{u}")).json(&json!({"userName": "alice", "displayName": "put"})),
            Raw::new("PATCH", format!("/Users/{u}")).json(&json!({"Operations": [{"op": "replace", "path": "displayName", "value": "patched"}]})),
            Raw::new("DELETE", format!("/Users/{u}")),
        ] {
            let case = format!("If-Match {:?} on {}", &tag[..tag.len().min(40)], raw.method);
            h.refused(&case, &raw.header("if-match", tag), 412, None).await;
        }
    }
    // Garbage in If-None-Match on a read is not a match: the GET answers.
    let a = h
        .send(&Raw::new("GET", format!("/Users/{u}")).header("if-none-match", "garbage"))
        .await;
    assert_eq!(a.status, 200);
    let a = h
        .send(&Raw::new("PATCH", format!("/Users/{u}")).json(&json!({"Operations": [{"op": "replace", "path": "displayName", "value": "v3"}]})).header("if-match", &current))
        .await;
    assert_eq!(a.status, 200, "the current version applies: {}", a.json);
}
