//! Roles and the permissions each one holds.
//!
//! - `user`: read, create, update and delete **their own** resources.
//! - `admin`: everything a user may, on everyone's resources, plus the admin endpoints.
//! - `service`: an integration account that reads and creates (never updates or deletes) its own
//!   resources.
//!
//! Ownership is enforced by the storage queries (a resource of someone else is "not found");
//! this module decides which verbs a role may use and whether it sees everyone's data.

use serde::{Deserialize, Serialize};

use crate::enums::UnknownVariant;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ordinary account.
    User,
    /// An administrator.
    Admin,
    /// A machine account for integrations.
    Service,
}

/// A verb on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read a resource.
    Read,
    /// Create a resource.
    Create,
    /// Change a resource.
    Update,
    /// Delete a resource.
    Delete,
    /// Use the admin endpoints and act on everyone's resources.
    Administer,
}

impl Role {
    /// Stored text form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }

    /// Parses the stored text form.
    pub fn parse(raw: &str) -> Result<Self, UnknownVariant> {
        match raw {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            "service" => Ok(Role::Service),
            _ => Err(UnknownVariant {
                expected: "user admin service",
            }),
        }
    }

    /// Whether the role holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::User => matches!(permission, Read | Create | Update | Delete),
            Role::Service => matches!(permission, Read | Create),
        }
    }

    /// Whether the role sees every user's resources rather than only its own.
    pub fn sees_everything(&self) -> bool {
        self.can(Permission::Administer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn permission_matrix() {
        let table = [
            (Role::User, [true, true, true, true, false]),
            (Role::Admin, [true, true, true, true, true]),
            (Role::Service, [true, true, false, false, false]),
        ];
        for (role, expected) in table {
            let got = [Read, Create, Update, Delete, Administer].map(|p| role.can(p));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn only_admin_sees_everything() {
        assert!(Role::Admin.sees_everything());
        assert!(!Role::User.sees_everything());
        assert!(!Role::Service.sees_everything());
        assert_eq!(Role::parse("service"), Ok(Role::Service));
        assert!(Role::parse("root").is_err());
    }
}
