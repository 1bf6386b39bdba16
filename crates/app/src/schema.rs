//! OpenAPI schemas of what requests carry as plain strings (a goal's `priority` and `status`, a
//! job's `status`, a search's `sort` and `condition`, a test message's channel, money as decimal
//! text) and of the notification preferences: the values are the domain types' own spellings
//! and limits, so the document and the parser cannot disagree. Used through
//! `#[schema(schema_with = ...)]` / `#[param(schema_with = ...)]` by request types of the use
//! cases and the HTTP layer alike.

use deals_core::{Channel, Condition, DealSort, GoalStatus, JobStatus, Priority};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, nullable: bool) -> Object {
    one_of_builder(values, nullable).build()
}

fn one_of_builder<'a>(values: impl IntoIterator<Item = &'a str>, nullable: bool) -> ObjectBuilder {
    let values: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    let first = values.first().cloned();
    let mut schema = ObjectBuilder::new();
    if nullable {
        schema = schema
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .enum_values(Some(values.into_iter().chain([serde_json::Value::Null])));
    } else {
        schema = schema.schema_type(Type::String).enum_values(Some(values));
    }
    schema.examples(first)
}

/// `low` | `medium` | `high` | `critical`, or null.
pub fn priority() -> Object {
    one_of(Priority::ALL.iter().map(|p| p.as_str()), true)
}

/// A goal's status, or null.
pub fn goal_status() -> Object {
    one_of(GoalStatus::ALL.iter().map(|s| s.as_str()), true)
}

/// A query filter: one of `values`, or empty (`?status=`, as an HTML form sends it) for no
/// filter, the same as leaving the parameter out.
fn filter<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    one_of(values.into_iter().chain([""]), false)
}

/// A job's status (a query filter; empty: any).
pub fn job_status() -> Object {
    filter(JobStatus::ALL.iter().map(|s| s.as_str()))
}

/// A goal's status (a query filter; empty: any).
pub fn goal_status_filter() -> Object {
    filter(GoalStatus::ALL.iter().map(|s| s.as_str()))
}

/// An item's condition (a query filter; empty: any).
pub fn condition_filter() -> Object {
    filter(Condition::ALL.iter().map(|c| c.as_str()))
}

/// The order of search results (empty: the default, by score).
pub fn deal_sort() -> Object {
    filter(DealSort::ALL.iter().map(|s| s.as_str()))
}

/// A price filter as decimal text, or empty for none.
pub fn price_filter() -> Object {
    text(false)
        .pattern(Some(r"^([0-9]{1,10}(\.[0-9]{1,2})?)?$"))
        .examples(["49.99"])
        .build()
}

/// A kind of token ledger entry (a query filter).
pub fn entry_kind() -> Object {
    one_of(deals_core::EntryKind::ALL.iter().map(|k| k.as_str()), false)
}

/// An item's condition, or null.
pub fn condition() -> Object {
    one_of(Condition::ALL.iter().map(|c| c.as_str()), true)
}

/// A stock state, or null.
pub fn availability() -> Object {
    one_of(
        deals_core::Availability::ALL.iter().map(|a| a.as_str()),
        true,
    )
}

/// An absolute http(s) URL: optional user info, a host name of letters, digits, dots and
/// hyphens, an optional port, then a path, query or fragment without spaces
/// (`deals_core::preferences::http_url_host`).
const URL_PATTERN: &str = r"^https?://([^\s/?#@\[\]]+@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#]\S*)?$";

/// An absolute http(s) URL (see [`URL_PATTERN`]) whose host has a dot or is `localhost…`.
fn web_url_builder(nullable: bool) -> ObjectBuilder {
    text(nullable)
        .pattern(Some(
            r"^https?://([^\s/?#@\[\]]+@)?([A-Za-z0-9-]*\.[A-Za-z0-9.-]*|localhost[A-Za-z0-9.-]*)(:[0-9]{1,5})?([/?#]\S*)?$",
        ))
        .max_length(Some(2048))
        .examples(["https://www.example.com/item/1"])
}

/// A product page URL.
pub fn web_url() -> Object {
    web_url_builder(false).build()
}

/// A picture URL, or null.
pub fn web_url_or_null() -> Object {
    web_url_builder(true).build()
}

