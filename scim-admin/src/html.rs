//! The pieces every admin page is made of: HTML escaping, the one inline
//! script (copy buttons) and the Content-Security-Policy that admits only
//! it, times, links, and the page frame.

use std::sync::LazyLock;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values. Every value that does not come from this crate's own
/// literals goes through it: connection names, tenant names, paths and
/// details of the activity log come from identity providers or admins.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters left as they are in a path segment: RFC 3986's unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` as one path segment of a link or form action.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A query string (without `?`) of these pairs, skipping empty values.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    q.finish()
}

/// The page's only script: reveals the Copy buttons (hidden without
/// script, or where the clipboard is unavailable) and copies the value of
/// the input a button's `data-copy` names. Everything else works without
/// it: the inputs are read-only text that can be selected by hand.
pub(crate) const COPY_SCRIPT: &str = "if(navigator.clipboard){document.querySelectorAll(\
\"button[data-copy]\").forEach(function(b){b.hidden=false;b.addEventListener(\"click\",\
function(){var i=document.getElementById(b.getAttribute(\"data-copy\"));if(!i)return;\
navigator.clipboard.writeText(i.value).then(function(){b.textContent=\"Copied\";},\
function(){i.select();});});});}";

/// The Content-Security-Policy of every page: nothing loads from anywhere,
/// inline styles are allowed, and the only script that runs is
/// [`COPY_SCRIPT`], by its SHA-256 hash.
pub(crate) static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{}'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        base64(&Sha256::digest(COPY_SCRIPT.as_bytes()))
    )
});

/// Standard base64 with padding (RFC 4648 §4), for the CSP hash.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 3339 in UTC, to the second: what the JSON API answers.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A time for people, in a `<time>` element carrying the RFC 3339 form.
pub(crate) fn time_tag(t: SystemTime) -> String {
    let machine = rfc3339(t);
    let human = machine.replacen('T', " ", 1).replace('Z', " UTC");
    format!(
        "<time datetime=\"{}\">{}</time>",
        esc(&machine),
        esc(&human)
    )
}

/// A read-only text input with its label and a Copy button.
pub(crate) fn copyable(id: &str, label: &str, value: &str) -> String {
    format!(
        "<p><label for=\"{id}\">{label}</label><br>\
         <input id=\"{id}\" type=\"text\" readonly value=\"{value}\" size=\"60\" \
         autocomplete=\"off\" spellcheck=\"false\"> \
         <button type=\"button\" data-copy=\"{id}\" hidden>Copy</button></p>\n",
        id = esc(id),
        label = esc(label),
        value = esc(value),
    )
}

/// A form with hidden fields and one submit button: an action on a row.
pub(crate) fn button_form(action: &str, hidden: &[(&str, &str)], button: &str) -> String {
    let mut out = format!(
        "<form class=\"inline\" method=\"post\" action=\"{}\">",
        esc(action)
    );
    for (name, value) in hidden {
        out.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(name),
            esc(value)
        ));
    }
    out.push_str(&format!("<button type=\"submit\">{button}</button></form>"));
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:0 auto;\
padding:1rem;line-height:1.45}table{border-collapse:collapse;width:100%}\
th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}\
tr.failed{background:#fde8e8}.failed .result{color:#900;font-weight:bold}\
.warning{border:2px solid #a60;background:#fff6e0;padding:.5rem 1rem}\
[role=alert]{border:2px solid #900;background:#fde8e8;padding:.5rem 1rem}\
[role=status]{border:1px solid #262;padding:.5rem 1rem}\
form.inline{display:inline-block;margin:0 .25rem .25rem 0}\
input[readonly]{font-family:monospace;max-width:100%}\
.vh,.skip{position:absolute;left:-999rem}.skip:focus{left:1rem;top:1rem}";

/// A whole page: `main` is the content of `<main>`, starting with its
/// `<h1>`.
pub(crate) fn page(status: StatusCode, title: &str, main: &str) -> Response<Bytes> {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\n<main id=\"main\">\n{main}</main>\n\
         <script>{COPY_SCRIPT}</script>\n</body>\n</html>\n",
        title = esc(title),
    );
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A page with just a heading and a message: 401, 403, 404 and the like.
pub(crate) fn message_page(status: StatusCode, title: &str, message: &str) -> Response<Bytes> {
    page(
        status,
        title,
        &format!("<h1>{}</h1>\n<p>{}</p>\n", esc(title), esc(message)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            esc("<script>alert(1)</script>\"'&"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
        assert_eq!(
            esc("&amp;"),
            "&amp;amp;",
            "escaping twice is visible, not lost"
        );
        assert_eq!(esc("ünïcödé plain"), "ünïcödé plain");
        let attr = copyable("x", "Label", "\" onmouseover=\"alert(1)");
        assert!(!attr.contains("\" onmouseover"), "{attr}");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn links_are_encoded() {
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(
            query(&[("tenant", "a&b c"), ("x", ""), ("done", "ok")]),
            "tenant=a%26b+c&done=ok"
        );
    }

    #[test]
    fn times_are_utc_to_the_second() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
        assert!(time_tag(t).contains(">2023-11-14 22:13:20 UTC<"));
    }
}
