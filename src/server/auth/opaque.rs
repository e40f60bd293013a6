//! Opaque random tokens (bearer tokens, mailed links' tokens, the mail sender's name): how one
//! is made, what shape it has, and the digest that is stored instead of it.

use sha2::{Digest, Sha256};
use tower_sessions::session::Id;

/// 256 random bits (two session ids' worth, from the same generator), URL-safe base64: 44
/// characters.
pub fn new_token() -> String {
    format!("{}{}", Id::default(), Id::default())
}

/// Whether `token` has the shape [`new_token`] gives, so anything else is refused without a
/// lookup.
pub fn well_formed(token: &str) -> bool {
    token.len() == 44
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is stored of a token: its SHA-256 (hex), never the token.
pub fn digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_44_url_safe_characters_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        assert!(!well_formed(&format!("{a}x")) && !well_formed(&a.replace(|c: char| c.is_alphanumeric(), "+")));
        assert_eq!(digest("abc").len(), 64);
    }
}
