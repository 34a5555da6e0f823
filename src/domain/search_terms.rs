//! What the staff search matches, as plain functions so both backends index and query alike: words folded
//! to lower case without accents ("Café" is stored as "cafe"), matched by their start, and phone numbers as
//! digits whatever their spacing ("07700 900123" is found by "07700900123", "900123" or "0770 090").

/// Terms longer than this are cut (a 200-character unbroken value is one term, not a heavy one).
pub const TERM_MAX_CHARS: usize = 48;
/// The most terms one lead is indexed under: a long message costs a bounded number of rows.
const TERMS_PER_LEAD: usize = 120;
/// The shortest digit run indexed from the end of a phone number ("0123" finds "…900123").
const PHONE_SUFFIX_MIN: usize = 4;

/// Lower case, accents removed (é → e, ß → ss, ø → o), everything else kept.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => out.push('c'),
            'ď' | 'đ' | 'ð' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => out.push('g'),
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => out.push('i'),
            'ñ' | 'ń' | 'ņ' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ś' | 'ŝ' | 'ş' | 'š' => out.push('s'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ł' => out.push('l'),
            'ř' => out.push('r'),
            'ť' | 'ţ' => out.push('t'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            other => out.push(other),
        }
    }
    out
}

/// The folded words of `text`: runs of letters and digits, each cut to [`TERM_MAX_CHARS`].
fn words(text: &str) -> impl Iterator<Item = String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(TERM_MAX_CHARS).collect())
        .collect::<Vec<_>>()
        .into_iter()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Every term a lead is found under: the words of its name, email, phone and message, and the digits of
/// its phone number from each position on (so any tail of the number matches as a prefix).
pub fn index_terms(name: &str, email: &str, phone: &str, message: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let phone_digits = digits(phone);
    let tails = (0..phone_digits.len().saturating_sub(PHONE_SUFFIX_MIN - 1))
        .map(|start| phone_digits[start..].chars().take(TERM_MAX_CHARS).collect());
    for term in words(name)
        .chain(words(email))
        .chain(tails)
        .chain(words(message))
    {
        if terms.len() == TERMS_PER_LEAD {
            break;
        }
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// What a search for `query` looks for: each returned term must start some term of the lead. A query of
/// digits and phone punctuation only is one number, its digits together.
pub fn query_terms(query: &str) -> Vec<String> {
    let phone_like = query
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && digits(query).len() >= PHONE_SUFFIX_MIN;
    if phone_like {
        return vec![digits(query).chars().take(TERM_MAX_CHARS).collect()];
    }
    let mut terms: Vec<String> = Vec::new();
    for word in words(query) {
        if !terms.contains(&word) {
            terms.push(word);
        }
    }
    // Eight words narrow a search as far as it goes; more would only add work.
    terms.truncate(8);
    terms
}

/// The half-open range of stored terms that start with `prefix`: `[prefix, prefix + U+10FFFF)`, in the
/// byte order both backends compare these terms in.
pub fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}{}", char::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_fold_away() {
        assert_eq!(fold("Café Größe ØRSTED"), "cafe grosse orsted");
        assert_eq!(query_terms("CAFÉ"), ["cafe"]);
    }

    #[test]
    fn a_lead_is_indexed_under_its_words_and_the_tails_of_its_phone_number() {
        let terms = index_terms(
            "José Núñez",
            "jose.nunez@example.com",
            "07700 900123",
            "Decaf, please",
        );
        for wanted in [
            "jose",
            "nunez",
            "example",
            "com",
            "07700900123",
            "900123",
            "0123",
            "decaf",
        ] {
            assert!(terms.contains(&wanted.to_owned()), "{wanted}: {terms:?}");
        }
        assert!(
            !terms.contains(&"123".to_owned()),
            "tails stop at four digits"
        );
        assert_eq!(
            terms.iter().filter(|t| *t == "jose").count(),
            1,
            "each term once"
        );
    }

    #[test]
    fn a_phone_number_query_is_its_digits_whatever_the_spacing() {
        assert_eq!(query_terms("07700 900123"), ["07700900123"]);
        assert_eq!(query_terms("+44 (0) 7700-900.123"), ["4407700900123"]);
        assert_eq!(query_terms("12"), ["12"], "too short to be a number");
        assert_eq!(query_terms("ana 2024"), ["ana", "2024"]);
    }

    #[test]
    fn an_unbroken_value_or_a_long_message_stays_bounded() {
        let long = "x".repeat(500);
        assert_eq!(
            index_terms(&long, "", "", "")[0].chars().count(),
            TERM_MAX_CHARS
        );
        let message: String = (0..1000).map(|i| format!("w{i} ")).collect();
        assert_eq!(index_terms("", "", "", &message).len(), TERMS_PER_LEAD);
    }

    #[test]
    fn a_prefix_range_holds_the_terms_that_start_with_it() {
        let (from, to) = prefix_range("caf");
        for inside in ["caf", "cafe", "cafézzz"] {
            assert!(inside >= from.as_str() && inside < to.as_str());
        }
        assert!("cag" >= to.as_str() || "cag" < from.as_str());
    }
}
