//! Integration tests: the real app on port 0, real Redis, a fresh database per test.
//! One test binary (modules below) keeps link time down.
#![cfg(feature = "ssr")]

mod account_data;
mod accounts;
mod activity;
mod admin;
mod avatar;
mod config_files;
mod faults;
mod harness;
mod health;
mod logs;
mod mail;
mod notices;
mod openapi;
mod page_cache;
mod pages;
mod preferences;
mod protection;
mod ratelimit;
mod real_clients;
mod scale_out;
mod second_factor;
mod security;
mod seeds;
mod sessions;
mod store;
mod store_comparison;
mod user_view;
