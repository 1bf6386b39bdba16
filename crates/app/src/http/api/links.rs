//! Product links of listings, for administrators: which product a listing is linked to and
//! by which rule and score, and undoing the link.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use deals_store::repo::links::ListingLink;
use deals_store::rows::Product;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::http::error::{AppError, Problem};
use crate::http::extract::ApiPath;
use crate::state::AppState;

/// A canonical product.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedProductOut {
    /// Id.
    pub id: Uuid,
    /// Title as first seen.
    pub title: String,
    /// Brand, lower case.
    pub brand: Option<String>,
    /// Model name or number.
    pub model: Option<String>,
    /// GTIN (UPC/EAN).
    pub gtin: Option<String>,
    /// Manufacturer part number.
    pub mpn: Option<String>,
}

impl From<Product> for LinkedProductOut {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            title: p.title,
            brand: p.brand,
            model: p.model,
            gtin: p.gtin,
            mpn: p.mpn,
        }
    }
}

/// A listing's product link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingLinkOut {
    /// The listing.
    pub listing_id: Uuid,
    /// Its market.
    pub market: String,
    /// Its title.
    pub title: String,
    /// The product it is linked to; `null` when unlinked.
    pub product: Option<LinkedProductOut>,
    /// The rule that linked it: `gtin`, `brand_mpn` or `title` (the learned model); `null`
    /// when unlinked or when the link was not made by the ingest path.
    pub rule: Option<String>,
    /// The learned model's log-odds above its threshold (≥ 0) when it made a `title` link.
    pub score: Option<f64>,
    /// When the ingest path made the link.
    pub linked_at: Option<DateTime<Utc>>,
    /// Products an administrator unlinked the listing from; it is not linked to them again.
    pub blocked_products: Vec<LinkedProductOut>,
}

impl From<ListingLink> for ListingLinkOut {
    fn from(l: ListingLink) -> Self {
        Self {
            listing_id: l.listing.id,
            market: l.listing.market,
            title: l.listing.title,
            product: l.product.map(Into::into),
            rule: l.rule.map(|r| r.as_str().to_owned()),
            score: l.score,
            linked_at: l.linked_at,
            blocked_products: l.blocked.into_iter().map(Into::into).collect(),
        }
    }
}

/// A listing's product link: the product, the rule and score that linked it, and the products
/// it was unlinked from (administrators only).
#[utoipa::path(get, path = "/api/v1/admin/listings/{listing_id}/link", operation_id = "admin_listing_link", tag = "admin", security(("bearer" = [])), params(("listing_id" = Uuid, Path)), responses(
    (status = 200, body = ListingLinkOut, description = "OK"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "No such listing")))]
pub async fn get_link(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiPath(listing_id): ApiPath<Uuid>,
) -> Result<Json<ListingLinkOut>, AppError> {
    Ok(Json(
        crate::deals::links::show(&state, listing_id).await?.into(),
    ))
}

/// Undoes a listing's product link: the listing is unlinked, re-analysed, and not linked to
/// that product again by the ingest path (administrators only).
#[utoipa::path(delete, path = "/api/v1/admin/listings/{listing_id}/link", operation_id = "admin_unlink_listing", tag = "admin", security(("bearer" = [])), params(("listing_id" = Uuid, Path)), responses(
    (status = 200, body = ListingLinkOut, description = "Unlinked; the link as it stands now"), (status = 401, body = Problem, description = "Missing, invalid or expired token"), (status = 403, body = Problem, description = "Not allowed for this role"), (status = 404, body = Problem, description = "No such listing"), (status = 409, body = Problem, description = "The listing is not linked to a product")))]
pub async fn unlink(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiPath(listing_id): ApiPath<Uuid>,
) -> Result<Json<ListingLinkOut>, AppError> {
    Ok(Json(
        crate::deals::links::unlink(&state, listing_id, admin.id)
            .await?
            .into(),
    ))
}
