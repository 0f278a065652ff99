//! The one error type of the workspace: an HTTP status, an RFC 7644 §3.12
//! `scimType` where one applies, and a detail a person can act on.

use std::fmt;

use http::StatusCode;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::urn;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is. Each kind has its HTTP status and,
/// for the RFC 7644 §3.12 kinds, its `scimType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 `invalidFilter`: the filter syntax is invalid or names something
    /// that cannot be filtered.
    InvalidFilter,
    /// 400 `tooMany`: the query would return more results than the server
    /// is willing to give.
    TooMany,
    /// 409 `uniqueness`: a value that must be unique is taken.
    Uniqueness,
    /// 400 `mutability`: the request changes a readOnly or immutable
    /// attribute.
    Mutability,
    /// 400 `invalidSyntax`: the body is not valid JSON or not a valid SCIM
    /// request.
    InvalidSyntax,
    /// 400 `invalidPath`: a PATCH path is malformed or names no attribute.
    InvalidPath,
    /// 400 `noTarget`: a PATCH path matched nothing.
    NoTarget,
    /// 400 `invalidValue`: a missing required value or a value of the wrong
    /// type or not allowed.
    InvalidValue,
    /// 400 `invalidVers`: an unsupported SCIM protocol version.
    InvalidVersion,
    /// 403 `sensitive`: the request must not be made this way (a filter in
    /// a URL where it would expose confidential data).
    Sensitive,
    /// 400 `invalidCursor` (RFC 9865): the `cursor` is not one the server
    /// issued for this query.
    InvalidCursor,
    /// 400 `expiredCursor` (RFC 9865): the cursor was good but is too old.
    ExpiredCursor,
    /// 400 with no `scimType`: a bad request outside the cases above.
    BadRequest,
    /// 401: no valid credentials.
    Unauthorized,
    /// 403: the caller may not do this.
    Forbidden,
    /// 404: no such resource or endpoint.
    NotFound,
    /// 405: the endpoint does not support the method.
    MethodNotAllowed,
    /// 409 with no `scimType`: the request conflicts with the resource's
    /// state.
    Conflict,
    /// 412: an `If-Match` precondition failed.
    PreconditionFailed,
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 500: a failure of the server or its store.
    Internal,
    /// 501: the server does not implement this.
    NotImplemented,
}

impl ErrorKind {
    /// The HTTP status of this kind.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::InvalidFilter
            | Self::TooMany
            | Self::Mutability
            | Self::InvalidSyntax
            | Self::InvalidPath
            | Self::NoTarget
            | Self::InvalidValue
            | Self::InvalidVersion
            | Self::InvalidCursor
            | Self::ExpiredCursor
            | Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Uniqueness | Self::Conflict => StatusCode::CONFLICT,
            Self::Sensitive | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// The RFC 7644 §3.12 `scimType`, for the kinds that have one.
    #[must_use]
    pub const fn scim_type(self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVersion => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::ExpiredCursor => "expiredCursor",
            _ => return None,
        })
    }
}

struct Inner {
    kind: ErrorKind,
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// A header the response carries (`Allow` on a 405).
    header: Option<(http::HeaderName, &'static str)>,
}

/// A failed SCIM request: its [`ErrorKind`] (status and `scimType`) and a
/// detail naming what is wrong. Serializes to the RFC 7644 §3.12 body.
///
/// ```
/// use scim_core::{Error, ErrorKind};
///
/// let err = Error::uniqueness("userName", "bjensen@example.com");
/// assert_eq!(err.kind(), ErrorKind::Uniqueness);
/// assert_eq!(err.status().as_u16(), 409);
/// let body = serde_json::to_value(&err).unwrap();
/// assert_eq!(body["status"], "409");
/// assert_eq!(body["scimType"], "uniqueness");
/// ```
pub struct Error {
    inner: Box<Inner>,
}

/// The longest detail an error carries, in bytes.
const MAX_DETAIL: usize = 1024;

/// At most the first 80 characters of `s`, an input quoted in an error
/// detail, with the length of the whole when it was cut: a detail names
/// what was wrong without sending a 60 KB id or filter back.
pub(crate) fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    const KEEP: usize = 80;
    match s.char_indices().nth(KEEP) {
        None => s.into(),
        Some((end, _)) => format!("{}… ({} bytes in all)", &s[..end], s.len()).into(),
    }
}

