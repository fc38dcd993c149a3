//! A secret string (a GitHub token, for now) whose `Debug` and `Display` never show it, so
//! it cannot reach a log line, an error message or the audit log by accident. Only the
//! client that sends it calls [`Token::expose`].
//!
//! Secrets we never held can still arrive inside text: a kubeconfig's parse error quotes the
//! file around the bad line, a server echoes a request header in its error body. Every
//! such text passes [`redact`] before it becomes an error message or a log line.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use regex::{Captures, Regex};

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `None` for an empty or blank secret (an unset variable is not a token).
    pub fn new(secret: impl Into<String>) -> Option<Token> {
        let s: String = secret.into();
        let s = s.trim();
        (!s.is_empty()).then(|| Token(s.to_owned()))
    }

    /// The secret itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What a redacted value reads as.
pub const REDACTED: &str = "<redacted>";

/// `text` with anything that looks like a credential replaced by `<redacted>`: PEM blocks;
/// the value after a key named like a secret (`token`, `id-token`, `password`, `secret`,
/// `client-key-data`, `client-certificate-data`, `api_key`, … followed by `:` or `=`, as in
/// YAML, TOML, JSON, query strings and headers); `Authorization:` values and
/// `Bearer …`; well-known token shapes wherever they stand (`ghp_`, `gho_`, `ghu_`, `ghs_`,
/// `ghr_`, `github_pat_`, `sk_live_`/`sk_test_`, `xox?-`, `glpat-`, JWTs); and long base64
/// runs (key or certificate data quoted without its key). Borrows when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (re, with) in RULES.iter() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *with).into_owned());
        }
    }
    if LONG_BASE64.is_match(&out) {
        out = Cow::Owned(
            LONG_BASE64
                .replace_all(&out, |c: &Captures<'_>| {
                    let run = &c[0];
                    if looks_like_key_material(run) {
                        REDACTED.to_owned()
                    } else {
                        run.to_owned()
                    }
                })
                .into_owned(),
        );
    }
    out
}

/// (pattern, replacement) in order: whole blocks first, then key/value pairs, then shapes.
static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let rules: [(&str, &'static str); 9] = [
        // PEM blocks (a private key pasted inline), to their END line or the end of the text
        (
            r"-----BEGIN [A-Z0-9 ]+-----(?s:.*?)(?:-----END [A-Z0-9 ]+-----|\z)",
            "<redacted PEM block>",
        ),
        // a URL's userinfo password: http://user:password@host → http://user:<redacted>@host
        (
            r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@",
            "${1}<redacted>@",
        ),
        // JSON quoted inside a message (`{\"token\":\"x\"}`, an exec plugin's output
        // in an error's Debug text): the escaped value goes
        (
            r#"(?i)((?:token|password|secret|api[-_]?key|credentials?)\\"[ \t]*:[ \t]*\\")(?:[^"\\]|\\[^"])*\\""#,
            "${1}<redacted>\\\"",
        ),
        // Authorization: Bearer xyz / authorization=xyz / "Authorization": "token xyz"
        (
            r#"(?i)(\bauthorization["']?[ \t]*[:=][ \t]*["']?(?:[a-z]+[ \t]+)?)[^\s"',;]+"#,
            "${1}<redacted>",
        ),
        (r"(?i)(\bbearer[ \t]+)[A-Za-z0-9._~+/=-]+", "${1}<redacted>"),
        // token: x / "password": "x" / client-key-data: x / api_key=x / ?access_token=x
        (
            r#"(?i)((?:\b|_|-)(?:[a-z0-9]+[-_.])*(?:token|password|passwd|secret|client-key-data|client-certificate-data|api[-_]?key|private[-_]?key|credentials?)["']?[ \t]*[:=][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s"',;&}\])]+)"#,
            "${1}<redacted>",
        ),
        // a credential-looking word after the word itself: "current token Zx81…"
        (
            r"(?i)(\b(?:token|password|secret)[ \t]+)([A-Za-z0-9._~+/=-]*[0-9][A-Za-z0-9._~+/=-]*[A-Za-z][A-Za-z0-9._~+/=-]*|[A-Za-z0-9._~+/=-]*[A-Za-z][A-Za-z0-9._~+/=-]*[0-9][A-Za-z0-9._~+/=-]*)",
            "${1}<redacted>",
        ),
        // well-known token shapes, wherever they stand
        (
            r"\b(?:gh[pousr]_|github_pat_|sk_live_|sk_test_|rk_live_|rk_test_|xox[abposr]-|glpat-)[A-Za-z0-9_-]+",
            "<redacted>",
        ),
        // JSON Web Tokens (service-account and OIDC id tokens)
        (
            r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*",
            "<redacted>",
        ),
    ];
    rules
        .into_iter()
        .map(|(re, with)| (Regex::new(re).expect("a constant pattern"), with))
        .collect()
});

