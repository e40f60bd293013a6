//! Every Redis key name the app uses, in one place.
//!
//! Per-session keys wrap the session id in braces, so Redis Cluster stores a session's record,
//! activity and pages in one slot and a script may touch all three.

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

    /// The tower-sessions record (a string; its TTL is the session's expiry).
    pub fn session(&self, id: &str) -> String {
        format!("{}s:{{{id}}}", self.prefix)
    }

    /// Hash: `start`, `last`, `count`, `idle`, `deadline`, `user`, `first` (the first paths,
    /// newline-separated), and once ended on purpose `ended` (reason) and `ended_at`.
    pub fn activity(&self, id: &str) -> String {
        format!("{}s:{{{id}}}:a", self.prefix)
    }

    /// List of `"<millis> <path>"`, newest last, capped.
    pub fn pages(&self, id: &str) -> String {
        format!("{}s:{{{id}}}:p", self.prefix)
    }

    /// Hash `p` (preferences JSON), `u` (profile JSON), `e` (invalidations): the session's
    /// copy of what its pages show of its user. Expires on its own.
    pub fn user_view(&self, id: &str) -> String {
        format!("{}s:{{{id}}}:v", self.prefix)
    }

    /// Hash of the session's pending notices: notice id → notice JSON. Expires on its own.
    pub fn notices(&self, id: &str) -> String {
        format!("{}s:{{{id}}}:n", self.prefix)
    }

    /// Set for a short while after the session's id was renewed (`1`): requests still carrying
    /// the old id are told apart from ones whose session ended.
    pub fn renewed(&self, id: &str) -> String {
        format!("{}s:{{{id}}}:r", self.prefix)
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
        assert_eq!(k.session("abc"), "t1:s:{abc}");
        assert_eq!(k.activity("abc"), "t1:s:{abc}:a");
        assert_eq!(k.pages("abc"), "t1:s:{abc}:p");
        assert_eq!(k.user_view("abc"), "t1:s:{abc}:v");
    }
}
