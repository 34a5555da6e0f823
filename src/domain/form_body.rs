//! Strict `application/x-www-form-urlencoded` decoding. The usual decoders replace invalid UTF-8 with
//! U+FFFD and silently keep the last of repeated fields; a lead must never be stored mangled, so here both
//! are errors the visitor (or client) is told about.

use std::collections::HashMap;

use percent_encoding::percent_decode;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormBodyError {
    #[error("the form data is not valid UTF-8 text")]
    InvalidUtf8,
    #[error("the field `{0}` was sent more than once")]
    RepeatedField(String),
}

/// Decodes a urlencoded body into field → value. Unknown fields are kept; callers ignore them.
pub fn decode(body: &[u8]) -> Result<HashMap<String, String>, FormBodyError> {
    let mut fields = HashMap::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let key = decode_component(key)?;
        let value = decode_component(value)?;
        if fields.insert(key.clone(), value).is_some() {
            return Err(FormBodyError::RepeatedField(key));
        }
    }
    Ok(fields)
}

fn decode_component(raw: &[u8]) -> Result<String, FormBodyError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| FormBodyError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_signs_and_percent_escapes_are_decoded() {
        let f = decode(b"name=Ana+Mar%C3%ADa&email=a%2Bb%40x.io").unwrap();
        assert_eq!(f["name"], "Ana María");
        assert_eq!(f["email"], "a+b@x.io");
    }

    #[test]
    fn a_field_without_equals_sign_is_an_empty_value() {
        assert_eq!(decode(b"consent").unwrap()["consent"], "");
    }

    #[test]
    fn invalid_utf8_in_an_escape_is_an_error_not_a_replacement_character() {
        assert_eq!(
            decode(b"name=%FF%FE").unwrap_err(),
            FormBodyError::InvalidUtf8
        );
    }

    #[test]
    fn raw_invalid_utf8_bytes_are_an_error() {
        assert_eq!(
            decode(b"name=\xff").unwrap_err(),
            FormBodyError::InvalidUtf8
        );
    }

    #[test]
    fn a_repeated_field_is_an_error() {
        assert!(
            matches!(decode(b"name=a&name=b"), Err(FormBodyError::RepeatedField(f)) if f == "name")
        );
    }
}
