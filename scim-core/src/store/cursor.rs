//! Cursors a store (or the service) hands to clients: opaque, tamper-evident
//! strings bound to the query that produced them.
//!
//! A cursor ([RFC 9865]) is a string the server gives with a page and gets
//! back when the client asks for the next (or previous) one. What it holds
//! is the server's business: for a keyset, the sort value and the unique
//! key of the last row of the page. A client may send anything back,
//! though, so a cursor is checked before it is believed. [`CursorSeal`]
//! does that part for any store: it appends an HMAC-SHA256 tag computed
//! over the position *and* a scope naming the query ([`query_scope`]:
//! tenant, resource type, visibility, filter, sort), and encodes the lot
//! in base64url, which uses only the characters RFC 9865 allows in a
//! cursor. [`CursorSeal::open`] gives the position back only if the tag
//! matches: an edited cursor, a made-up one, or one from another query
//! (another filter, sort order, connection or tenant) is refused with
//! [`Error::invalid_cursor`], a 400 the client can act on, never a panic.
//!
//! The position itself is not encrypted: a client can decode the base64
//! and read the sort value of the last row it was sent, which it has seen
//! anyway. Cursors sealed by one key are refused by a seal with another
//! key; stores that run as several processes share a key
//! ([`CursorSeal::with_key`]), or cursors fail when a request lands on
//! another process.
//!
//! [RFC 9865]: https://www.rfc-editor.org/rfc/rfc9865

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ListQuery, Visibility};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::schema::ResourceType;
use crate::store::SortOrder;

/// The format of the sealed envelope (first byte of the decoded cursor).
const VERSION: u8 = 1;
/// Bytes of the HMAC-SHA256 tag kept: 128 bits.
const TAG: usize = 16;
/// Version byte and issue time (seconds since the epoch, big-endian).
const HEADER: usize = 1 + 8;
/// The longest cursor accepted, in characters: far above what any store
/// here writes, and short enough that decoding a hostile one costs
/// nothing.
const MAX_LEN: usize = 4096;

/// Seals and opens cursors with a secret key, optionally with a lifetime.
///
/// [`CursorSeal::seal`] appends an HMAC-SHA256 tag (128 bits kept),
/// computed over the position *and* a scope naming the query
/// ([`query_scope`]), to the store's position and the issue time, and
/// encodes the lot in base64url: only characters RFC 9865 allows in a
/// cursor. [`CursorSeal::open`] gives the position back only if the tag
/// matches: an edited, made-up or truncated cursor, or one of another
/// query (filter, sort, connection, tenant, resource type), is refused
/// with [`Error::invalid_cursor`]. The position is not encrypted (a client
/// can read the sort value of the last row it was sent, which it has seen
/// anyway). Processes that must accept each other's cursors share a key
/// ([`CursorSeal::with_key`]).
///
/// ```
/// use scim_core::store::CursorSeal;
///
/// let seal = CursorSeal::new();
/// let cursor = seal.seal(b"users; no filter", b"after 42");
/// assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// assert_eq!(seal.open(b"users; no filter", &cursor).unwrap(), b"after 42");
/// // Another query, or another key: refused (400 invalidCursor).
/// assert!(seal.open(b"groups; no filter", &cursor).is_err());
/// assert!(CursorSeal::new().open(b"users; no filter", &cursor).is_err());
/// ```
#[derive(Clone)]
pub struct CursorSeal {
    key: [u8; 32],
    timeout: Option<Duration>,
}

impl fmt::Debug for CursorSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("CursorSeal")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for CursorSeal {
    fn default() -> Self {
        Self::new()
    }
}

impl CursorSeal {
    /// A seal with a random key: its cursors are good for as long as it
    /// lives (for an in-memory store, as long as the data does).
    #[must_use]
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self::with_key(key)
    }

    /// A seal with this secret key, for processes that must accept each
    /// other's cursors (several instances over one database) or cursors
    /// issued before a restart. Keep it as secret as a session key.
    #[must_use]
    pub fn with_key(key: [u8; 32]) -> Self {
        Self { key, timeout: None }
    }

    /// Refuses cursors older than `timeout` with
    /// [`Error::expired_cursor`] (none by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The lifetime set with [`CursorSeal::timeout`].
    #[must_use]
    pub fn lifetime(&self) -> Option<Duration> {
        self.timeout
    }

    /// A cursor carrying `payload`, good only for a query of this `scope`
    /// (typically [`query_scope`]).
    #[must_use]
    pub fn seal(&self, scope: &[u8], payload: &[u8]) -> String {
        let mut raw = Vec::with_capacity(HEADER + payload.len() + TAG);
        raw.push(VERSION);
        raw.extend_from_slice(&now_secs().to_be_bytes());
        raw.extend_from_slice(payload);
        let tag = self.tag(scope, &raw);
        raw.extend_from_slice(&tag[..TAG]);
        base64url(&raw)
    }

    /// The payload of a cursor [`CursorSeal::seal`] made for `scope`.
    ///
    /// # Errors
    ///
    /// [`Error::invalid_cursor`] for text this seal did not make for this
    /// scope (altered, truncated, made up, from another query or key);
    /// [`Error::expired_cursor`] for one older than the timeout.
    pub fn open(&self, scope: &[u8], cursor: &str) -> Result<Vec<u8>> {
        let foreign = || {
            Error::invalid_cursor(
                "the cursor is not one this server issued for this query: send back a \
                 nextCursor or previousCursor unchanged, with the same filter, sortBy and \
                 sortOrder, to the same endpoint; or start again with an empty cursor",
            )
        };
        if cursor.len() > MAX_LEN {
            return Err(foreign());
        }
        let raw = unbase64url(cursor).ok_or_else(foreign)?;
        if raw.len() < HEADER + TAG || raw[0] != VERSION {
            return Err(foreign());
        }
        let (body, tag) = raw.split_at(raw.len() - TAG);
        let expected = self.tag(scope, body);
        if !bool::from(expected[..TAG].ct_eq(tag)) {
            return Err(foreign());
        }
        if let Some(timeout) = self.timeout {
            let mut secs = [0u8; 8];
            secs.copy_from_slice(&body[1..HEADER]);
            let issued = u64::from_be_bytes(secs);
            if now_secs().saturating_sub(issued) > timeout.as_secs() {
                return Err(Error::expired_cursor(format!(
                    "the cursor is older than {} seconds (cursorTimeout); start again with \
                     an empty cursor",
                    timeout.as_secs()
                )));
            }
        }
        Ok(body[HEADER..].to_vec())
    }

    /// HMAC-SHA256 (RFC 2104) of the length-prefixed scope and the body.
    fn tag(&self, scope: &[u8], body: &[u8]) -> [u8; 32] {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in self.key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let mut inner = Sha256::new();
        inner.update(ipad);
        inner.update((scope.len() as u64).to_be_bytes());
        inner.update(scope);
        inner.update(body);
        let mut outer = Sha256::new();
        outer.update(opad);
        outer.update(inner.finalize());
        outer.finalize().into()
    }
}

