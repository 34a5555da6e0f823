//! A page rendered once with placeholders, then filled per request: the landing page differs between
//! requests only by its form token and (without `site.public_url`) the origin in its absolute links, so
//! serving it is a few string copies instead of a render.

/// What a request fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hole {
    Origin,
    FormToken,
}

/// Stands in for the site's origin while rendering: a valid URL, so nothing escapes or rewrites it.
pub const ORIGIN_PLACEHOLDER: &str = "https://rr-origin-placeholder.invalid";
/// Stands in for the form token: the shape of a real one.
pub const TOKEN_PLACEHOLDER: &str = "0rrformtokenplaceholder000000000";

/// The rendered page cut at every placeholder.
pub struct Prerendered {
    parts: Vec<(String, Option<Hole>)>,
    len: usize,
}

impl Prerendered {
    pub fn new(page: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = page;
        loop {
            let next = [
                (
                    rest.find(ORIGIN_PLACEHOLDER),
                    Hole::Origin,
                    ORIGIN_PLACEHOLDER,
                ),
                (
                    rest.find(TOKEN_PLACEHOLDER),
                    Hole::FormToken,
                    TOKEN_PLACEHOLDER,
                ),
            ]
            .into_iter()
            .filter_map(|(at, hole, text)| at.map(|at| (at, hole, text)))
            .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, hole, text)) => {
                    parts.push((rest[..at].to_owned(), Some(hole)));
                    rest = &rest[at + text.len()..];
                }
                None => {
                    parts.push((rest.to_owned(), None));
                    break;
                }
            }
        }
        Self {
            len: page.len(),
            parts,
        }
    }

    pub fn fill(&self, origin: &str, form_token: &str) -> String {
        let mut page = String::with_capacity(self.len + 256);
        for (text, hole) in &self.parts {
            page.push_str(text);
            match hole {
                Some(Hole::Origin) => page.push_str(origin),
                Some(Hole::FormToken) => page.push_str(form_token),
                None => {}
            }
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_and_nothing_else_changes() {
        let page = format!(
            "<a href=\"{ORIGIN_PLACEHOLDER}/\">x</a><input value=\"{TOKEN_PLACEHOLDER}\"><meta content=\"{ORIGIN_PLACEHOLDER}/i.jpg\">"
        );
        assert_eq!(
            Prerendered::new(&page).fill("https://a.example", "tok"),
            "<a href=\"https://a.example/\">x</a><input value=\"tok\"><meta content=\"https://a.example/i.jpg\">"
        );
    }
}
