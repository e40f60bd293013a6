//! Configuration files and start-up errors.

use std::process::Command;

/// cargo-leptos builds from Cargo.toml; the server runs from Leptos.toml. Keys both name must
/// agree, or `cargo leptos watch` and the served site disagree about paths and ports.
#[test]
fn leptos_toml_agrees_with_cargo_toml() {
    let read = |file: &str| -> toml::Table { std::fs::read_to_string(file).unwrap().parse().unwrap() };
    let cargo = read("Cargo.toml");
    let runtime = read("Leptos.toml");
    let build = &cargo["package"]["metadata"]["leptos"];
    let run = runtime["package"]["metadata"]["leptos"]
        .as_table()
        .expect("Leptos.toml has [package.metadata.leptos]");
    assert!(
        run.contains_key("site-root"),
        "Leptos.toml must set site-root (its default is `.`)"
    );
    let mut shared = 0;
    for (key, value) in run {
        if let Some(build_value) = build.get(key) {
            assert_eq!(build_value, value, "{key} differs between Cargo.toml and Leptos.toml");
            shared += 1;
        }
    }
    assert!(shared >= 5, "expected the site keys in both files, found {shared}");
}

/// Runs the server binary with `vars` and returns its exit code and standard error.
fn start_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_porch"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the server binary");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("APP_ENV", "production")], "REDIS_URL: "),
        (
            &[("APP_ENV", "production"), ("REDIS_URL", "redis://127.0.0.1:6379")],
            "SESSION_SECRET: ",
        ),
        (
            &[
                ("APP_ENV", "production"),
                ("REDIS_URL", "redis://127.0.0.1:6379"),
                ("SESSION_SECRET", "too-short"),
            ],
            "SESSION_SECRET: must be at least 64",
        ),
        (&[("DATABASE_URL", "mysql://localhost/x")], "DATABASE_URL: "),
        (
            &[("SESSION_GUEST_IDLE_TIMEOUT", "soon")],
            "SESSION_GUEST_IDLE_TIMEOUT: ",
        ),
        (&[("LEPTOS_CONFIG", "/nonexistent/Leptos.toml")], "LEPTOS_CONFIG: "),
    ];
    for (vars, expected) in cases {
        let (code, stderr) = start_with(vars);
        assert_eq!(code, Some(2), "{vars:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{vars:?}: {stderr}");
        assert!(
            lines[0].starts_with(&format!("configuration error: {expected}")),
            "{vars:?}: {stderr}"
        );
    }
}
