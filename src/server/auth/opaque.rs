//! Opaque random tokens (bearer tokens, mailed links' tokens, the mail sender's name): how one
//! is made, what shape it has, and the digest that is stored instead of it.

use sha2::{Digest, Sha256};
use tower_sessions::session::Id;

/// 256 random bits (two session ids' worth, from the same generator), URL-safe base64: 44
/// characters.
pub fn new_token() -> String {
    format!("{}{}", Id::default(), Id::default())
}

/// A token derived from `key` and `context` (HMAC-SHA-256, RFC 2104): 256 bits no one without
/// the key can tell from random, the same each time for one context. URL-safe base64, 44
/// characters (two halves of 22, the shape of [`new_token`]).
pub fn derived_token(key: &[u8], context: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(context.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}{}", engine.encode(&bytes[..16]), engine.encode(&bytes[16..]))
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
        let derived = derived_token(b"key", "password_reset:7");
        assert!(well_formed(&derived), "{derived}");
        assert_eq!(derived, derived_token(b"key", "password_reset:7"));
        assert_ne!(derived, derived_token(b"key", "password_reset:8"));
        assert_ne!(derived, derived_token(b"other key", "password_reset:7"));
    }
}