/// An external channel to send a test message through.
pub fn channel() -> Object {
    one_of(Channel::ALL.iter().map(|c| c.as_str()), false)
}

/// An amount as decimal text: up to ten integer digits and two decimals (what
/// `deals_core::money::parse_minor` reads, without the tolerated spellings such as `1,000`).
pub const MONEY_PATTERN: &str = r"^[0-9]{1,10}(\.[0-9]{1,2})?$";

/// An amount above zero as decimal text.
pub const POSITIVE_MONEY_PATTERN: &str =
    r"^(0*[1-9][0-9]{0,9}(\.[0-9]{1,2})?|0+\.(0[1-9]|[1-9][0-9]?))$";

/// Money: decimal text, or a JSON number (read through its shortest decimal form, so it too
/// may have at most two decimals).
fn money_builder(pattern: &str, positive: bool, nullable: bool) -> ObjectBuilder {
    let mut types = vec![Type::String, Type::Number];
    if nullable {
        types.push(Type::Null);
    }
    let schema = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter(types))
        .pattern(Some(pattern))
        .maximum(Some(9_999_999_999.99))
        .examples(["249.99"]);
    if positive {
        schema.exclusive_minimum(Some(0))
    } else {
        schema.minimum(Some(0))
    }
}

/// Money, at least zero, or null.
pub fn money_or_null() -> Object {
    money_builder(MONEY_PATTERN, false, true).build()
}

/// Money above zero.
pub fn positive_money() -> Object {
    money_builder(POSITIVE_MONEY_PATTERN, true, false).build()
}

/// Money above zero, or null.
pub fn positive_money_or_null() -> Object {
    money_builder(POSITIVE_MONEY_PATTERN, true, true).build()
}

/// A token amount: decimal text with up to six decimals, or a whole number as a JSON integer;
/// or null.
pub fn tokens_or_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::String,
            Type::Integer,
            Type::Null,
        ]))
        .pattern(Some(r"^[0-9]{1,12}(\.[0-9]{1,6})?$"))
        .minimum(Some(0))
        .maximum(Some(1_000_000_000_000_i64))
        .examples(["5"])
        .build()
}

fn list_of(item: Object, description: &str) -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(item)
        .max_items(Some(deals_core::criteria::MAX_LIST_LEN))
        .description(Some(description))
        .build()
}

/// Words of a criteria list: at most 32, each with a non-space character and at most 64
/// characters.
pub fn terms() -> utoipa::openapi::schema::Array {
    let term = text(false)
        .min_length(Some(1))
        .max_length(Some(deals_core::criteria::MAX_TERM_CHARS))
        .pattern(Some(r"\S"))
        .build();
    list_of(term, "At most 32 entries of 1–64 characters")
}

/// Item conditions a goal accepts.
pub fn conditions() -> utoipa::openapi::schema::Array {
    let c = one_of(Condition::ALL.iter().map(|c| c.as_str()), false);
    list_of(c, "Accepted conditions; empty means any")
}

/// The markets a goal can be limited to.
pub fn markets() -> utoipa::openapi::schema::Array {
    let m = one_of(deals_core::criteria::MARKETS, false);
    list_of(m, "Markets to search; empty means all")
}

/// An ISO 4217 currency code, or null.
pub fn currency_or_null() -> Object {
    one_of_builder(deals_core::Currency::codes().iter().copied(), true)
        .examples(["USD"])
        .build()
}

/// Numeric specs of a goal's criteria.
pub fn specs() -> utoipa::openapi::schema::Array {
    let spec = closed(ObjectBuilder::new())
        .property(
            "quantity",
            one_of(
                [
                    "size",
                    "storage",
                    "memory",
                    "refresh_rate",
                    "weight",
                    "power",
                    "capacity",
                    "battery",
                ],
                false,
            ),
        )
        .property("op", one_of(["min", "max", "eq"], false))
        .property(
            "value",
            ObjectBuilder::new().schema_type(Type::Number).build(),
        )
        .property(
            "unit",
            text(false)
                .description(Some(
                    "A unit of the quantity: in, cm, gb, tb, mb, hz, g, kg, lb, w, qt, l, mah",
                ))
                .build(),
        )
        .required("quantity")
        .required("op")
        .required("value")
        .required("unit")
        .build();
    list_of(spec, "At most 32 specs")
}

