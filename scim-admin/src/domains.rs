//! Verified e-mail domains: an organization claims a domain, publishes a
//! TXT record with the challenge value at the domain's own name (where
//! Microsoft 365 and Google Workspace ask for theirs), and the library
//! looks it up through a [`TxtResolver`].

use async_trait::async_trait;

use crate::store::AdminError;

/// Looks up the TXT records of a DNS name. Behind a trait so that tests
/// answer from memory and hosts choose their resolver.
#[async_trait]
pub trait TxtResolver: Send + Sync + std::fmt::Debug {
    /// The TXT records of `name`, each record's strings joined. An
    /// existing name without TXT records, or a name that does not exist,
    /// is an empty list, not an error.
    ///
    /// # Errors
    ///
    /// The lookup failed (timeout, server failure): a message for the
    /// admin.
    async fn txt(&self, name: &str) -> Result<Vec<String>, String>;
}

/// Why a domain could not be verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The organization has not claimed the domain.
    #[error("the organization has not added the domain {0:?}")]
    NotClaimed(String),
    /// No TXT record carries the challenge (yet: DNS changes can take a
    /// while to be seen).
    #[error(
        "no TXT record of {record} has the value {value:?} yet; publish it and try again (DNS changes can take minutes to hours to be visible)"
    )]
    NotFound {
        /// Where the record is looked for.
        record: String,
        /// The value it must have.
        value: String,
    },
    /// The DNS lookup failed.
    #[error("the DNS lookup failed: {0}")]
    Dns(String),
    /// The store failed, or the name is not a domain.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// The DNS name whose TXT records carry a domain's challenge: the domain
/// itself.
#[must_use]
pub fn record_name(domain: &str) -> String {
    domain.to_owned()
}

/// A domain name as stored: lower case, without a trailing dot, checked to
/// be a plausible DNS name (letters, digits, hyphens, at least two labels
/// of 1 to 63 characters, 253 at most).
///
/// # Errors
///
/// [`AdminError::Invalid`] naming the problem.
pub fn normalize(name: &str) -> Result<String, AdminError> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = |why: &str| {
        Err(AdminError::Invalid(format!(
            "{name:?} is not a domain: {why}"
        )))
    };
    if name.len() > 253 {
        return bad("longer than 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return bad("it needs a dot, as in contoso.com");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return bad("each part between dots has 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return bad(
                "only letters, digits and inner hyphens (write an international name in its xn-- form)",
            );
        }
    }
    Ok(name)
}

/// Answers from a fixed table: for tests and demos.
#[derive(Debug, Default, Clone)]
pub struct StaticResolver {
    records: std::collections::HashMap<String, Vec<String>>,
}

impl StaticResolver {
    /// No records.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a TXT record to `name`.
    #[must_use]
    pub fn record(mut self, name: &str, value: &str) -> Self {
        self.records
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.to_owned());
        self
    }
}

#[async_trait]
impl TxtResolver for StaticResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        Ok(self
            .records
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn domains_are_normalized_or_refused() {
        assert_eq!(normalize(" Contoso.COM. ").unwrap(), "contoso.com");
        assert_eq!(normalize("a-b.co.uk").unwrap(), "a-b.co.uk");
        for bad in [
            "", "contoso", "-a.com", "a..com", "a_b.com", "ä.com", "a.com/x",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
        assert!(normalize(&format!("{}.com", "a".repeat(64))).is_err());
    }
}
