//! Connection errors a user can act on, worded as kubectl words them or better: the TLS
//! failures (unknown CA, expired certificates, a name mismatch) and a proxy that refuses,
//! in place of hyper's and rustls's chain of causes.

use rustls::{AlertDescription, CertificateError};

/// What the client knows of its own connection, to name it in an error.
#[derive(Debug, Clone, Default)]
pub struct ConnInfo {
    pub server: String,
    pub proxy: Option<String>,
    /// When the kubeconfig's client certificate expires (`2020-01-01 00:00:00 UTC`).
    pub client_cert_not_after: Option<String>,
}

/// The actionable text for `error`, or `None` when it is none of the cases above.
pub fn explain(error: &(dyn std::error::Error + 'static), info: &ConnInfo) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut chain = String::new();
    let mut text = String::new();
    while let Some(e) = source {
        // an io::Error's `source()` skips the error it wraps: look inside
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>());
        if let Some(tls) = e.downcast_ref::<rustls::Error>().or(inner) {
            return explain_tls(tls, info);
        }
        text.push_str(&e.to_string());
        text.push(' ');
        source = e.source();
    }
    chain.push_str(&text.to_ascii_lowercase());
    // the rustls error may sit behind a boxed cause that does not downcast: its words
    if let Some(tls) = tls_from_text(&text) {
        return explain_tls(&tls, info);
    }
    let proxy = info.proxy.as_deref()?;
    let through = ["proxy", "tunnel", "socks", "refused"];
    through.iter().any(|w| chain.contains(w)).then(|| {
        let why = if chain.contains("refused") {
            "it refused the connection"
        } else {
            "it did not open a tunnel to the server"
        };
        format!(
            "cannot reach {} through proxy {}: {why} (the cluster's proxy-url, or HTTPS_PROXY)",
            info.server,
            crate::secret::redact(proxy)
        )
    })
}

/// The rustls error a chain's text shows (`invalid peer certificate: UnknownIssuer`,
/// `received fatal alert: CertificateExpired`, `certificate not valid for name …`).
fn tls_from_text(text: &str) -> Option<rustls::Error> {
    if text.contains("invalid peer certificate: UnknownIssuer") {
        return Some(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
    }
    if text.contains("invalid peer certificate: Expired") {
        return Some(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    if let Some(at) = text.find("certificate not valid for name") {
        let said = text[at..].trim_end().to_owned();
        return Some(rustls::Error::General(said));
    }
    for (words, alert) in [
        ("CertificateExpired", AlertDescription::CertificateExpired),
        ("BadCertificate", AlertDescription::BadCertificate),
        ("UnknownCA", AlertDescription::UnknownCA),
        ("CertificateUnknown", AlertDescription::CertificateUnknown),
        ("CertificateRequired", AlertDescription::CertificateRequired),
    ] {
        if text.contains(&format!("received fatal alert: {words}")) {
            return Some(rustls::Error::AlertReceived(alert));
        }
    }
    None
}

fn explain_tls(e: &rustls::Error, info: &ConnInfo) -> Option<String> {
    let server = &info.server;
    match e {
        rustls::Error::InvalidCertificate(c) => Some(match c {
            CertificateError::UnknownIssuer => format!(
                "{server}: certificate signed by an unknown authority: set certificate-authority-data (or certificate-authority) in the kubeconfig's cluster, or insecure-skip-tls-verify: true"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "{server}: the server's {}: set tls-server-name to one of those names, or reach it by one",
                    plain_names(&c.to_string())
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("{server}: the server's certificate has expired: {c}")
            }
            other => format!("{server}: the server's certificate is not accepted: {other}"),
        }),
        rustls::Error::General(said) if said.starts_with("certificate not valid for name") => {
            Some(format!(
                "{server}: the server's {}: set tls-server-name to one of those names, or reach it by one",
                plain_names(said)
            ))
        }
        rustls::Error::AlertReceived(alert) => {
            let expiry = info
                .client_cert_not_after
                .as_deref()
                .map(|d| format!(" (it expired on {d})"))
                .unwrap_or_default();
            match alert {
                AlertDescription::CertificateExpired => Some(format!(
                    "{server} refused the client certificate: {}; get a new one (client-certificate-data)",
                    match info.client_cert_not_after.as_deref() {
                        Some(d) => format!("it expired on {d}"),
                        None => "it has expired".to_owned(),
                    }
                )),
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::CertificateRequired => Some(format!(
                    "{server} refused the client certificate ({alert:?}){expiry}"
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

/// rustls names the certificate's names as `IpAddress(10.0.0.1)` and `DnsName("api")`:
/// plain `10.0.0.1` and `api`.
fn plain_names(text: &str) -> String {
    static NAME: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?:IpAddress|DnsName|Uri|Email)\("?([^")]*)"?\)"#).ok()
    });
    match NAME.as_ref() {
        Some(re) => re.replace_all(text, "$1").into_owned(),
        None => text.to_owned(),
    }
}

/// When the certificate (PEM) expires, read from its DER `validity`.
pub fn cert_not_after(pem: &[u8]) -> Option<String> {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem).ok()?;
    let (_, cert, _) = tlv(&der)?;
    let (_, tbs, _) = tlv(cert)?;
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag != 0xA0 {
        rest = tbs; // no version field
    }
    for _ in 0..3 {
        // serial, signature algorithm, issuer
        rest = tlv(rest)?.2;
    }
    let (_, validity, _) = tlv(rest)?;
    let (_, _, after) = tlv(validity)?;
    let (tag, value, _) = tlv(after)?;
    let text = std::str::from_utf8(value).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let d = |r: std::ops::Range<usize>| rest.get(r);
    Some(format!(
        "{year}-{}-{} {}:{}:{} UTC",
        d(0..2)?,
        d(2..4)?,
        d(4..6)?,
        d(6..8)?,
        d(8..10)?
    ))
}

/// One DER tag-length-value: (tag, value, what follows).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, start) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, b.get(start..end)?, b.get(end..)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_plain() {
        assert_eq!(
            super::plain_names(
                r#"certificate not valid for name "api.x"; certificate is only valid for IpAddress(127.0.0.1) or DnsName("localhost")"#
            ),
            r#"certificate not valid for name "api.x"; certificate is only valid for 127.0.0.1 or localhost"#
        );
    }
}
