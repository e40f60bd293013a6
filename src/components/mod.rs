//! Views shared by several pages.

pub mod avatar;
pub mod chart;
pub mod footer;
pub mod form;
pub mod header;
pub mod notices;
pub mod page_views;
