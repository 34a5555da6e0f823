//! `mailto:` and `tel:` links built from visitor-supplied values. An address such as
//! `x?bcc=all@example.com` passes the form's plausibility check; written into `mailto:` as it is, it would
//! add recipients, so everything but the address's own characters is percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Left as they are: what an ordinary address is made of.
const ADDRESS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'@')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'+');

pub fn mailto_href(email: &str) -> String {
    format!("mailto:{}", utf8_percent_encode(email, ADDRESS))
}

/// `tel:+447700900123` from "+44 (0)7700 900123"-style input: a leading `+` and the digits; `None` when
/// there are no digits to dial.
pub fn tel_href(phone: &str) -> Option<String> {
    let plus = if phone.trim_start().starts_with('+') {
        "+"
    } else {
        ""
    };
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("tel:{plus}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_cannot_add_recipients_or_headers_to_a_mailto_link() {
        assert_eq!(mailto_href("ana@example.com"), "mailto:ana@example.com");
        assert_eq!(
            mailto_href("x?bcc=all@example.com"),
            "mailto:x%3Fbcc%3Dall@example.com"
        );
        assert_eq!(mailto_href("a&cc=b@c.d"), "mailto:a%26cc%3Db@c.d");
    }

    #[test]
    fn phone_links_dial_only_digits() {
        assert_eq!(
            tel_href("+44 7700 900123").as_deref(),
            Some("tel:+447700900123")
        );
        assert_eq!(
            tel_href("(0161) 496-0000").as_deref(),
            Some("tel:01614960000")
        );
        assert_eq!(tel_href("call me"), None);
    }
}
