//! From an actix request to the `http::Request<Bytes>` the service takes.

use actix_web::{HttpMessage as _, HttpRequest, web};
use bytes::Bytes;
use scim_core::{Context, Error, ScimService};

use crate::response::scim_head;

/// Reads an actix request into the `http::Request<Bytes>` the service
/// takes: the path below the scope the adapter is mounted in (`/Users/42`,
/// `/` for the scope itself) with the query string, the method, the
/// headers, a [`Context`] the host put into the request's extensions, and
/// the body, read with the service's limit.
///
/// # Errors
///
/// 413 when the body is larger than the limit, 400 when it cannot be read.
pub async fn to_scim_request(
    service: &ScimService,
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<http::Request<Bytes>, Error> {
    let limit = service.max_payload_size();
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            return Err(Error::invalid_syntax(format!(
                "the body could not be read: {e}"
            )));
        }
        Err(_) => return Err(Error::payload_too_large(limit)),
    };
    let mut target = below_scope(request.path(), request.match_info().unprocessed());
    if !request.query_string().is_empty() {
        target.push('?');
        target.push_str(request.query_string());
    }
    let mut scim = scim_head(request, &target)
        .body(body)
        .map_err(|e| Error::invalid_syntax(format!("the request line is not valid: {e}")))?;
    if let Some(ctx) = request.extensions().get::<Context>() {
        scim.extensions_mut().insert(ctx.clone());
    }
    Ok(scim)
}

/// The part of the raw path `raw` below the scope, given actix's
/// `unprocessed` rest of it (empty, or starting with `/`). actix routes on a
/// partly percent-decoded copy of the path, but it never decodes `/` (nor
/// `%`), so the rest has as many slashes as the raw path's tail: counting
/// them from the end finds that tail with its percent-encoding untouched,
/// for the service to decode once.
pub(crate) fn below_scope(raw: &str, unprocessed: &str) -> String {
    match unprocessed.matches('/').count() {
        0 => "/".to_owned(),
        n => raw
            .rmatch_indices('/')
            .nth(n - 1)
            .map_or_else(|| unprocessed.to_owned(), |(i, _)| raw[i..].to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::below_scope;

    #[test]
    fn the_tail_keeps_its_encoding() {
        // (raw path, what actix leaves unprocessed, what the service gets)
        for (raw, unprocessed, tail) in [
            ("/scim/v2", "", "/"),
            ("/scim/v2/", "/", "/"),
            ("/scim/v2/Users/42", "/Users/42", "/Users/42"),
            ("/scim/v2//Users", "//Users", "//Users"),
            (
                "/scim/v2/Users/a%20b%2F%C3%A9",
                "/Users/a b%2F\u{e9}",
                "/Users/a%20b%2F%C3%A9",
            ),
        ] {
            assert_eq!(below_scope(raw, unprocessed), tail, "{raw}");
        }
    }
}