/// A local time of day, `HH:MM`.
const TIME_OF_DAY: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";

fn text(nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new().schema_type(ty)
}

fn closed(object: ObjectBuilder) -> ObjectBuilder {
    object
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
}

/// An http(s) URL (see [`URL_PATTERN`]), or null.
fn url_or_null(description: &str) -> Object {
    text(true)
        .pattern(Some(URL_PATTERN))
        .max_length(Some(2048))
        .description(Some(description))
        .build()
}

/// Notification preferences as `PUT /users/me/preferences` takes them and both routes answer
/// them; every field may be left out (it takes its default), unknown fields are refused.
pub fn preferences() -> Object {
    let channels = [
        ("in_app", ObjectBuilder::new().schema_type(Type::Boolean).description(Some("In-app notifications and live updates (default true)")).build()),
        ("email", ObjectBuilder::new().schema_type(Type::Boolean).description(Some("E-mail to the account address (default false)")).build()),
        ("webhook_url", url_or_null("A URL that receives a JSON POST per alert")),
        ("webhook_secret", text(true)
            .pattern(Some(r"^whsec_[A-Za-z0-9+/=]{16,}( whsec_[A-Za-z0-9+/=]{16,})*$"))
            .description(Some("Standard Webhooks signing secret(s), several separated by spaces while rotating"))
            .build()),
        ("ntfy_url", url_or_null("An ntfy topic URL")),
        ("telegram_chat_id", text(true)
            .pattern(Some(r"^[A-Za-z0-9_@-]{1,64}$"))
            .description(Some("The Telegram chat the server's bot writes to: 123456789 or @channel"))
            .build()),
        ("discord_webhook_url", url_or_null("A Discord webhook URL")),
    ]
    .into_iter()
    .fold(closed(ObjectBuilder::new()), |o, (name, schema)| {
        o.property(name, schema)
    });
    let quiet_hours = closed(ObjectBuilder::new())
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property("start", text(false).pattern(Some(TIME_OF_DAY)).build())
        .property("end", text(false).pattern(Some(TIME_OF_DAY)).build())
        .required("start")
        .required("end")
        .description(Some(
            "A daily window without alerts (critical ones still go through), local `HH:MM`; \
             may wrap midnight; `end` must differ from `start`",
        ))
        .build();
    let timezone = one_of_builder(deals_core::preferences::time_zones(), false)
        .description(Some("IANA time zone (default UTC)"))
        .build();
    let muted = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .max_items(Some(1_000))
        .description(Some("Goals whose alerts the user does not want"))
        .build();
    closed(ObjectBuilder::new())
        .property(
            "channels",
            channels.description(Some("Where alerts go")).build(),
        )
        .property(
            "min_priority",
            one_of(Priority::ALL.iter().map(|p| p.as_str()), false),
        )
        .property("quiet_hours", quiet_hours)
        .property("timezone", timezone)
        .property(
            "digest",
            one_of_builder(["off", "hourly", "daily", "weekly"], false)
                .description(Some("off: alerts one by one; weekly: on Mondays"))
                .build(),
        )
        .property(
            "digest_time",
            text(false)
                .pattern(Some(TIME_OF_DAY))
                .description(Some(
                    "Local time of the daily and weekly digests (default 08:00)",
                ))
                .build(),
        )
        .property("muted_goals", muted)
        .build()
}

/// The document type of the notification preferences (see [`preferences`]).
#[derive(Debug)]
pub struct PreferencesDoc;

impl utoipa::PartialSchema for PreferencesDoc {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(preferences()))
    }
}

impl utoipa::ToSchema for PreferencesDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "Preferences".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_schemas_list_the_domain_spellings() {
        let json = serde_json::to_value(priority()).unwrap();
        assert_eq!(
            json["enum"],
            serde_json::json!(["low", "medium", "high", "critical", null])
        );
        let json = serde_json::to_value(job_status()).unwrap();
        assert_eq!(json["type"], "string");
        assert!(json["enum"].as_array().unwrap().contains(&"dead".into()));
    }
}
