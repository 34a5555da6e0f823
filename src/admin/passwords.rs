//! What a new staff password must look like: length, variety, no sequences or repeats, not a common
//! password; and the one input every form asks for it with ([`new_password_field`]). Hashing and checking passwords is the app state's bounded pool (`state/password_checks.rs`);
//! [`hash`] and [`verify`] are re-exported here for the CLI and the tests.

use std::collections::HashSet;
use std::sync::LazyLock;

use maud::{Markup, html};

pub use crate::state::password_checks::{hash, verify};

pub const MIN_LENGTH: usize = 12;
const MAX_LENGTH: usize = 1024;
/// The fewest different characters a password may have ("            " and "abababababab" have 1 and 2).
const MIN_DISTINCT_CHARS: usize = 6;

/// Why a proposed password is refused, in words for the person choosing it. A small zxcvbn-style check:
/// length, variety, sequences and repeats, and the 10,000 most common passwords (zxcvbn's list) even with
/// digits, symbols or l33t spelling around them.
pub fn check_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "Use at least {MIN_LENGTH} characters (a few unrelated words work well)."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!("Use at most {MAX_LENGTH} characters."));
    }
    let lower = password.to_lowercase();
    let distinct: HashSet<char> = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if distinct.len() < MIN_DISTINCT_CHARS || is_sequence(&lower) || is_repeat(&lower) {
        return Err(
            "That is too predictable (repeats, sequences or too few different characters): \
             try three or four unrelated words."
                .into(),
        );
    }
    if is_common(&lower) {
        return Err(
            "That is one of the most common passwords, even with digits or symbols added: \
             try three or four unrelated words."
                .into(),
        );
    }
    Ok(())
}

/// A labelled input for a new password (`name` is also its id), with the length rule in the label.
pub fn new_password_field(name: &str, label: &str) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) " (at least " (MIN_LENGTH) " characters; a few unrelated words work well)" }
            input id=(name) type="password" name=(name) required minlength=(MIN_LENGTH) autocomplete="new-password";
        }
    }
}

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

fn is_common(lower: &str) -> bool {
    let unleet: String = lower
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect();
    let core = |s: &str| -> String {
        s.trim_matches(|c: char| !c.is_alphabetic())
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let letters_only: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    [lower.to_owned(), core(lower), core(&unleet), letters_only]
        .iter()
        .any(|candidate| candidate.chars().count() >= 4 && COMMON.contains(candidate.as_str()))
}

/// "abcdefghijkl", "123456789012", "zyxwvutsrqpo", and the keyboard's rows.
fn is_sequence(lower: &str) -> bool {
    const ROWS: &str =
        "qwertyuiop asdfghjkl zxcvbnm 1234567890 0987654321 poiuytrewq lkjhgfdsa mnbvcxz";
    let chars: Vec<u32> = lower.chars().map(u32::from).collect();
    let steps: HashSet<i64> = chars
        .windows(2)
        .map(|w| i64::from(w[1]) - i64::from(w[0]))
        .collect();
    let monotone = steps.len() == 1 && steps.iter().all(|s| s.abs() <= 1);
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    monotone
        || ROWS.split(' ').any(|row| {
            row.contains(compact.as_str())
                || compact.starts_with(row) && compact.len() <= row.len() + 3
        })
}

/// A short unit said again and again: "abcabcabcabc", "passpasspass".
fn is_repeat(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    (1..=chars.len() / 2).any(|period| {
        chars.len().is_multiple_of(period)
            && chars.chunks(period).all(|chunk| chunk == &chars[..period])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused_with_advice() {
        assert!(check_policy("short").unwrap_err().contains("12"));
        assert!(check_policy("twelve chars").is_ok());
    }

    #[test]
    fn weak_passwords_of_any_length_are_refused() {
        for weak in [
            "            ",
            "aaaaaaaaaaaaaaaa",
            "abababababab",
            "password1234",
            "P@ssw0rd2024!",
            "Password123456",
            "qwertyuiop12",
            "abcdefghijklmn",
            "123456789012",
            "iloveyou2025!!",
            "monkeymonkeymonkey",
        ] {
            assert!(check_policy(weak).is_err(), "{weak:?} was accepted");
        }
    }

    #[test]
    fn passphrases_and_random_strings_are_accepted() {
        for strong in [
            "correct horse battery staple",
            "a long enough password",
            "roast-kettle-umbrella-42",
            "xK9#mQ2$vL7!pR",
        ] {
            assert!(check_policy(strong).is_ok(), "{strong:?} was refused");
        }
    }
}
