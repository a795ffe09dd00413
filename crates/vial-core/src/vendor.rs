//! The vendor registry's vocabulary and the egress rule it feeds: a host off this machine may
//! receive PHI only if it matches a host pattern of a vendor whose Business Associate Agreement
//! is in force that day, in a region the practice allows. Pure: the caller passes the vendors,
//! the day and the allowed regions; [`judge`] answers.

use std::fmt;

use jiff::civil::Date;

use crate::egress::is_own_machine;

vocabulary! {
    /// What a vendor does for the practice.
    pub enum VendorService {
        Hosting = "hosting",
        Database = "database",
        Storage = "storage",
        Email = "email",
        Sms = "sms",
        Payments = "payments",
        Analytics = "analytics",
        Backup = "backup",
        Keys = "keys",
        Other = "other",
    }
}

impl VendorService {
    pub fn parse(code: &str) -> Result<Self, VendorError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == code)
            .ok_or_else(|| {
                let all: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                VendorError(format!("service: must be one of {}", all.join(", ")))
            })
    }
}

/// A refused vendor field; the message names the field and the rule, never echoes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VendorError(pub String);

fn invalid(message: &str) -> VendorError {
    VendorError(message.to_owned())
}

/// A host pattern: an exact host name (or IP address), or `*.suffix` for every name under the
/// suffix (never the suffix itself). Lower case; `*.com`-like patterns of one label are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern(String);

impl HostPattern {
    pub fn parse(pattern: &str) -> Result<Self, VendorError> {
        let p = pattern.trim().to_ascii_lowercase();
        let (wild, name) = match p.strip_prefix("*.") {
            Some(suffix) => (true, suffix),
            None => (false, p.as_str()),
        };
        let ip = !wild && name.parse::<std::net::IpAddr>().is_ok();
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !ip && (name.len() > 253 || !labels.iter().all(label_ok)) {
            return Err(invalid(
                "host: must be a host name (letters, digits, '-', dots) or *.suffix",
            ));
        }
        if wild && labels.len() < 2 {
            return Err(invalid(
                "host: a wildcard needs a suffix of two labels or more (*.example.com)",
            ));
        }
        if is_own_machine(name) {
            return Err(invalid(
                "host: this machine needs no vendor (localhost, 127.0.0.0/8, ::1)",
            ));
        }
        Ok(Self(p))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `host` (as configured, any case) is covered by this pattern.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(suffix) => host
                .strip_suffix(suffix)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            None => host == self.0,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A region code: `us`, `eu`, `us-east-1`, … (lower-case letters, digits and '-').
pub fn parse_region(region: &str) -> Result<String, VendorError> {
    let r = region.trim().to_ascii_lowercase();
    let ok = !r.is_empty()
        && r.len() <= 32
        && !r.starts_with('-')
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(r)
    } else {
        Err(invalid(
            "region: must be a region code of letters, digits and '-' (us, eu, us-east-1)",
        ))
    }
}

/// The practice's allowed regions as a setting (`us,eu`): each a region code, at least one.
pub fn parse_allowed_regions(list: &str) -> Result<Vec<String>, VendorError> {
    let regions: Vec<String> = list
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(parse_region)
        .collect::<Result<_, _>>()
        .map_err(|_| invalid("allowed_regions: a comma-separated list of region codes (us, eu)"))?;
    if regions.is_empty() {
        return Err(invalid(
            "allowed_regions: name at least one region (us, eu)",
        ));
    }
    Ok(regions)
}

/// Whether `region` lies in one of `allowed`: equal to one, or under it by prefix
/// (`us-east-1` is in `us`). No allowed regions set means no restriction.
pub fn region_allowed(region: &str, allowed: Option<&[String]>) -> bool {
    let Some(allowed) = allowed else {
        return true;
    };
    let region = region.to_ascii_lowercase();
    allowed.iter().any(|a| {
        region == *a
            || region
                .strip_prefix(a.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// A date as the registry takes it: `YYYY-MM-DD`.
pub fn parse_date(field: &str, value: &str) -> Result<Date, VendorError> {
    let ok = value.len() == 10 && value.as_bytes()[4] == b'-' && value.as_bytes()[7] == b'-';
    ok.then(|| value.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| VendorError(format!("{field}: must be a date as YYYY-MM-DD")))
}

/// A BAA's term: signed on one day, in force through its expiry day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaaTerm {
    pub signed: Date,
    pub expires: Date,
}

impl BaaTerm {
    pub fn new(signed: Date, expires: Date) -> Result<Self, VendorError> {
        if expires < signed {
            return Err(invalid("baa_expires: must not be before baa_signed"));
        }
        Ok(Self { signed, expires })
    }

    pub fn in_force(&self, today: Date) -> bool {
        self.signed <= today && today <= self.expires
    }

    /// Days from `today` to the expiry day (0 on the day itself, negative once expired).
    pub fn days_left(&self, today: Date) -> i64 {
        i64::from((self.expires - today).get_days())
    }
}

/// Within this many days of its expiry a BAA in force is warned about.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// What the egress rule needs of one registered vendor.
#[derive(Debug, Clone)]
pub struct VendorTerms {
    pub id: String,
    pub hosts: Vec<HostPattern>,
    pub term: BaaTerm,
    pub region: String,
    /// Ended vendors receive nothing, whatever their BAA says.
    pub ended: bool,
}

/// Why an endpoint may not receive PHI. `Display` names the host and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressRefusal {
    NoVendor {
        host: String,
    },
    BaaNotInForce {
        host: String,
        vendor: String,
        expires: Date,
    },
    Ended {
        host: String,
        vendor: String,
    },
    RegionNotAllowed {
        host: String,
        vendor: Option<String>,
        region: String,
    },
}

impl EgressRefusal {
    /// The audit reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoVendor { .. } => "no_vendor",
            Self::BaaNotInForce { .. } => "baa_not_in_force",
            Self::Ended { .. } => "vendor_ended",
            Self::RegionNotAllowed { .. } => "region_not_allowed",
        }
    }

    pub fn host(&self) -> &str {
        match self {
            Self::NoVendor { host }
            | Self::BaaNotInForce { host, .. }
            | Self::Ended { host, .. }
            | Self::RegionNotAllowed { host, .. } => host,
        }
    }

    pub fn vendor(&self) -> Option<&str> {
        match self {
            Self::NoVendor { .. } => None,
            Self::BaaNotInForce { vendor, .. } | Self::Ended { vendor, .. } => Some(vendor),
            Self::RegionNotAllowed { vendor, .. } => vendor.as_deref(),
        }
    }
}

impl fmt::Display for EgressRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoVendor { host } => write!(
                f,
                "{host}: no vendor with a Business Associate Agreement covers this host; \
                 register one with `vial vendor add --host {host} …`"
            ),
            Self::BaaNotInForce {
                host,
                vendor,
                expires,
            } => write!(
                f,
                "{host}: the Business Associate Agreement of vendor {vendor} is not in force \
                 (expires {expires}); renew it with `vial vendor renew {vendor} --baa-expires …`"
            ),
            Self::Ended { host, vendor } => write!(
                f,
                "{host}: vendor {vendor} has been ended; register a vendor under a BAA for it"
            ),
            Self::RegionNotAllowed {
                host,
                vendor,
                region,
            } => match vendor {
                Some(vendor) => write!(
                    f,
                    "{host}: vendor {vendor}'s region {region} is outside the practice's \
                     allowed regions"
                ),
                None => write!(
                    f,
                    "{host}: region {region} is outside the practice's allowed regions"
                ),
            },
        }
    }
}

