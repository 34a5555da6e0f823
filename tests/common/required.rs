//! Tests that need an outside service (MariaDB, moto) read its address from the environment. Under
//! `scripts/test.sh` (`RR_TEST_REQUIRE_ALL=1`, or `CI` set) a missing variable fails the test: a skipped
//! check there would pass without checking anything. Elsewhere the test is skipped with a message on the
//! terminal itself (libtest hides `eprintln!` of passing tests), so a developer sees it.

// Each suite compiles this file on its own and uses only part of it.
#![allow(dead_code)]

use std::io::Write;

/// Whether a missing service is a failure rather than a skip.
pub fn every_service_required() -> bool {
    std::env::var_os("RR_TEST_REQUIRE_ALL").is_some_and(|v| !v.is_empty() && v != "0")
        || std::env::var_os("CI").is_some()
}

/// The value of `var`, or `None` (a loud skip) outside scripts/test.sh; under it, a panic.
pub fn service_var(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            unavailable(&format!(
                "{var} is not set ({what}; scripts/test.sh starts it and sets {var})"
            ));
            None
        }
    }
}

/// Something a test needs is missing: a failure under scripts/test.sh, a loud skip elsewhere.
pub fn unavailable(reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if every_service_required() {
        panic!("{test} cannot run: {reason}; RR_TEST_REQUIRE_ALL/CI says every test must run");
    }
    // Straight to the terminal: libtest captures only the print macros.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {reason}; scripts/test.sh runs it ***"
    );
}
