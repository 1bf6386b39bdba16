//! Domain types and rules of agentic-deals.
//!
//! Everything here is pure: no I/O, no async runtime, no web or database framework. Values that
//! arrive from the outside world are parsed into these types once, at the boundary, so the rest
//! of the system can rely on them being valid ("parse, don't validate").

pub mod analysis;
pub mod criteria;
pub mod email;
pub mod enums;
pub mod error;
pub mod history;
pub mod last_search;
pub mod matching;
pub mod money;
pub mod page;
pub mod password;
pub mod preferences;
pub mod role;
pub mod secret;
pub mod spec;
pub mod taxonomy;
pub mod tokens;

pub use criteria::{GoalCriteria, GoalCriteriaInput};
pub use email::Email;
pub use enums::{
    Availability, Channel, Condition, DealSort, GoalStatus, JobKind, JobStatus, ListingStatus,
    NotificationKind, Priority,
};
pub use error::{FieldError, ValidationErrors};
pub use history::{PricePoint, Trend};
pub use last_search::{LastSearch, MarketSearch};
pub use money::{Currency, Money};
pub use page::Pagination;
pub use password::Password;
pub use preferences::Preferences;
pub use role::{Permission, Role};
pub use tokens::{EntryKind, TokenAmount};
