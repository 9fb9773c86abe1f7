//! Server-side AWS Signature Version 4: the server recomputes a request's signature from the
//! request and the secret of the key it names, and compares the two in constant time.
//!
//! The steps are AWS's (the canonical request, the string to sign, the derived signing key);
//! the errors are the ones AWS's JSON services answer with.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name clients sign Step Functions requests for.
const SERVICE: &str = "states";
/// How far a request's time may be from the server's, either way.
const MAX_SKEW: TimeDelta = TimeDelta::minutes(15);
/// `X-Amz-Date`'s format.
const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

/// The operator's credentials: access key id -> secret access key.
#[derive(Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: a secret never reaches a log.
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Credentials")
            .field("access_key_ids", &ids)
            .finish()
    }
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, access_key_id: String, secret_access_key: String) {
        self.keys.insert(access_key_id, secret_access_key);
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys may call.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether `secret` is the secret of `access_key_id`, compared in constant time (HTTP Basic
    /// in the console).
    pub fn check_secret(&self, access_key_id: &str, secret: &str) -> bool {
        match self.keys.get(access_key_id) {
            Some(known) => constant_time_eq(known.as_bytes(), secret.as_bytes()),
            None => {
                // As long as a comparison, so that timing does not tell which ids exist.
                let _ = constant_time_eq(secret.as_bytes(), secret.as_bytes());
                false
            }
        }
    }

    /// Reads `[{"accessKeyId": "...", "secretAccessKey": "..."}]`.
    pub fn from_json(text: &str) -> Result<Credentials, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let Some(items) = value.as_array() else {
            return Err(
                "expected a list: [{\"accessKeyId\": \"...\", \"secretAccessKey\": \"...\"}]"
                    .into(),
            );
        };
        let mut credentials = Credentials::default();
        for (i, item) in items.iter().enumerate() {
            let field = |name: &str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| format!("entry {i} has no `{name}` string"))
            };
            let id = field("accessKeyId")?;
            let secret = field("secretAccessKey")?;
            if id.chars().any(|c| c.is_whitespace() || c == '/') {
                return Err(format!(
                    "entry {i}: the access key id '{id}' may not contain spaces or '/'"
                ));
            }
            if credentials.keys.insert(id.clone(), secret).is_some() {
                return Err(format!("the access key id '{id}' appears twice"));
            }
        }
        if credentials.is_empty() {
            return Err("the list is empty; give at least one key".into());
        }
        Ok(credentials)
    }
}

/// Why a request's signature is refused, as AWS says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    MissingAuthenticationToken,
    /// The access key id is not one of the operator's.
    UnrecognizedClient,
    /// The `Authorization` header lacks parts or is malformed.
    IncompleteSignature(String),
    /// The signature, its scope or its time is wrong.
    InvalidSignature(String),
}

impl AuthError {
    /// AWS's error code, e.g. "InvalidSignatureException".
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
        }
    }

    /// AWS's message text.
    pub fn message(&self) -> String {
        match self {
            AuthError::MissingAuthenticationToken => "Missing Authentication Token".into(),
            AuthError::UnrecognizedClient => {
                "The security token included in the request is invalid.".into()
            }
            AuthError::IncompleteSignature(m) | AuthError::InvalidSignature(m) => m.clone(),
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::MissingAuthenticationToken => 403,
            _ => 400,
        }
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug)]
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, AuthError> {
    let Some(rest) = header.strip_prefix(ALGORITHM) else {
        let algorithm = header.split_whitespace().next().unwrap_or("");
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported signing algorithm '{algorithm}'; requests must be signed with \
             {ALGORITHM} (Signature Version 4)"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(AuthError::IncompleteSignature(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential '{credential}' must have the form \
             ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request"
        )));
    };
    if terminator != "aws4_request" {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not \
             '{terminator}'."
        )));
    }
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

