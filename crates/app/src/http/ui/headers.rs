//! Security headers of every page: a strict Content-Security-Policy (scripts and styles from
//! this origin only, no eval, no framing), no MIME sniffing, and a tight referrer policy.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'";

/// Adds the security headers to a response's headers.
pub fn apply(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Middleware: the security headers on every UI response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    apply(res.headers_mut());
    res
}

/// Middleware: a form posted from another site (by its `Origin` or `Sec-Fetch-Site`) is refused
/// with 403, which protects the sign-in forms that have no session token yet.
pub async fn same_origin_posts(req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST && cross_site(req.headers()) {
        return super::errors::page(
            axum::http::StatusCode::FORBIDDEN,
            "This form was sent from another site and was refused.",
        );
    }
    next.run(req).await
}

fn cross_site(h: &HeaderMap) -> bool {
    if h.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return true;
    }
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn posts_from_another_site_are_cross_site() {
        assert!(cross_site(&headers(&[
            ("host", "a.test"),
            ("origin", "https://evil.test")
        ])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&headers(&[
            ("host", "a.test:8000"),
            ("origin", "http://a.test:8000")
        ])));
        assert!(!cross_site(&headers(&[("host", "a.test")])));
    }
}
