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

/// The accepted e-mail domains of each organization are the ones it has
/// verified: give it to [`Policy::email_domains_from`] and users whose
/// identifying e-mail is in another domain get 400 `invalidValue` naming
/// the accepted ones. The store is asked on each user create, replace and
/// patch, so a domain verified (or removed) in any process applies at the
/// next request.
///
/// [`Policy::email_domains_from`]: scim_core::policy::Policy::email_domains_from
#[derive(Debug, Clone)]
pub struct VerifiedDomains {
    store: std::sync::Arc<dyn crate::store::AdminStore>,
    required: bool,
}

impl VerifiedDomains {
    /// Every organization must verify a domain before any of its users is
    /// provisioned.
    #[must_use]
    pub fn required(store: std::sync::Arc<dyn crate::store::AdminStore>) -> Self {
        Self {
            store,
            required: true,
        }
    }

    /// An organization that has claimed no domain is not restricted; once
    /// it claims one, only its verified domains are accepted.
    #[must_use]
    pub fn when_claimed(store: std::sync::Arc<dyn crate::store::AdminStore>) -> Self {
        Self {
            store,
            required: false,
        }
    }
}

#[async_trait]
impl scim_core::policy::DomainSource for VerifiedDomains {
    async fn accepted_domains(&self, tenant: &str) -> scim_core::Result<Option<Vec<String>>> {
        let domains = self
            .store
            .domains(tenant)
            .await
            .map_err(scim_core::Error::internal)?;
        if domains.is_empty() && !self.required {
            return Ok(None);
        }
        Ok(Some(
            domains
                .into_iter()
                .filter(|d| d.verified.is_some())
                .map(|d| d.name)
                .collect(),
        ))
    }
}

/// TXT lookups through the system's DNS configuration
/// (`/etc/resolv.conf` on Unix), on hickory-resolver.
#[cfg(feature = "dns")]
#[derive(Debug, Clone)]
pub struct DnsResolver {
    resolver: hickory_resolver::TokioResolver,
}

#[cfg(feature = "dns")]
impl DnsResolver {
    /// A resolver with the system's configuration.
    ///
    /// # Errors
    ///
    /// The system's configuration could not be read.
    pub fn from_system() -> Result<Self, String> {
        let resolver = hickory_resolver::TokioResolver::builder_tokio()
            .map_err(|e| format!("the system's DNS configuration: {e}"))?
            .build();
        Ok(Self { resolver })
    }
}

#[cfg(feature = "dns")]
#[async_trait]
impl TxtResolver for DnsResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        // A fully qualified name, so that no search domain is appended.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn).await {
            Ok(found) => Ok(found
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>()
                })
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        }
    }
}
