//! `sandbox --tls`: the same API over HTTPS, as a real API server serves it. A CA made at
//! start signs the server's certificate (`127.0.0.1`, `localhost`) and one client
//! certificate (`CN=sandbox-admin, O=system:masters`); client certificates are checked
//! against that CA when presented. The API paths (`/api`, `/apis`, `/version`) want a
//! client certificate or a bearer token of the chosen [`TlsAuth`] and answer 401 otherwise,
//! as kube-apiserver does; the sandbox's own paths stay open.

use std::sync::Arc;

use axum::Router;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// How the kubeconfig the sandbox writes authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsAuth {
    /// `client-certificate-data` / `client-key-data`
    Cert,
    /// `token: sandbox-token`
    Token,
    /// an exec plugin script (written beside the kubeconfig) that counts its calls
    Exec,
}

impl std::str::FromStr for TlsAuth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cert" => Ok(TlsAuth::Cert),
            "token" => Ok(TlsAuth::Token),
            "exec" => Ok(TlsAuth::Exec),
            _ => Err(format!("unknown --auth {s:?}: cert, token or exec")),
        }
    }
}

/// The bearer token of `--auth token`.
pub const TOKEN: &str = "sandbox-token";
/// The prefix of the tokens the exec plugin prints (`sandbox-exec-N`, N its call).
pub const EXEC_TOKEN_PREFIX: &str = "sandbox-exec-";

/// The certificates of one run (PEM).
#[derive(Clone)]
pub struct TlsMaterial {
    pub ca_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// The same client, with a certificate that expired on 2020-01-01 (for error tests).
    pub expired_client_cert_pem: String,
    pub expired_client_key_pem: String,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

fn err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("sandbox TLS: {e}"))
}

pub(crate) fn generate() -> std::io::Result<TlsMaterial> {
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "flightdeck-sandbox-ca");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).map_err(err)?;

    let server_key = KeyPair::generate().map_err(err)?;
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(err)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "flightdeck-sandbox");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server.signed_by(&server_key, &ca).map_err(err)?;

    let client_key = KeyPair::generate().map_err(err)?;
    let mut client = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    client
        .distinguished_name
        .push(DnType::CommonName, "sandbox-admin");
    client
        .distinguished_name
        .push(DnType::OrganizationName, "system:masters");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client.signed_by(&client_key, &ca).map_err(err)?;
    let expired_key = KeyPair::generate().map_err(err)?;
    client.not_before = rcgen::date_time_ymd(2019, 1, 1);
    client.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let expired_cert = client.signed_by(&expired_key, &ca).map_err(err)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).map_err(err)?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(err)?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert.der().clone(), ca.der().clone()], key)
        .map_err(err)?;
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
        expired_client_cert_pem: expired_cert.pem(),
        expired_client_key_pem: expired_key.serialize_pem(),
        server: Arc::new(server),
    })
}

fn is_api(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path == "/apis"
        || path.starts_with("/apis/")
        || path == "/version"
}

fn token_ok(headers: &http::HeaderMap, auth: TlsAuth) -> bool {
    let Some(token) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    match auth {
        TlsAuth::Exec => token.starts_with(EXEC_TOKEN_PREFIX),
        TlsAuth::Token | TlsAuth::Cert => token == TOKEN,
    }
}

fn unauthorized() -> http::Response<axum::body::Body> {
    let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;
    let mut r = http::Response::new(axum::body::Body::from(body));
    *r.status_mut() = http::StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// Serves `app` over TLS on `listener` until the task is aborted.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: TlsMaterial,
    auth: TlsAuth,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server.clone());
    while let Ok((tcp, _peer)) = listener.accept().await {
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let has_cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|c| !c.is_empty());
            let svc =
                hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        if is_api(req.uri().path()) && !has_cert && !token_ok(req.headers(), auth) {
                            return Ok::<_, std::convert::Infallible>(unauthorized());
                        }
                        use tower::ServiceExt;
                        app.oneshot(req.map(axum::body::Body::new)).await
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

/// `bytes` in standard base64 (kubeconfig `*-data` fields).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The exec plugin script of `--auth exec`: appends a line to `calls` per run and prints
/// an ExecCredential with `sandbox-exec-N` valid for `lifetime_secs`.
pub fn exec_plugin_script(calls: &std::path::Path, lifetime_secs: u64) -> String {
    let calls = calls.display().to_string().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n# written by flightdeck sandbox --tls --auth exec: counts its calls in {calls}\necho call >> '{calls}'\nn=$(wc -l < '{calls}' | tr -d ' ')\nexp=$(date -u -d \"@$(( $(date +%s) + {lifetime_secs} ))\" +%Y-%m-%dT%H:%M:%SZ)\nprintf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{EXEC_TOKEN_PREFIX}%s\",\"expirationTimestamp\":\"%s\"}}}}\\n' \"$n\" \"$exp\"\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
