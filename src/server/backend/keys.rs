//! Every Redis key name the app uses, in one place.
//!
//! Per-session keys carry the session's hash tag (its id's first [`SESSION_TAG_LEN`]
//! characters) in braces, so Redis Cluster stores a session's record, activity and pages in one
//! slot, and a script may touch them all. A signed-in session's id starts with its user's tag
//! (`server::session::tags`), so the slot also holds [`Keys::user_views`], where all the
//! user's sessions find one copy of the user.

/// Characters of a session id that make its hash tag: 24 bits (base64), 16.7 million tags.
pub const SESSION_TAG_LEN: usize = 4;

/// A session's hash tag: its id's first [`SESSION_TAG_LEN`] characters (the whole id if it is
/// shorter; ids are ASCII, so the cut is on a character boundary or the id is returned whole).
pub fn session_tag(id: &str) -> &str {
    id.get(..SESSION_TAG_LEN).unwrap_or(id)
}

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The tower-sessions record's data (a JSON object; its TTL is the session's expiry):
    /// `s:{tag}rest-of-id`, the whole id read across the braces.
    pub fn session(&self, id: &str) -> String {
        let tag = session_tag(id);
        format!("{}s:{{{tag}}}{}", self.prefix, &id[tag.len()..])
    }

    /// Hash: `start`, `last`, `count`, `idle`, `deadline`, `user`, `first` (the first paths,
    /// newline-separated), and once ended on purpose `ended` (reason) and `ended_at`.
    pub fn activity(&self, id: &str) -> String {
        format!("{}:a", self.session(id))
    }

    /// List of `"<millis> <path>"`, newest last, capped.
    pub fn pages(&self, id: &str) -> String {
        format!("{}:p", self.session(id))
    }

    /// Hash of the copies of their users that the signed-in sessions tagged `tag` read with
    /// every page, per user id `<id>`: `<id>:p` (preferences JSON), `<id>:u` (profile JSON),
    /// `<id>:t` (when stored, ms) and `<id>:e` (the epoch, moved by each invalidation). One copy
    /// per user, shared by all their sessions. A copy is trusted for `USER_VIEW_TTL_MS` and
    /// deleted by the first load that finds it older; the hash expires that long after its last
    /// store or invalidation.
    pub fn user_views(&self, tag: &str) -> String {
        format!("{}uv:{{{tag}}}", self.prefix)
    }

    /// Hash of the session's pending notices: notice id → notice JSON. Expires on its own.
    pub fn notices(&self, id: &str) -> String {
        format!("{}:n", self.session(id))
    }

    /// Set for a short while after the session's id was renewed (`1`): requests still carrying
    /// the old id are told apart from ones whose session ended.
    pub fn renewed(&self, id: &str) -> String {
        format!("{}:r", self.session(id))
    }

    /// The pub/sub channel that wakes every instance's notice streams: the message is a user id.
    pub fn notice_channel(&self) -> String {
        format!("{}notices", self.prefix)
    }

    /// A lock, e.g. `sweeper`.
    pub fn lock(&self, name: &str) -> String {
        format!("{}lock:{name}", self.prefix)
    }

    /// Hash of a user's sessions: handle → session id.
    pub fn user_sessions(&self, user_id: i64) -> String {
        format!("{}u:{{{user_id}}}:sessions", self.prefix)
    }

    /// Set of the hashes of a user's bearer tokens, kept as long as the longest-lived of them.
    pub fn user_tokens(&self, user_id: i64) -> String {
        format!("{}u:{{{user_id}}}:tokens", self.prefix)
    }

    /// A bearer token, by the SHA-256 of its value → session id.
    pub fn token(&self, token_hash: &str) -> String {
        format!("{}tok:{token_hash}", self.prefix)
    }

    /// A cached value, e.g. `profile:42`.
    pub fn cache(&self, name: &str) -> String {
        format!("{}cache:{name}", self.prefix)
    }

    /// A rate-limit counter, e.g. `register:<hash>`; it expires with its window.
    pub fn rate(&self, name: &str) -> String {
        format!("{}rl:{name}", self.prefix)
    }

    /// Sorted set of the names of cached values of one kind (`profile`), scored by expiry.
    pub fn cache_index(&self, kind: &str) -> String {
        format!("{}cache-index:{kind}", self.prefix)
    }

    /// Sorted set of revoked sessions' hashes, scored by when.
    pub fn revoked(&self) -> String {
        format!("{}revoked", self.prefix)
    }

    /// Hash of one hour's figures (`sessions_started`, `page_views`, …). All figures share the
    /// `{stats}` hash tag, so one cluster node holds them together.
    pub fn stats_hour(&self, hour: i64) -> String {
        format!("{}stats:{{stats}}:{hour}", self.prefix)
    }

    /// Sorted set of one hour's viewed paths, scored by views.
    pub fn stats_pages(&self, hour: i64) -> String {
        format!("{}stats:{{stats}}:{hour}:p", self.prefix)
    }

    /// Sorted set of session ids scored by the expiry they had when last scheduled.
    pub fn expiries(&self) -> String {
        format!("{}expiries", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_session_keys_share_a_hash_tag() {
        let k = Keys::new("t1:");
        let id = "Hd-2RLjMY9AiPLSAMErn5A";
        assert_eq!(session_tag(id), "Hd-2");
        assert_eq!(k.session(id), "t1:s:{Hd-2}RLjMY9AiPLSAMErn5A");
        assert_eq!(k.activity(id), "t1:s:{Hd-2}RLjMY9AiPLSAMErn5A:a");
        assert_eq!(k.pages(id), "t1:s:{Hd-2}RLjMY9AiPLSAMErn5A:p");
        assert_eq!(k.notices(id), "t1:s:{Hd-2}RLjMY9AiPLSAMErn5A:n");
        assert_eq!(k.user_views(session_tag(id)), "t1:uv:{Hd-2}");
        // Shorter than a tag (never made by the app): the whole id is the tag.
        assert_eq!(k.session("ab"), "t1:s:{ab}");
    }
}