/// What a cursor of a list query is bound to: the tenant, the resource
/// type, who may see what ([`Visibility`]: the connection), the filter and
/// the sort. Not the page size: a client may change `count` between pages.
/// Stores pass it to [`CursorSeal::seal`] and [`CursorSeal::open`].
#[must_use]
pub fn query_scope(ctx: &Context, rtype: &ResourceType, query: &ListQuery) -> Vec<u8> {
    scope_for(ctx, rtype.id(), query)
}

/// [`query_scope`] by resource type id (`/` for a query of every type).
pub(crate) fn scope_for(ctx: &Context, rtype: &str, query: &ListQuery) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut part = |p: &str| {
        out.extend_from_slice(&(p.len() as u64).to_be_bytes());
        out.extend_from_slice(p.as_bytes());
    };
    part(ctx.tenant());
    part(rtype);
    match &query.visibility {
        Visibility::Owner(o) => {
            part("owner");
            part(o);
        }
        Visibility::Live => part("live"),
        Visibility::All => part("all"),
    }
    part(
        &query
            .filter
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    part(
        &query
            .sort_by
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    part(match query.sort_order {
        SortOrder::Ascending => "ascending",
        SortOrder::Descending => "descending",
    });
    out
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// The inverse of [`base64url`]; `None` for anything else (padding, other
/// characters, an impossible length, stray low bits).
fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| ALPHABET.iter().position(|a| *a == c).map(|v| v as u32);
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let len = chunk.len() - 1;
        // Bits below the last whole byte must be zero: one text per value.
        if n & ((1 << (24 - 8 * len)) - 1) != 0 {
            return None;
        }
        for i in 0..len {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_rejects_other_text() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
            let text = base64url(&bytes);
            assert!(!text.contains('='));
            assert_eq!(unbase64url(&text).as_deref(), Some(&bytes[..]), "{text}");
        }
        for bad in ["A", "AB=", "AB+/", "A B", "AB\u{e9}", "AF"] {
            assert_eq!(unbase64url(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_changed_byte_or_scope_or_key_is_refused() {
        let seal = CursorSeal::with_key([7; 32]);
        let cursor = seal.seal(b"scope", b"payload");
        assert_eq!(seal.open(b"scope", &cursor).unwrap(), b"payload");
        assert!(seal.open(b"scope2", &cursor).is_err());
        assert!(
            CursorSeal::with_key([8; 32])
                .open(b"scope", &cursor)
                .is_err()
        );
        let mut bytes = cursor.clone().into_bytes();
        for i in 0..bytes.len() {
            let old = bytes[i];
            bytes[i] = if old == b'A' { b'B' } else { b'A' };
            let text = String::from_utf8(bytes.clone()).unwrap();
            let err = seal.open(b"scope", &text).unwrap_err();
            assert_eq!(err.scim_type(), Some("invalidCursor"));
            bytes[i] = old;
        }
        for junk in ["", "x", "%%%", "null", &"A".repeat(5000)] {
            assert!(seal.open(b"scope", junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn an_old_cursor_expires() {
        let seal = CursorSeal::with_key([1; 32]).timeout(Duration::from_secs(60));
        let mut raw = vec![VERSION];
        raw.extend_from_slice(&(now_secs() - 61).to_be_bytes());
        raw.extend_from_slice(b"p");
        let tag = seal.tag(b"s", &raw);
        raw.extend_from_slice(&tag[..TAG]);
        let err = seal.open(b"s", &base64url(&raw)).unwrap_err();
        assert_eq!(err.scim_type(), Some("expiredCursor"));
        assert_eq!(seal.open(b"s", &seal.seal(b"s", b"p")).unwrap(), b"p");
    }
}
