//! [`S3Config`]: where an S3-compatible bucket is and how to sign requests to it.
//!
//! The secret access key lives in a `secrecy` type and never appears in `Debug`. Plain HTTP is
//! refused except to an endpoint configured as this machine (`vial_core::egress`): photos travel
//! over TLS with the certificate verified everywhere else, even though they are already
//! encrypted.

use secrecy::SecretString;
use url::Url;

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
    /// The practice's own CA (PEM), trusted besides the public roots for an https endpoint.
    pub ca_pem: Option<Vec<u8>>,
}

impl S3Config {
    /// The endpoint's host as configured; AWS's regional S3 host when no endpoint is set.
    pub fn endpoint_host(&self) -> String {
        self.endpoint
            .as_deref()
            .and_then(|e| Url::parse(e).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| format!("s3.{}.amazonaws.com", self.region.trim()))
    }

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
            let host = url.host_str().unwrap_or_default();
            match url.scheme() {
                "https" => {}
                "http" if vial_core::egress::is_own_machine(host) => {}
                "http" => {
                    return Err(BlobError::Config(format!(
                        "--s3-endpoint: {host} is not this machine, so it must be https (plain \
                         http only to localhost, 127.0.0.0/8 or ::1)"
                    )));
                }
                _ => {
                    return Err(BlobError::Config(
                        "--s3-endpoint: the scheme must be https (or http to this machine)".into(),
                    ));
                }
            }
        }
        Ok(())
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
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: Option<&str>) -> S3Config {
        S3Config {
            endpoint: endpoint.map(str::to_owned),
            region: "eu-central-1".into(),
            bucket: "vial-photos".into(),
            access_key_id: "GK0123".into(),
            secret_access_key: SecretString::from("super-secret-value"),
            ca_pem: None,
        }
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", config(None));
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("eu-central-1"));
    }

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        for (endpoint, ok) in [
            (None, true),
            (Some("https://s3.example.com"), true),
            (Some("https://s3.example.com:9000/"), true),
            (Some("http://127.0.0.1:3900"), true),
            (Some("http://127.8.9.10:3900"), true),
            (Some("http://[::1]:3900"), true),
            (Some("http://localhost:3900"), true),
            (Some("http://s3.example.com"), false),
            (Some("http://10.0.0.5:3900"), false),
            (Some("http://localhost.example.com"), false),
            (Some("ftp://127.0.0.1"), false),
            (Some("https://user:pw@s3.example.com"), false),
            (Some("not a url"), false),
        ] {
            assert_eq!(config(endpoint).validate().is_ok(), ok, "{endpoint:?}");
        }
        let Err(BlobError::Config(message)) = config(Some("http://s3.example.com")).validate()
        else {
            panic!("plain http off this machine is refused");
        };
        assert!(message.starts_with("--s3-endpoint: s3.example.com is not this machine"));
    }

    #[test]
    fn the_private_ca_must_hold_a_pem_certificate() {
        let mut c = config(Some("https://s3.example.com"));
        c.ca_pem = Some(b"not a certificate".to_vec());
        let Err(BlobError::Config(message)) = crate::BlobStore::s3(&c) else {
            panic!("a CA file without a certificate is refused");
        };
        assert_eq!(message, "--s3-ca: holds no PEM certificate");
    }

    #[test]
    fn refuses_empty_fields() {
        let mut c = config(None);
        c.bucket = String::new();
        assert!(matches!(c.validate(), Err(BlobError::Config(_))));
        let mut c = config(None);
        c.region = " ".into();
        assert!(c.validate().is_err());
        let mut c = config(None);
        c.access_key_id = String::new();
        assert!(c.validate().is_err());
    }
}
