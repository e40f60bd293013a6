//! Views shared by several pages.

pub mod account_nav;
pub mod avatar;
pub mod chart;
pub mod error_notice;
pub mod footer;
pub mod form;
pub mod header;
pub mod not_found;
pub mod notices;
pub mod page_views;
pub mod pager;
pub mod require_user;
