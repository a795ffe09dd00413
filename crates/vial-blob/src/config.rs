//! [`S3Config`]: where an S3-compatible bucket is and how to sign requests to it.
//!
//! The secret access key lives in a `secrecy` type and never appears in `Debug`. Plain HTTP is
//! refused except to a loopback endpoint (an object store on the same machine), and only when
//! asked for: photos travel over TLS everywhere else, even though they are already encrypted.

use std::net::IpAddr;

use secrecy::SecretString;
use url::{Host, Url};

use crate::BlobError;

/// An S3-compatible bucket (AWS S3, Garage, MinIO, Ceph, R2...).
#[derive(Clone)]
pub struct S3Config {
    /// Endpoint URL, e.g. `https://s3.eu-central-1.example.com`; `None` means AWS itself,
    /// derived from the region. Requests use path-style addressing (`<endpoint>/<bucket>/<key>`).
    pub endpoint: Option<String>,
    /// The region requests are signed for. Kept so that the application can refuse storage
    /// outside its configured residency region (see [`crate::BlobStore::region`]).
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Allow `http://` endpoints; honoured only for loopback hosts (`127.0.0.0/8`, `::1`,
    /// `localhost`).
    pub allow_http: bool,
}

impl S3Config {
    /// Checks everything that can be checked without a request.
    pub(crate) fn validate(&self) -> Result<(), BlobError> {
        if self.region.trim().is_empty() {
            return Err(BlobError::Config("region is empty".into()));
        }
        if self.bucket.trim().is_empty() {
            return Err(BlobError::Config("bucket is empty".into()));
        }
        if self.access_key_id.trim().is_empty() {
            return Err(BlobError::Config("access key id is empty".into()));
        }
        if let Some(endpoint) = &self.endpoint {
            // The URL is not echoed back: it might carry credentials in its user-info part.
            let url = Url::parse(endpoint)
                .map_err(|_| BlobError::Config("endpoint is not a URL".into()))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(BlobError::Config(
                    "endpoint must not contain credentials".into(),
                ));
            }
            match url.scheme() {
                "https" => {}
                "http" if !self.allow_http => {
                    return Err(BlobError::Config(
                        "plain-HTTP endpoint refused (allow_http is off)".into(),
                    ));
                }
                "http" if !is_loopback(&url) => {
                    return Err(BlobError::Config(
                        "plain HTTP is allowed only to a loopback endpoint".into(),
                    ));
                }
                "http" => {}
                _ => {
                    return Err(BlobError::Config(
                        "endpoint scheme must be https (or http to loopback)".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: Option<&str>, allow_http: bool) -> S3Config {
        S3Config {
            endpoint: endpoint.map(str::to_owned),
            region: "eu-central-1".into(),
            bucket: "vial-photos".into(),
            access_key_id: "GK0123".into(),
            secret_access_key: SecretString::from("super-secret-value"),
            allow_http,
        }
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", config(None, false));
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("eu-central-1"));
    }

    #[test]
    fn https_anywhere_http_only_to_loopback_and_only_when_allowed() {
        for (endpoint, allow_http, ok) in [
            (None, false, true),
            (Some("https://s3.example.com"), false, true),
            (Some("https://s3.example.com:9000/"), true, true),
            (Some("http://127.0.0.1:3900"), true, true),
            (Some("http://127.8.9.10:3900"), true, true),
            (Some("http://[::1]:3900"), true, true),
            (Some("http://localhost:3900"), true, true),
            (Some("http://127.0.0.1:3900"), false, false),
            (Some("http://s3.example.com"), true, false),
            (Some("http://10.0.0.5:3900"), true, false),
            (Some("http://localhost.example.com"), true, false),
            (Some("ftp://127.0.0.1"), true, false),
            (Some("https://user:pw@s3.example.com"), false, false),
            (Some("not a url"), false, false),
        ] {
            let result = config(endpoint, allow_http).validate();
            assert_eq!(result.is_ok(), ok, "{endpoint:?} allow_http={allow_http}");
        }
    }

    #[test]
    fn refuses_empty_fields() {
        let mut c = config(None, false);
        c.bucket = String::new();
        assert!(matches!(c.validate(), Err(BlobError::Config(_))));
        let mut c = config(None, false);
        c.region = " ".into();
        assert!(c.validate().is_err());
        let mut c = config(None, false);
        c.access_key_id = String::new();
        assert!(c.validate().is_err());
    }
}
