//! Session ids that carry their user's hash tag.
//!
//! Redis Cluster keeps keys with the same hash tag in one slot, and one script can only touch
//! one slot. A session's keys are tagged with the first characters of its id
//! ([`session_tag`](crate::server::backend::keys::session_tag)); a signed-in session's id is
//! drawn so that they are its user's tag. All of a user's sessions then share one slot with the
//! one copy of the user they read with every page (`backend::keys::Keys::user_views`), instead
//! of each session keeping a copy of its own.
//!
//! The tag is 24 bits of HMAC-SHA-256 (RFC 2104) of the user id under a key derived from the
//! server secret, so an id does not say whose it is (though one user's ids share their first 4
//! characters, so whoever holds two of them can tell they are the same user's); the other 104
//! bits are random, above the 64 bits of entropy the OWASP Session Management Cheat Sheet asks of
//! a session id. Sessions drawn under another secret keep their tag: their pages read the user
//! afresh (see `AppSession::user_view`) until they end.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tower_sessions::session::Id;

/// Bytes of an id (little-endian, the order its base64 form is written in) that hold the tag:
/// 3 bytes, the first 4 base64 characters.
const TAG_BYTES: usize = 3;

/// Draws session ids for users and names users' tags.
#[derive(Clone)]
pub struct SessionTags {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for SessionTags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTags")
    }
}

impl SessionTags {
    /// Tags keyed with `secret` (the server's `SESSION_SECRET`).
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"porch session tags v1");
        let key = mac.finalize().into_bytes();
        Self {
            mac: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"),
        }
    }

    fn tag_bytes(&self, user_id: i64) -> [u8; TAG_BYTES] {
        let mut mac = self.mac.clone();
        mac.update(&user_id.to_le_bytes());
        let digest = mac.finalize().into_bytes();
        [digest[0], digest[1], digest[2]]
    }

    /// `user_id`'s tag: the first characters of their sessions' ids (4 URL-safe base64
    /// characters).
    pub fn user_tag(&self, user_id: i64) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.tag_bytes(user_id))
    }

    /// A new random session id for a session of `user_id`, carrying their tag.
    pub fn new_id(&self, user_id: i64) -> Id {
        let mut bytes = Id::default().0.to_le_bytes();
        bytes[..TAG_BYTES].copy_from_slice(&self.tag_bytes(user_id));
        Id(i128::from_le_bytes(bytes))
    }

    /// Whether `id` carries `user_id`'s tag.
    pub fn carries(&self, id: Id, user_id: i64) -> bool {
        id.0.to_le_bytes()[..TAG_BYTES] == self.tag_bytes(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::backend::keys::session_tag;

    #[test]
    fn a_users_ids_start_with_their_tag_and_differ_otherwise() {
        let tags = SessionTags::new(b"secret");
        let (a, b) = (tags.new_id(7), tags.new_id(7));
        assert_ne!(a, b);
        let tag = tags.user_tag(7);
        assert_eq!(tag.len(), 4);
        for id in [a, b] {
            assert_eq!(session_tag(&id.to_string()), tag);
            assert!(tags.carries(id, 7));
            assert!(!tags.carries(id, 8));
        }
    }

    #[test]
    fn tags_depend_on_the_secret_and_the_user() {
        let (one, two) = (SessionTags::new(b"one"), SessionTags::new(b"two"));
        assert_eq!(one.user_tag(1), SessionTags::new(b"one").user_tag(1));
        let users: std::collections::HashSet<String> = (0..1000).map(|u| one.user_tag(u)).collect();
        assert!(users.len() > 990, "24-bit tags rarely collide: {}", users.len());
        let differ = (0..100).filter(|&u| one.user_tag(u) != two.user_tag(u)).count();
        assert!(differ > 95, "{differ}");
    }
}