/// Verifies a request's `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/states/
/// aws4_request, SignedHeaders=..., Signature=...` header against `credentials`, using
/// `X-Amz-Date`, the body's SHA-256, and the canonical URI, query and headers as SigV4 defines
/// them. Returns the access key id.
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    credentials: &Credentials,
    now: DateTime<Utc>,
) -> Result<String, AuthError> {
    let Some(header) = headers.get("authorization") else {
        return Err(AuthError::MissingAuthenticationToken);
    };
    let header = header.to_str().map_err(|_| {
        AuthError::IncompleteSignature("the Authorization header is not ASCII".into())
    })?;
    let auth = parse_authorization(header)?;
    if auth.service != SERVICE {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    let Some(secret) = credentials.keys.get(auth.access_key_id) else {
        return Err(AuthError::UnrecognizedClient);
    };
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AuthError::IncompleteSignature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
                 header."
                    .into(),
            )
        })?;
    let time = NaiveDateTime::parse_from_str(amz_date, AMZ_DATE)
        .map(|t| t.and_utc())
        .map_err(|_| {
            AuthError::IncompleteSignature(format!(
                "X-Amz-Date '{amz_date}' must have the form YYYYMMDDTHHMMSSZ"
            ))
        })?;
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..amz_date.len().min(8)]
        )));
    }
    let stamp = |t: DateTime<Utc>| t.format(AMZ_DATE).to_string();
    if time < now - MAX_SKEW {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            stamp(now - MAX_SKEW),
            stamp(now)
        )));
    }
    if time > now + MAX_SKEW {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            stamp(now + MAX_SKEW),
            stamp(now)
        )));
    }
    if !auth.signed_headers.contains(&"host") {
        return Err(AuthError::InvalidSignature(
            "'Host' must be a signed header.".into(),
        ));
    }
    let payload_hash = hex(&Sha256::digest(body));
    if let Some(declared) = headers.get("x-amz-content-sha256") {
        let declared = declared.to_str().unwrap_or("");
        if declared != payload_hash {
            return Err(AuthError::InvalidSignature(format!(
                "The provided 'x-amz-content-sha256' header does not match what was computed \
                 ('{declared}'); the body must be signed."
            )));
        }
    }
    let canonical = canonical_request(method, uri, headers, &auth.signed_headers, &payload_hash)?;
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let to_sign = string_to_sign(amz_date, &scope, &canonical);
    let key = signing_key(secret, auth.date, auth.region, auth.service);
    let given = unhex(auth.signature).ok_or_else(|| {
        AuthError::InvalidSignature("The signature must be 64 hexadecimal digits.".into())
    })?;
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&given).map_err(|_| {
        AuthError::InvalidSignature(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
                .into(),
        )
    })?;
    Ok(auth.access_key_id.to_string())
}

/// SigV4's canonical request.
fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[&str],
    payload_hash: &str,
) -> Result<String, AuthError> {
    let mut out = String::new();
    out.push_str(method.as_str());
    out.push('\n');
    out.push_str(&canonical_uri(uri.path()));
    out.push('\n');
    out.push_str(&canonical_query(uri.query().unwrap_or("")));
    out.push('\n');
    let mut names: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    names.sort();
    for name in &names {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        if values.is_empty() {
            return Err(AuthError::InvalidSignature(format!(
                "The signed header '{name}' is not in the request."
            )));
        }
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, service);
    hmac(&k_service, "aws4_request")
}

