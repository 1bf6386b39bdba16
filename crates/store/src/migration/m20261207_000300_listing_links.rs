//! How a listing came to be linked to its product, and the links an administrator undid:
//! `listing_links` holds the rule (`gtin`, `brand_mpn`, `title`) and the learned model's score
//! of each listing's current product link; `listing_link_blocks` the (listing, product) pairs
//! an administrator unlinked, which the ingest path never links again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::m20261124_000001_initial::{fk, index, ts};

/// Adds `listing_links` and `listing_link_blocks`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000300_listing_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        m.create_table(
            Table::create()
                .table("listing_links")
                .col(uuid("listing_id").primary_key())
                .col(uuid("product_id"))
                .col(string("rule"))
                .col(double_null("score"))
                .col(ts("linked_at"))
                .foreign_key(&mut fk("listing_links", "listing_id", "listings", Cascade))
                .foreign_key(&mut fk("listing_links", "product_id", "products", Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("listing_link_blocks")
                .col(uuid("listing_id"))
                .col(uuid("product_id"))
                .col(uuid_null("blocked_by"))
                .col(ts("created_at"))
                .primary_key(Index::create().col("listing_id").col("product_id"))
                .foreign_key(&mut fk(
                    "listing_link_blocks",
                    "listing_id",
                    "listings",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "listing_link_blocks",
                    "product_id",
                    "products",
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "listing_links",
            "idx_listing_links_product",
            &["product_id"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["listing_link_blocks", "listing_links"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
