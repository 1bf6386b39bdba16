//! The initial schema: users and refresh tokens, goals, products, listings, price points,
//! analyses, goal matches, trackers and notifications.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the initial schema.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000001_initial"
    }
}

pub(super) fn fk(
    from: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, "id")
        .on_delete(on_delete)
        .to_owned()
}

pub(super) fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

pub(super) fn ts_null(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(name)
}

pub(super) fn index(
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        let tables = [
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_uniq("email"))
                .col(string_null("name"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
            Table::create()
                .table("user_preferences")
                .col(pk_uuid("user_id"))
                .col(json_binary("data"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("user_preferences", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("refresh_families")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(ts("created_at"))
                .col(ts_null("revoked_at"))
                .col(string_null("revoked_reason"))
                .foreign_key(&mut fk("refresh_families", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("refresh_tokens")
                .col(pk_uuid("id"))
                .col(uuid("family_id"))
                .col(string_uniq("token_hash"))
                .col(ts("expires_at"))
                .col(ts_null("used_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk(
                    "refresh_tokens",
                    "family_id",
                    "refresh_families",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("goals")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string("title"))
                .col(text_null("query"))
                .col(json_binary("criteria"))
                .col(string("status"))
                .col(string("priority"))
                .col(ts_null("deadline"))
                .col(integer("max_matches"))
                .col(double("notify_threshold"))
                .col(big_integer_null("target_price_minor"))
                .col(string("currency"))
                .col(integer("matches_found"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("goals", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("products")
                .col(pk_uuid("id"))
                .col(string("title"))
                .col(string_null("brand"))
                .col(string_null("model"))
                .col(string_null("gtin"))
                .col(string_null("mpn"))
                .col(string_null("category"))
                .col(ts("created_at"))
                .to_owned(),
            Table::create()
                .table("listings")
                .col(pk_uuid("id"))
                .col(uuid_null("product_id"))
                .col(uuid_null("owner_id"))
                .col(string("market"))
                .col(string("external_id"))
                .col(text("url"))
                .col(text("title"))
                .col(string_null("brand"))
                .col(string_null("category"))
                .col(big_integer("price_minor"))
                .col(big_integer_null("original_price_minor"))
                .col(integer_null("discount_bp"))
                .col(string("currency"))
                .col(string("condition"))
                .col(string_null("seller_name"))
                .col(double_null("seller_rating"))
                .col(string("availability"))
                .col(big_integer_null("shipping_minor"))
                .col(text_null("image_url"))
                .col(double_null("score"))
                .col(string("status"))
                .col(ts("first_seen_at"))
                .col(ts("last_seen_at"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("listings", "product_id", "products", SetNull))
                .foreign_key(&mut fk("listings", "owner_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("deal_analyses")
                .col(pk_uuid("id"))
                .col(uuid("listing_id"))
                .col(string("formula_version"))
                .col(double("base_score"))
                .col(json_binary("modifiers"))
                .col(double("final_score"))
                .col(double("normalized_score"))
                .col(boolean("is_anomaly"))
                .col(double_null("moving_average"))
                .col(double_null("stddev"))
                .col(double_null("price_stability"))
                .col(big_integer_null("market_average_minor"))
                .col(text("explanation"))
                .col(json_binary("details"))
                .col(ts("analyzed_at"))
                .foreign_key(&mut fk("deal_analyses", "listing_id", "listings", Cascade))
                .to_owned(),
            Table::create()
                .table("goal_matches")
                .col(pk_uuid("id"))
                .col(uuid("goal_id"))
                .col(uuid("listing_id"))
                .col(double("match_score"))
                .col(json_binary("reasons"))
                .col(string("source"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("goal_matches", "goal_id", "goals", Cascade))
                .foreign_key(&mut fk("goal_matches", "listing_id", "listings", Cascade))
                .to_owned(),
            Table::create()
                .table("trackers")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid("listing_id"))
                .col(big_integer_null("target_price_minor"))
                .col(double_null("notify_on_drop_pct"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("trackers", "user_id", "users", Cascade))
                .foreign_key(&mut fk("trackers", "listing_id", "listings", Cascade))
                .to_owned(),
            Table::create()
                .table("notifications")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string("kind"))
                .col(string("priority"))
                .col(string("title"))
                .col(text("body"))
                .col(json_binary("data"))
                .col(string_null("dedup_key"))
                .col(ts_null("read_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("notifications", "user_id", "users", Cascade))
                .to_owned(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }

        let indexes = [
            index(
                "refresh_families",
                "idx_refresh_families_user",
                &["user_id"],
            ),
            index(
                "refresh_tokens",
                "idx_refresh_tokens_family",
                &["family_id"],
            ),
            index(
                "goals",
                "idx_goals_user_status",
                &["user_id", "status", "created_at"],
            ),
            index("products", "idx_products_gtin", &["gtin"]),
            index("products", "idx_products_brand_mpn", &["brand", "mpn"]),
            index(
                "listings",
                "uq_listings_market_external",
                &["market", "external_id"],
            )
            .unique()
            .to_owned(),
            index("listings", "idx_listings_product", &["product_id"]),
            index("listings", "idx_listings_owner", &["owner_id"]),
            index("listings", "idx_listings_price", &["price_minor"]),
            index("listings", "idx_listings_score", &["score"]),
            index("listings", "idx_listings_last_seen", &["last_seen_at"]),
            index(
                "deal_analyses",
                "idx_deal_analyses_listing",
                &["listing_id", "analyzed_at"],
            ),
            index(
                "goal_matches",
                "uq_goal_matches_goal_listing",
                &["goal_id", "listing_id"],
            )
            .unique()
            .to_owned(),
            index("goal_matches", "idx_goal_matches_listing", &["listing_id"]),
            index(
                "trackers",
                "uq_trackers_user_listing",
                &["user_id", "listing_id"],
            )
            .unique()
            .to_owned(),
            index("trackers", "idx_trackers_listing", &["listing_id"]),
            index(
                "notifications",
                "idx_notifications_user_created",
                &["user_id", "created_at"],
            ),
            index(
                "notifications",
                "uq_notifications_user_dedup",
                &["user_id", "dedup_key"],
            )
            .unique()
            .to_owned(),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }

        let db = m.get_connection();
        let backend_sql: &[&str] = match m.get_database_backend() {
            DbBackend::Postgres => &[
                "CREATE TABLE price_points (
                    listing_id uuid NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
                    at timestamptz NOT NULL,
                    price_minor bigint NOT NULL,
                    currency varchar NOT NULL,
                    PRIMARY KEY (listing_id, at)
                 ) PARTITION BY RANGE (at)",
                "CREATE TABLE price_points_default PARTITION OF price_points DEFAULT",
                "ALTER TABLE listings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                    setweight(to_tsvector('english', coalesce(brand, '') || ' ' || coalesce(category, '')), 'B')
                 ) STORED",
                "CREATE INDEX idx_listings_search ON listings USING GIN (search_vector)",
            ],
            _ => &[
                "CREATE TABLE price_points (
                    listing_id uuid_text NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
                    at timestamp_with_timezone_text NOT NULL,
                    price_minor bigint NOT NULL,
                    currency varchar NOT NULL,
                    PRIMARY KEY (listing_id, at)
                 )",
                "CREATE VIRTUAL TABLE listings_fts USING fts5(
                    title, brand, category,
                    content='listings', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 0'
                 )",
                "CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN
                    INSERT INTO listings_fts(rowid, title, brand, category)
                    VALUES (new.rowid, new.title, new.brand, new.category);
                 END",
                "CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN
                    INSERT INTO listings_fts(listings_fts, rowid, title, brand, category)
                    VALUES ('delete', old.rowid, old.title, old.brand, old.category);
                 END",
                "CREATE TRIGGER listings_fts_update AFTER UPDATE OF title, brand, category ON listings BEGIN
                    INSERT INTO listings_fts(listings_fts, rowid, title, brand, category)
                    VALUES ('delete', old.rowid, old.title, old.brand, old.category);
                    INSERT INTO listings_fts(rowid, title, brand, category)
                    VALUES (new.rowid, new.title, new.brand, new.category);
                 END",
            ],
        };
        for sql in backend_sql {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
