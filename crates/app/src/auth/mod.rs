//! Authentication and authorisation: password hashing, access tokens (JWT HS256), opaque
//! refresh tokens, and the extractors that enforce roles on every route.

pub mod credentials;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod refresh;

pub use extract::{AdminUser, AuthUser, MaybeUser};
pub use jwt::{Claims, JwtKeys};
