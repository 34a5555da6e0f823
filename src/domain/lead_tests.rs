use std::collections::HashMap;

use super::*;
use crate::domain::lead_field::NAME_MAX;

fn values(pairs: &[(&str, &str)]) -> LeadFormValues {
    let base: HashMap<String, String> = [
        ("name", "Ana Lima"),
        ("email", "ana@example.com"),
        ("interest", "beans"),
    ]
    .iter()
    .chain(pairs.iter())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    LeadFormValues::from_fields(base)
}

#[test]
fn a_complete_form_becomes_a_submission() {
    let lead = values(&[
        ("phone", "+44 (0)20 7946 0958"),
        ("consent", "yes"),
        ("message", " Hi "),
    ])
    .validate()
    .unwrap();
    assert_eq!(lead.interest, Interest::Beans);
    assert!(lead.consent);
    assert_eq!(lead.message, "Hi");
}

#[test]
fn names_have_inner_whitespace_collapsed() {
    assert_eq!(
        values(&[("name", "  Ana \t Lima ")])
            .validate()
            .unwrap()
            .name,
        "Ana Lima"
    );
}

#[test]
fn every_failing_field_is_reported_at_once() {
    let errors = values(&[("name", ""), ("email", "nope"), ("interest", "bitcoin")])
        .validate()
        .unwrap_err();
    assert_eq!(
        errors.fields().collect::<Vec<_>>(),
        ["email", "interest", "name"]
    );
}

#[test]
fn an_over_long_name_is_refused() {
    let long = "a".repeat(NAME_MAX + 1);
    assert!(
        values(&[("name", &long)])
            .validate()
            .unwrap_err()
            .first(LeadField::Name)
            .is_some()
    );
}

#[test]
fn implausible_emails_are_refused() {
    for bad in [
        "a@b", "@x.io", "a b@x.io", "a@-x.io", "a@x..io", "a@@x.io", "<a>@x.io",
    ] {
        assert!(
            values(&[("email", bad)]).validate().is_err(),
            "{bad} passed"
        );
    }
    for good in ["a@x.io", "first.last+tag@sub.example.co.uk", "josé@café.fr"] {
        assert!(
            values(&[("email", good)]).validate().is_ok(),
            "{good} failed"
        );
    }
}

#[test]
fn phone_is_optional_but_must_look_like_a_number() {
    assert!(values(&[("phone", "")]).validate().is_ok());
    assert!(values(&[("phone", "call me")]).validate().is_err());
    assert!(values(&[("phone", "12")]).validate().is_err());
}

#[test]
fn consent_is_only_yes_or_absent() {
    assert!(!values(&[]).validate().unwrap().consent);
    assert!(
        values(&[("consent", "maybe")])
            .validate()
            .unwrap_err()
            .first(LeadField::Consent)
            .is_some()
    );
}

#[test]
fn control_characters_in_the_message_are_refused_but_newlines_are_kept() {
    assert_eq!(
        values(&[("message", "a\r\nb")]).validate().unwrap().message,
        "a\nb"
    );
    assert!(values(&[("message", "a\u{0}b")]).validate().is_err());
}

#[test]
fn a_malformed_form_token_asks_for_a_reload() {
    let e = values(&[("form_token", "short")]).validate().unwrap_err();
    assert!(e.first_for(FORM_TOKEN_KEY).unwrap().contains("reload"));
    let ok = values(&[("form_token", "0123456789abcdef0123")])
        .validate()
        .unwrap();
    assert_eq!(ok.form_token.as_deref(), Some("0123456789abcdef0123"));
}

#[test]
fn the_honeypot_marks_a_bot() {
    assert!(values(&[("website", "http://spam")]).is_bot());
    assert!(!values(&[]).is_bot());
}

#[test]
fn every_interest_round_trips_through_its_wire_value() {
    for i in Interest::ALL {
        assert_eq!(Interest::parse(i.as_str()), Some(i));
    }
}

#[test]
fn every_field_is_read_from_the_form_under_its_key() {
    let raw: HashMap<String, String> = LeadField::ALL
        .iter()
        .map(|f| (f.key().to_owned(), format!("typed into {}", f.key())))
        .collect();
    let values = LeadFormValues::from_fields(raw);
    for field in LeadField::ALL {
        assert_eq!(values.get(field), format!("typed into {}", field.key()));
    }
}

#[test]
fn field_keys_are_distinct_and_not_the_forms_own_keys() {
    use crate::domain::lead_field::FORM_ERROR_KEY;
    let mut keys: Vec<&str> = LeadField::ALL.iter().map(|f| f.key()).collect();
    keys.extend([FORM_TOKEN_KEY, FORM_ERROR_KEY, "website"]);
    let count = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), count);
}
