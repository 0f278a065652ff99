//! The cross-site request check of the admin service: the page's forms
//! run with the host's session cookie, so a form on another site must not
//! be able to post them.

use http::header::{self, HeaderMap};
use http::{Method, StatusCode};

use crate::service::Failure;

/// Refuses a state-changing request sent from another site (a form on a
/// page elsewhere posting with the admin's cookie): `Sec-Fetch-Site`
/// other than `same-origin` or `none`, or an `Origin` whose host is not
/// the request's. JSON API calls with a bearer credential are not sent by
/// browsers on their own, so only their `Origin` is checked.
pub(crate) fn cross_site(
    method: &Method,
    headers: &HeaderMap,
    uri: &http::Uri,
    is_api: bool,
) -> Result<(), Failure> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
    let refused = || {
        Failure::new(
            StatusCode::FORBIDDEN,
            "refused: the request came from another site (open the admin page itself and \
             submit the form there)",
        )
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.len() > 7
                && v.get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
        });
    if !(is_api && bearer) {
        if let Some(site) = headers.get("sec-fetch-site") {
            let site = site.to_str().unwrap_or("").trim().to_ascii_lowercase();
            if site != "same-origin" && site != "none" {
                return Err(refused());
            }
        }
    }
    // A page served with `Referrer-Policy: no-referrer` (this one) makes
    // browsers send `Origin: null` with its form posts: then the
    // browser's `Sec-Fetch-Site` decides, and without it the post is
    // refused.
    let origin = headers.get(header::ORIGIN);
    if origin.is_some_and(|o| o.as_bytes() == b"null") {
        let same = headers
            .get("sec-fetch-site")
            .and_then(|s| s.to_str().ok())
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("same-origin"));
        return if same { Ok(()) } else { Err(refused()) };
    }
    if let Some(origin) = origin {
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(http::uri::Authority::as_str));
        match (origin_host, host) {
            (Some(o), Some(h)) if o.eq_ignore_ascii_case(h.trim()) => {}
            _ => return Err(refused()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let uri = http::Uri::from_static("/connections");
        let post = Method::POST;
        let ok = |h: &[(&'static str, &'static str)], api| {
            cross_site(&post, &headers(h), &uri, api).is_ok()
        };
        assert!(ok(&[], false));
        assert!(ok(&[("sec-fetch-site", "same-origin")], false));
        assert!(ok(&[("sec-fetch-site", "none")], false));
        assert!(!ok(&[("sec-fetch-site", "cross-site")], false));
        assert!(!ok(&[("sec-fetch-site", "same-site")], false));
        let same = [
            ("origin", "https://app.example.com"),
            ("host", "App.example.com"),
        ];
        assert!(ok(&same, false));
        assert!(!ok(
            &[
                ("origin", "https://evil.example"),
                ("host", "app.example.com")
            ],
            false
        ));
        assert!(!ok(
            &[("origin", "null"), ("host", "app.example.com")],
            false
        ));
        assert!(
            ok(
                &[
                    ("origin", "null"),
                    ("sec-fetch-site", "same-origin"),
                    ("host", "app.example.com")
                ],
                false
            ),
            "a no-referrer page's own form post"
        );
        assert!(!ok(
            &[
                ("origin", "http://app.example.com:8080"),
                ("host", "app.example.com")
            ],
            false
        ));
        let bearer = ("authorization", "Bearer t");
        assert!(ok(&[bearer, ("sec-fetch-site", "cross-site")], true));
        assert!(!ok(&[bearer, ("sec-fetch-site", "cross-site")], false));
        assert!(!ok(
            &[bearer, ("origin", "https://evil.example"), ("host", "a")],
            true
        ));
        assert!(
            cross_site(
                &Method::GET,
                &headers(&[("sec-fetch-site", "cross-site")]),
                &uri,
                false
            )
            .is_ok(),
            "reads are links: they change nothing"
        );
    }
}