impl Error {
    /// An error of `kind` with a detail for the client.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        if detail.len() > MAX_DETAIL {
            // A detail that quotes a client's input in full (a 60 KB id)
            // would send it back; the sources clip what they quote, this
            // is the backstop.
            let mut end = MAX_DETAIL;
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
            detail.push('…');
        }
        Self {
            inner: Box::new(Inner {
                kind,
                detail,
                source: None,
                header: None,
            }),
        }
    }

    /// What kind of error this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// The `scimType`, if the kind has one.
    #[must_use]
    pub fn scim_type(&self) -> Option<&'static str> {
        self.inner.kind.scim_type()
    }

    /// The detail sent to the client.
    #[must_use]
    pub fn detail(&self) -> &str {
        &self.inner.detail
    }

    /// The same, with a header for its response (`Allow` on a 405).
    #[must_use]
    pub(crate) fn with_header(mut self, name: http::HeaderName, value: &'static str) -> Self {
        self.inner.header = Some((name, value));
        self
    }

    /// The header the error's response carries besides the body, if any:
    /// `Allow` on a 405, `Accept-Encoding` on a 415 for an encoded body.
    #[must_use]
    pub fn header(&self) -> Option<(&http::HeaderName, &str)> {
        self.inner.header.as_ref().map(|(n, v)| (n, *v))
    }

    /// 404 for a resource that does not exist (or that the caller may not
    /// see).
    pub fn not_found(resource_type: &str, id: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            format!("{resource_type} {:?} not found", clip(id)),
        )
    }

    /// 409 `uniqueness`: `attribute` already has `value` on another
    /// resource.
    pub fn uniqueness(attribute: &str, value: &str) -> Self {
        Self::new(
            ErrorKind::Uniqueness,
            format!(
                "{attribute} {:?} is already taken by another resource",
                clip(value)
            ),
        )
    }

    /// 400 `invalidFilter` from a filter that does not parse.
    pub fn invalid_filter(err: &scim_filter::ParseError) -> Self {
        Self::new(
            ErrorKind::InvalidFilter,
            format!("invalid filter {:?}: {}", clip(err.input()), err.message()),
        )
    }

    /// 400 `invalidPath` from a PATCH path that does not parse.
    pub fn invalid_path(err: &scim_filter::ParseError) -> Self {
        Self::new(
            ErrorKind::InvalidPath,
            format!("invalid path {:?}: {}", clip(err.input()), err.message()),
        )
    }

    /// 400 `invalidValue` naming the attribute.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidValue, detail)
    }

    /// 400 `invalidCursor` (RFC 9865): the `cursor` is not one the server
    /// issued for this query.
    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidCursor, detail)
    }

    /// 400 `expiredCursor` (RFC 9865): the cursor is older than the
    /// server keeps them.
    pub fn expired_cursor(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::ExpiredCursor, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidSyntax, detail)
    }

    /// 400 `mutability` naming the attribute.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Mutability, detail)
    }

    /// 413: a body larger than the server's limit of `limit` bytes.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorKind::PayloadTooLarge,
            format!("the body is larger than this server accepts ({limit} bytes)"),
        )
    }

    /// 412: the resource's version is not the one the request requires.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::PreconditionFailed, detail)
    }

    /// 412 for a conditional write ([`Update::if_version`], a delete's
    /// `if_version`) whose version no longer matches the stored one: what
    /// a store returns, naming the resource.
    ///
    /// [`Update::if_version`]: crate::store::Update::if_version
    #[must_use]
    pub fn version_mismatch(id: &str) -> Self {
        Self::precondition_failed(format!(
            "resource {id:?} has changed since the version the request names (If-Match)"
        ))
    }

    /// 500 wrapping a failure of the store or the host. The client sees a
    /// generic detail; the source stays available to the host's logs
    /// through [`std::error::Error::source`].
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind: ErrorKind::Internal,
                detail: "internal server error".to_owned(),
                source: Some(source.into()),
                header: None,
            }),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("detail", &self.inner.detail);
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status().as_u16())?;
        if let Some(t) = self.scim_type() {
            write!(f, " {t}")?;
        }
        write!(f, ": {}", self.inner.detail)?;
        if let Some(source) = &self.inner.source {
            write!(f, " ({source})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let scim_type = self.scim_type();
        let mut s = serializer.serialize_struct("Error", 3 + usize::from(scim_type.is_some()))?;
        s.serialize_field("schemas", &[urn::ERROR])?;
        s.serialize_field("status", self.status().as_str())?;
        if let Some(t) = scim_type {
            s.serialize_field("scimType", t)?;
        }
        s.serialize_field("detail", &self.inner.detail)?;
        s.end()
    }
}
