//! `workflow serve`: the AWS Step Functions API (the awsJson1_0 protocol) and a web console, over
//! an engine that hosts the executions of a durable store.
//!
//! One handler takes every request, so that the checks run in a fixed order before anything is
//! parsed: the body's size, the origin of browser requests, then the signature (SigV4 for the API,
//! HTTP Basic with the same credentials for the console). The operations are in [`api`].

pub mod api;
mod console;
pub mod sigv4;
mod test_state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub use api::{Api, ApiError};
pub use sigv4::Credentials;

/// AWS's limit on a Step Functions request, headers and body together: 1 MB. Bodies over it are
/// refused before they are read.
pub const BODY_LIMIT: usize = 1_048_576;

/// The awsJson1_0 content type.
const AWS_JSON: &str = "application/x-amz-json-1.0";
/// The target prefix of the Step Functions operations.
const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// The target prefix of the console's own operations.
const CONSOLE_PREFIX: &str = "WorkflowConsole.";

/// What the server needs besides the API.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Who may call: empty means anyone who can reach the address (loopback only).
    pub credentials: Credentials,
}

/// Refuses to listen on an address other hosts can reach unless requests are authenticated.
pub fn check_bind(addr: &SocketAddr, credentials: &Credentials) -> Result<(), String> {
    if addr.ip().is_loopback() || !credentials.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "refusing to listen on {addr} without credentials: anyone who can reach it could \
             start and stop executions. Pass --credentials FILE (SigV4 keys) or listen on a \
             loopback address such as 127.0.0.1"
        ))
    }
}

struct Shared {
    api: Arc<Api>,
    config: ServeConfig,
}

/// Serves requests on `listener` until `shutdown` completes.
pub async fn serve(
    api: Arc<Api>,
    config: ServeConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shared = Arc::new(Shared { api, config });
    let app = axum::Router::new().fallback(handle).with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(AWS_JSON));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

fn error_response(error: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &error.body(), request_id)
}

/// The one handler: see the module documentation for the order of the checks.
async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = request_id();
    let path = uri.path();
    let api_call = method == Method::POST && path == "/";
    let console_call = method == Method::POST && path == "/console/api";
    let console_page = method == Method::GET
        && (path == "/" || path == "/index.html" || path.starts_with("/console/"));
    if !(api_call || console_call || console_page) {
        let error = ApiError {
            status: 404,
            code: "UnknownOperationException".into(),
            message: format!(
                "{method} {path} is not served here: the API takes POST / (awsJson1_0), the \
                 console is at GET /"
            ),
        };
        return error_response(&error, &request_id);
    }
    // The size first, from the header, then while reading.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large(&request_id);
    }
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return too_large(&request_id),
    };
    // A page elsewhere must not drive the server through the visitor's browser.
    if let Some(origin) = headers.get(header::ORIGIN)
        && !same_origin(origin, &headers)
    {
        let error = ApiError {
            status: 403,
            code: "AccessDeniedException".into(),
            message: "cross-origin requests are not accepted".into(),
        };
        return error_response(&error, &request_id);
    }
    if console_page || console_call {
        if let Err(response) = console_auth(&shared.config.credentials, &headers) {
            return *response;
        }
        if console_page {
            return console_asset(path);
        }
    } else if !shared.config.credentials.is_empty()
        && let Err(error) = sigv4::verify(
            &method,
            &uri,
            &headers,
            &body,
            &shared.config.credentials,
            chrono::Utc::now(),
        )
    {
        let error = ApiError {
            status: error.status(),
            code: error.code().to_string(),
            message: error.message(),
        };
        return error_response(&error, &request_id);
    }
    let answer = call(&shared.api, &headers, &body, console_call).await;
    match answer {
        Ok(value) => json_response(StatusCode::OK, &value, &request_id),
        Err(error) => error_response(&error, &request_id),
    }
}

/// Dispatches an API (or console) call by its `X-Amz-Target`.
async fn call(
    api: &Api,
    headers: &HeaderMap,
    body: &Bytes,
    console: bool,
) -> Result<Value, ApiError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                "SerializationException",
                format!("the request body is not valid JSON: {e}"),
            )
        })?
    };
    if let Some(operation) = target.strip_prefix(TARGET_PREFIX) {
        api.call(operation, &request).await
    } else if let Some(operation) = target.strip_prefix(CONSOLE_PREFIX)
        && console
    {
        api.console_call(operation, &request).await
    } else {
        Err(ApiError::new(
            "UnknownOperationException",
            format!(
                "the X-Amz-Target header must name an operation as \
                 'AWSStepFunctions.<Operation>'; got '{target}'"
            ),
        ))
    }
}

fn too_large(request_id: &str) -> Response {
    let error = ApiError {
        status: 413,
        code: "RequestEntityTooLargeException".into(),
        message: format!("Request size exceeds {BODY_LIMIT} bytes"),
    };
    error_response(&error, request_id)
}

/// A request id in AWS's shape (a random UUID), echoed in `x-amzn-RequestId`.
fn request_id() -> String {
    crate::expr::intrinsic::func::uuid_v4(&mut || fastrand::u64(..))
}

/// Whether a browser's `Origin` is the server itself.
fn same_origin(origin: &HeaderValue, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// The console's check: open without credentials; with them, HTTP Basic with an access key id
/// and its secret (the browser asks once and remembers).
fn console_auth(credentials: &Credentials, headers: &HeaderMap) -> Result<(), Box<Response>> {
    if credentials.is_empty() {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| decode_base64(b64.trim()))
        .and_then(|raw| String::from_utf8(raw).ok());
    if let Some(pair) = given
        && let Some((id, secret)) = pair.split_once(':')
        && credentials.check_secret(id, secret)
    {
        return Ok(());
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "sign in with an access key id (user name) and its secret access key (password)",
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"workflow console\", charset=\"UTF-8\""),
    );
    Err(Box::new(response))
}

fn console_asset(path: &str) -> Response {
    let name = path
        .strip_prefix("/console/")
        .or_else(|| path.strip_prefix('/'))
        .unwrap_or("");
    match console::asset(name) {
        Some((content_type, bytes)) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                ),
            );
            headers.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None => (StatusCode::NOT_FOUND, format!("no console asset '{name}'")).into_response(),
    }
}

/// Standard base64 (RFC 4648, with padding), as HTTP Basic uses it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(c)? };
            n = (n << 6) | v;
        }
        let group = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&group[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_basic_credentials() {
        assert_eq!(decode_base64("QUtJRDpzZWNyZXQ=").unwrap(), b"AKID:secret");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert_eq!(decode_base64("YWJj").unwrap(), b"abc");
        assert!(decode_base64("YWJ").is_none());
        assert!(decode_base64("Y!Jj").is_none());
    }

    #[test]
    fn binding_beyond_loopback_needs_credentials() {
        let open = Credentials::default();
        assert!(check_bind(&"127.0.0.1:8083".parse().unwrap(), &open).is_ok());
        assert!(check_bind(&"[::1]:8083".parse().unwrap(), &open).is_ok());
        let refused = check_bind(&"0.0.0.0:8083".parse().unwrap(), &open).unwrap_err();
        assert!(refused.contains("--credentials"), "{refused}");
        let mut keys = Credentials::default();
        keys.insert("AKID".into(), "secret".into());
        assert!(check_bind(&"0.0.0.0:8083".parse().unwrap(), &keys).is_ok());
    }
}
