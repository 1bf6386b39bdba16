//! Body and query extractors whose failures are problem documents naming the field: 415 for a
//! non-JSON body, 413 for an oversized one, 400 for malformed JSON, 422 for a wrong type or a
//! missing field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// A JSON body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// A query string.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

/// Path parameters; an unparsable one (such as an id that is not a UUID) names no resource: a
/// 404 saying which parameter and why, as for an id that does not exist.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| AppError::NoSuchPath(format!("no such resource: {}", e.body_text())))
    }
}

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Turns a path-aware serde error into 422 (data) or 400 (syntax).
fn deserialize_error(path: String, inner: String, is_data: bool, root: &str) -> AppError {
    if !is_data {
        return AppError::BadRequest(format!("malformed {root}: {inner}"));
    }
    let field = if let Some(rest) = inner.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    } else if let Some(rest) = inner.strip_prefix("unknown field `")
        && path == "."
    {
        // Elsewhere the path already ends with the unknown field.
        rest.split('`').next().unwrap_or_default().to_owned()
    } else if path == "." {
        root.to_owned()
    } else {
        path
    };
    let message = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
    AppError::invalid(&field, message)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(ct) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest("could not read the request body".into())
            }
        })?;
        reject_nul_in_body(&bytes)?;
        // Every request body of the API is one JSON object: an array or a scalar (which serde
        // would happily read into a struct of defaults) is refused, like anything after it.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(AppError::BadRequest(
                "malformed body: expected one JSON object".into(),
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let parsed = serde_path_to_error::deserialize(&mut *de);
        if parsed.is_ok() && de.end().is_err() {
            return Err(AppError::BadRequest(
                "malformed body: trailing data after the JSON object".into(),
            ));
        }
        match parsed {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let is_data = inner.classify() == serde_json::error::Category::Data;
                Err(deserialize_error(path, inner.to_string(), is_data, "body"))
            }
        }
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((key, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(AppError::invalid(&key.replace('\0', ""), NUL_MESSAGE));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                deserialize_error(path, e.into_inner().to_string(), true, "query")
            })
    }
}

const NUL_MESSAGE: &str = "must not contain NUL characters";

/// Text with U+0000 cannot be stored by PostgreSQL; refuse it up front, naming the field. Valid
/// JSON can only carry it as the escape `\u0000`, so bodies without that sequence skip the walk.
fn reject_nul_in_body(bytes: &[u8]) -> Result<(), AppError> {
    if !bytes.windows(6).any(|w| w == br"\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(()); // malformed JSON: the real parse reports it
    };
    match nul_path(&value, String::new()) {
        Some(path) => Err(AppError::invalid(
            if path.is_empty() { "body" } else { &path },
            NUL_MESSAGE,
        )),
        None => Ok(()),
    }
}

/// The dotted path of the first string or key containing U+0000.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_path(v, join(k))
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_found_with_their_path() {
        let body = br#"{"name": "ok", "criteria": {"keywords": ["tv", "a\u0000b"]}}"#;
        match reject_nul_in_body(body) {
            Err(AppError::Validation(v)) => assert_eq!(v.errors[0].field, "criteria.keywords[1]"),
            other => panic!("{other:?}"),
        }
        assert!(
            reject_nul_in_body(br#"{"name": "a\\u0000"}"#).is_ok(),
            "an escaped backslash is not NUL"
        );
        assert!(reject_nul_in_body(br#"{"name": "plain"}"#).is_ok());
    }

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        match deserialize_error(
            ".".into(),
            "missing field `email` at line 1 column 2".into(),
            true,
            "body",
        ) {
            AppError::Validation(v) => {
                assert_eq!(v.errors[0].field, "email");
                assert_eq!(v.errors[0].message, "missing field `email`");
            }
            other => panic!("{other:?}"),
        }
        match deserialize_error(
            "criteria.max_prce".into(),
            "unknown field `max_prce`, expected one of".into(),
            true,
            "body",
        ) {
            AppError::Validation(v) => assert_eq!(v.errors[0].field, "criteria.max_prce"),
            other => panic!("{other:?}"),
        }
        match deserialize_error(
            ".".into(),
            "unknown field `nmae`, expected one of".into(),
            true,
            "body",
        ) {
            AppError::Validation(v) => assert_eq!(v.errors[0].field, "nmae"),
            other => panic!("{other:?}"),
        }
    }
}
