//! OpenAPI schemas of the text enums that requests carry as plain strings (a goal's `priority`
//! and `status`, a job's `status`, a search's `sort` and `condition`): the values are the
//! domain enums' own spellings, so the document and the parser cannot disagree. Used through
//! `#[schema(schema_with = ...)]` / `#[param(schema_with = ...)]` by request types of the use
//! cases and the HTTP layer alike.

use deals_core::{Condition, DealSort, GoalStatus, JobStatus, Priority};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, nullable: bool) -> Object {
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
    schema.examples(first).build()
}

/// `low` | `medium` | `high` | `critical`, or null.
pub fn priority() -> Object {
    one_of(Priority::ALL.iter().map(|p| p.as_str()), true)
}

/// A goal's status, or null.
pub fn goal_status() -> Object {
    one_of(GoalStatus::ALL.iter().map(|s| s.as_str()), true)
}

/// A job's status (a query filter).
pub fn job_status() -> Object {
    one_of(JobStatus::ALL.iter().map(|s| s.as_str()), false)
}

/// A goal's status (a query filter).
pub fn goal_status_filter() -> Object {
    one_of(GoalStatus::ALL.iter().map(|s| s.as_str()), false)
}

/// An item's condition (a query filter).
pub fn condition_filter() -> Object {
    one_of(Condition::ALL.iter().map(|c| c.as_str()), false)
}

/// The order of search results.
pub fn deal_sort() -> Object {
    one_of(DealSort::ALL.iter().map(|s| s.as_str()), false)
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