/// The egress rule: may PHI go to `host` (as configured, e.g. a URL's host) on `today`?
/// This machine always may. Otherwise the first in-force vendor covering the host whose region
/// is allowed answers `Ok(Some(vendor id))`; `data_region` (an S3 bucket's region) must be
/// allowed too. Refusals prefer the most telling reason: a covering vendor's expired BAA or
/// region before "no vendor".
pub fn judge(
    host: &str,
    data_region: Option<&str>,
    vendors: &[VendorTerms],
    today: Date,
    allowed_regions: Option<&[String]>,
) -> Result<Option<String>, EgressRefusal> {
    if is_own_machine(host) {
        return Ok(None);
    }
    let host = host.trim().to_ascii_lowercase();
    if let Some(region) = data_region
        && !region_allowed(region, allowed_regions)
    {
        return Err(EgressRefusal::RegionNotAllowed {
            host,
            vendor: None,
            region: region.to_owned(),
        });
    }
    let mut refusal = None;
    for vendor in vendors {
        if !vendor.hosts.iter().any(|p| p.matches(&host)) {
            continue;
        }
        let why = if vendor.ended {
            EgressRefusal::Ended {
                host: host.clone(),
                vendor: vendor.id.clone(),
            }
        } else if !vendor.term.in_force(today) {
            EgressRefusal::BaaNotInForce {
                host: host.clone(),
                vendor: vendor.id.clone(),
                expires: vendor.term.expires,
            }
        } else if !region_allowed(&vendor.region, allowed_regions) {
            EgressRefusal::RegionNotAllowed {
                host: host.clone(),
                vendor: Some(vendor.id.clone()),
                region: vendor.region.clone(),
            }
        } else {
            return Ok(Some(vendor.id.clone()));
        };
        // An ended vendor says least: keep a later, more telling reason.
        if refusal.is_none() || matches!(refusal, Some(EgressRefusal::Ended { .. })) {
            refusal = Some(why);
        }
    }
    Err(refusal.unwrap_or(EgressRefusal::NoVendor { host }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn vendor(id: &str, host: &str, expires: &str, region: &str) -> VendorTerms {
        VendorTerms {
            id: id.into(),
            hosts: vec![HostPattern::parse(host).unwrap()],
            term: BaaTerm::new(date("2026-01-01"), date(expires)).unwrap(),
            region: region.into(),
            ended: false,
        }
    }

    #[test]
    fn patterns_are_exact_names_or_a_suffix_below_two_labels() {
        let exact = HostPattern::parse("DB.Example.com").unwrap();
        assert!(exact.matches("db.example.com"));
        assert!(exact.matches("DB.EXAMPLE.COM."));
        assert!(!exact.matches("x.db.example.com"));
        let wild = HostPattern::parse("*.s3.amazonaws.com").unwrap();
        assert!(wild.matches("bucket.s3.amazonaws.com"));
        assert!(wild.matches("a.b.s3.amazonaws.com"));
        assert!(!wild.matches("s3.amazonaws.com"));
        assert!(!wild.matches("evils3.amazonaws.com"));
        assert!(!wild.matches("bucket.s3.amazonaws.com.evil.net"));
        assert!(HostPattern::parse("10.0.0.5").unwrap().matches("10.0.0.5"));
        for bad in [
            "",
            "*",
            "*.com",
            "*.",
            "a..b",
            "-a.com",
            "a b.com",
            "a/b",
            "*.*.com",
            "localhost",
            "127.0.0.1",
            "db.example.com:5432",
            "é.com",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_match_by_prefix_and_unset_allows_all() {
        let allowed = vec!["us".to_owned()];
        assert!(region_allowed("us", Some(&allowed)));
        assert!(region_allowed("us-east-1", Some(&allowed)));
        assert!(!region_allowed("usa", Some(&allowed)));
        assert!(!region_allowed("eu-west-1", Some(&allowed)));
        assert!(region_allowed("eu-west-1", None));
        assert_eq!(parse_allowed_regions(" us , EU ").unwrap(), ["us", "eu"]);
        assert!(parse_allowed_regions(",").is_err());
        assert!(parse_allowed_regions("us;eu").is_err());
    }

    #[test]
    fn dates_are_strict_and_a_term_runs_through_its_expiry_day() {
        assert!(parse_date("baa_signed", "2026-2-1").is_err());
        assert!(parse_date("baa_signed", "2026-02-30").is_err());
        assert!(parse_date("baa_signed", "20260201").is_err());
        let term = BaaTerm::new(date("2026-01-01"), date("2026-12-31")).unwrap();
        assert!(!term.in_force(date("2025-12-31")));
        assert!(term.in_force(date("2026-12-31")));
        assert!(!term.in_force(date("2027-01-01")));
        assert_eq!(term.days_left(date("2026-12-01")), 30);
        assert!(BaaTerm::new(date("2026-02-01"), date("2026-01-01")).is_err());
        assert!(VendorService::parse("email").is_ok());
        assert!(VendorService::parse("fax").is_err());
    }

    #[test]
    fn the_rule_names_the_host_and_the_reason() {
        let today = date("2026-06-01");
        let vendors = vec![
            vendor("v-old", "db.example.com", "2026-05-31", "us"),
            vendor("v-eu", "*.eu.example.com", "2027-01-01", "eu-west-1"),
            vendor("v-ok", "*.s3.example.com", "2027-01-01", "us-east-1"),
        ];
        let us = vec!["us".to_owned()];
        assert_eq!(judge("127.0.0.1", None, &[], today, Some(&us)), Ok(None));
        assert_eq!(
            judge(
                "b.s3.example.com",
                Some("us-east-1"),
                &vendors,
                today,
                Some(&us)
            ),
            Ok(Some("v-ok".into()))
        );
        let no = judge("other.example.com", None, &vendors, today, None).unwrap_err();
        assert_eq!(no.code(), "no_vendor");
        assert!(no.to_string().starts_with("other.example.com: "));
        let expired = judge("db.example.com", None, &vendors, today, None).unwrap_err();
        assert_eq!(expired.code(), "baa_not_in_force");
        assert_eq!(expired.vendor(), Some("v-old"));
        let region = judge("x.eu.example.com", None, &vendors, today, Some(&us)).unwrap_err();
        assert_eq!(region.code(), "region_not_allowed");
        let bucket = judge(
            "b.s3.example.com",
            Some("eu-central-1"),
            &vendors,
            today,
            Some(&us),
        );
        assert_eq!(bucket.unwrap_err().code(), "region_not_allowed");
        let mut ended = vendors.clone();
        ended[2].ended = true;
        let e = judge("b.s3.example.com", None, &ended, today, None).unwrap_err();
        assert_eq!(e.code(), "vendor_ended");
    }
}