/// The path, each segment URI-encoded (services other than S3 encode the path as sent again).
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// The query's parameters, decoded, re-encoded and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 encoding: everything but unreserved characters as `%XX`, upper case.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A header value trimmed, with runs of spaces inside collapsed to one.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const KEY_ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// AWS's documented example: IAM's `ListUsers`, signed on 2015-08-30 at 12:36:00.
    #[test]
    fn aws_published_example() {
        let uri: Uri = "/?Action=ListUsers&Version=2010-05-08".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        let canonical = canonical_request(
            &Method::GET,
            &uri,
            &headers,
            &["content-type", "host", "x-amz-date"],
            &hex(&Sha256::digest(b"")),
        )
        .unwrap();
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let to_sign = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            &canonical,
        );
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        assert_eq!(
            hex(&hmac(&key, &to_sign)),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    fn now() -> DateTime<Utc> {
        NaiveDateTime::parse_from_str("20261125T101500Z", AMZ_DATE)
            .unwrap()
            .and_utc()
    }

    fn credentials() -> Credentials {
        let mut c = Credentials::new();
        c.insert(KEY_ID.into(), SECRET.into());
        c
    }

    /// A request signed as an AWS SDK signs it (our own small signer).
    fn signed(body: &str, secret: &str, at: DateTime<Utc>, service: &str) -> HeaderMap {
        let amz_date = at.format(AMZ_DATE).to_string();
        let date = &amz_date[..8];
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8083"));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSStepFunctions.ListStateMachines"),
        );
        headers.insert("x-amz-date", HeaderValue::from_str(&amz_date).unwrap());
        let names = ["content-type", "host", "x-amz-date", "x-amz-target"];
        let canonical = canonical_request(
            &Method::POST,
            &"/".parse().unwrap(),
            &headers,
            &names,
            &hex(&Sha256::digest(body.as_bytes())),
        )
        .unwrap();
        let scope = format!("{date}/us-east-1/{service}/aws4_request");
        let signature = hex(&hmac(
            &signing_key(secret, date, "us-east-1", service),
            &string_to_sign(&amz_date, &scope, &canonical),
        ));
        let auth = format!(
            "{ALGORITHM} Credential={KEY_ID}/{scope}, SignedHeaders={}, Signature={signature}",
            names.join(";")
        );
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        headers
    }

    fn check(headers: &HeaderMap, body: &str) -> Result<String, AuthError> {
        verify(
            &Method::POST,
            &"/".parse().unwrap(),
            headers,
            body.as_bytes(),
            &credentials(),
            now(),
        )
    }

    #[test]
    fn a_signed_request_passes() {
        let headers = signed("{}", SECRET, now(), "states");
        assert_eq!(check(&headers, "{}").unwrap(), KEY_ID);
        // Clocks may differ by up to 15 minutes.
        let early = signed("{}", SECRET, now() - TimeDelta::minutes(14), "states");
        assert!(check(&early, "{}").is_ok());
    }

    #[test]
    fn wrong_secret_unknown_key_and_missing_header_are_refused() {
        let wrong = signed("{}", "not-the-secret", now(), "states");
        let err = check(&wrong, "{}").unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert!(
            err.message().contains("does not match"),
            "{}",
            err.message()
        );

        let mut stranger = signed("{}", SECRET, now(), "states");
        let auth = stranger["authorization"]
            .to_str()
            .unwrap()
            .replace(KEY_ID, "AKIDSTRANGER");
        stranger.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert_eq!(
            check(&stranger, "{}").unwrap_err(),
            AuthError::UnrecognizedClient
        );

        let mut bare = signed("{}", SECRET, now(), "states");
        bare.remove("authorization");
        assert_eq!(
            check(&bare, "{}").unwrap_err(),
            AuthError::MissingAuthenticationToken
        );
    }

    #[test]
    fn tampering_is_detected() {
        let headers = signed("{}", SECRET, now(), "states");
        let err = check(&headers, "{\"maxResults\": 1}").unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        let mut retargeted = headers.clone();
        retargeted.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSStepFunctions.DeleteStateMachine"),
        );
        assert_eq!(
            check(&retargeted, "{}").unwrap_err().code(),
            "InvalidSignatureException"
        );
        let mut declared = headers.clone();
        declared.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
        assert_eq!(
            check(&declared, "{}").unwrap_err().code(),
            "InvalidSignatureException"
        );
    }

    #[test]
    fn times_scopes_and_services_are_checked() {
        let old = signed("{}", SECRET, now() - TimeDelta::minutes(16), "states");
        let err = check(&old, "{}").unwrap_err();
        assert!(
            err.message().starts_with("Signature expired"),
            "{}",
            err.message()
        );
        let future = signed("{}", SECRET, now() + TimeDelta::minutes(16), "states");
        let err = check(&future, "{}").unwrap_err();
        assert!(
            err.message().starts_with("Signature not yet current"),
            "{}",
            err.message()
        );

        let mut scoped = signed("{}", SECRET, now(), "states");
        let auth = scoped["authorization"]
            .to_str()
            .unwrap()
            .replace("/20261125/", "/20261124/");
        scoped.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        let err = check(&scoped, "{}").unwrap_err();
        assert!(
            err.message().contains("Credential scope"),
            "{}",
            err.message()
        );

        let lambda = signed("{}", SECRET, now(), "lambda");
        let err = check(&lambda, "{}").unwrap_err();
        assert!(err.message().contains("'states'"), "{}", err.message());

        let mut partial = signed("{}", SECRET, now(), "states");
        partial.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/states/aws4_request",
            ),
        );
        let err = check(&partial, "{}").unwrap_err();
        assert_eq!(err.code(), "IncompleteSignatureException");
        assert!(err.message().contains("'Signature'"), "{}", err.message());
    }

    #[test]
    fn credentials_files_and_basic_secrets() {
        let c = Credentials::from_json(
            r#"[{"accessKeyId": "A1", "secretAccessKey": "s1"}, {"accessKeyId": "A2", "secretAccessKey": "s2"}]"#,
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert!(c.check_secret("A1", "s1"));
        assert!(!c.check_secret("A1", "s2"));
        assert!(!c.check_secret("A3", "s1"));
        assert!(!format!("{c:?}").contains("s1"));
        for (bad, says) in [
            ("{}", "expected a list"),
            ("[]", "empty"),
            (r#"[{"accessKeyId": "A"}]"#, "secretAccessKey"),
            ("nope", "not valid JSON"),
            (
                r#"[{"accessKeyId": "A", "secretAccessKey": "1"}, {"accessKeyId": "A", "secretAccessKey": "2"}]"#,
                "twice",
            ),
        ] {
            let err = Credentials::from_json(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn query_and_path_are_canonical() {
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("k=a%20b&e="), "e=&k=a%20b");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(collapse_spaces("  a   b  "), "a b");
    }
}