static LONG_BASE64: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{48,}={0,2}").expect("a constant pattern"));

/// A long base64 run is key material when it mixes upper case, lower case and digits
/// (hex digests do not) and is not a path (a path's segments between `/` are short; in
/// random base64 a `/` comes once in 64 characters).
fn looks_like_key_material(run: &str) -> bool {
    run.bytes().any(|b| b.is_ascii_uppercase())
        && run.bytes().any(|b| b.is_ascii_lowercase())
        && run.bytes().any(|b| b.is_ascii_digit())
        && run.split('/').any(|seg| seg.len() >= 32)
}

#[cfg(test)]
mod tests {
    use super::{Token, redact};

    #[test]
    fn never_printed() {
        let t = Token::new(" ghp_secret \n").expect("a token");
        assert_eq!(t.expose(), "ghp_secret");
        assert!(!format!("{t} {t:?}").contains("ghp_secret"));
        assert_eq!(Token::new("  "), None);
    }

    #[test]
    fn credentials_in_text_are_redacted() {
        let cases = [
            ("    token: sk_live_abcdef123456", "    token: <redacted>"),
            ("5 |     token: abc.def-123", "5 |     token: <redacted>"),
            (
                r#"{"token":"s3cr3t","ok":1}"#,
                r#"{"token":<redacted>,"ok":1}"#,
            ),
            (
                "url?access_token=abc&x=1",
                "url?access_token=<redacted>&x=1",
            ),
            ("password = \"hunter2\"", "password = <redacted>"),
            ("id-token: xyz", "id-token: <redacted>"),
            ("client-key-data: LS0tLS1C", "client-key-data: <redacted>"),
            (
                "Authorization: Bearer abc.def",
                "Authorization: Bearer <redacted>",
            ),
            (
                "authorization: token ghx",
                "authorization: token <redacted>",
            ),
            ("sent bearer abcdef", "sent bearer <redacted>"),
            (
                "bad credentials ghp_AbC123xyz!",
                "bad credentials <redacted>!",
            ),
            ("github_pat_11AB_cd and gho_x", "<redacted> and <redacted>"),
            (
                "GET http://admin:hunter2@prom:9090/api/v1/query: HTTP 502",
                "GET http://admin:<redacted>@prom:9090/api/v1/query: HTTP 502",
            ),
            ("https://user@host/x", "https://user@host/x"),
            (
                r#"exec plugin failed: stdout {\"status\":{\"token\":\"k8s-aws-v1.abc\"}}"#,
                r#"exec plugin failed: stdout {\"status\":{\"token\":\"<redacted>\"}}"#,
            ),
            (
                "the current token Zx81kq9PLm is not valid",
                "the current token <redacted> is not valid",
            ),
            ("token expired at 10:00", "token expired at 10:00"),
            (
                "Authorization: Basic dXNlcjpwYXNz",
                "Authorization: Basic <redacted>",
            ),
            ("x eyJhbGciOi.eyJzdWIiOi.c2ln y", "x <redacted> y"),
            (
                "k: -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end",
                "k: <redacted PEM block> end",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
        let b64 =
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=";
        assert_eq!(
            redact(&format!("invalid \"{b64}\"")),
            "invalid \"<redacted>\""
        );
    }

    #[test]
    fn ordinary_text_is_kept() {
        for text in [
            "unknown field `token`, expected one of `repo`, `api_url`, `token_env`",
            "token_env = \"GITHUB_TOKEN\"",
            "line 6 column 8: unclosed bracket '['",
            "GET /apis/apps/v1/namespaces/shop/deployments/checkout: 404 Not Found",
            "image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "/repos/AcmeCorp/checkout/actions/runs/1234567890/pending_deployments",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
