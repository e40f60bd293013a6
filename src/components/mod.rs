//! Views shared by several pages.

pub mod footer;
pub mod form;
pub mod header;
pub mod page_views;
