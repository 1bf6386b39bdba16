//! Static assets (stylesheet, htmx 2.0.11 and its ws extension, the small live-update script),
//! embedded in the binary and served under a content-hash query with a one-year immutable cache.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../static/app.css"),
    },
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../static/app.js"),
    },
    Asset {
        name: "htmx-2.0.11.min.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../static/htmx-2.0.11.min.js"),
    },
    Asset {
        name: "htmx-ext-ws-2.0.4.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../static/htmx-ext-ws-2.0.4.js"),
    },
];

/// The versioned URLs of the assets, as the layout links them.
#[derive(Debug)]
pub struct AssetUrls {
    /// Stylesheet.
    pub css: String,
    /// Live-update script.
    pub js: String,
    /// htmx.
    pub htmx: String,
    /// htmx WebSocket extension.
    pub ws: String,
}

fn versioned(name: &str) -> String {
    let bytes = ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.bytes)
        .unwrap_or_default();
    let hash = hex::encode(Sha256::digest(bytes));
    format!("/static/{name}?v={}", &hash[..12])
}

/// The asset URLs, hashed once.
pub static URLS: LazyLock<AssetUrls> = LazyLock::new(|| AssetUrls {
    css: versioned("app.css"),
    js: versioned("app.js"),
    htmx: versioned("htmx-2.0.11.min.js"),
    ws: versioned("htmx-ext-ws-2.0.4.js"),
});

/// `GET /static/{name}`: an embedded asset, cached for a year (its URL changes with its bytes).
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.mime)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.bytes,
    )
        .into_response()
}
