//! A page rendered once with placeholders, then filled per request: the landing page differs between
//! requests only by its form token and (without `site.public_url`) the origin in its absolute links, so
//! serving it is a list of shared pieces and a few short copies instead of a render. The pieces go to the
//! connection's write buffer as they are: the page is copied once per request, not twice.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;

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
    parts: Vec<(Bytes, Option<Hole>)>,
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
                    parts.push((Bytes::copy_from_slice(&rest.as_bytes()[..at]), Some(hole)));
                    rest = &rest[at + text.len()..];
                }
                None => {
                    parts.push((Bytes::copy_from_slice(rest.as_bytes()), None));
                    break;
                }
            }
        }
        Self { parts }
    }

    /// The page for one request, as a response body.
    pub fn fill(&self, origin: &str, form_token: &str) -> FilledPage {
        let origin = Bytes::copy_from_slice(origin.as_bytes());
        let form_token = Bytes::copy_from_slice(form_token.as_bytes());
        let mut pieces = Vec::with_capacity(self.parts.len() * 2);
        for (text, hole) in &self.parts {
            pieces.push(text.clone());
            match hole {
                Some(Hole::Origin) => pieces.push(origin.clone()),
                Some(Hole::FormToken) => pieces.push(form_token.clone()),
                None => {}
            }
        }
        let size = pieces.iter().map(Bytes::len).sum::<usize>() as u64;
        FilledPage {
            pieces: pieces.into_iter(),
            size,
        }
    }
}

/// A filled page: its pieces in order, with the total length known up front (a `Content-Length`, not a
/// chunked body).
pub struct FilledPage {
    pieces: std::vec::IntoIter<Bytes>,
    size: u64,
}

impl MessageBody for FilledPage {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.size)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(self.get_mut().pieces.next().map(Ok))
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
        let filled = Prerendered::new(&page).fill("https://a.example", "tok");
        let expected = "<a href=\"https://a.example/\">x</a><input value=\"tok\"><meta content=\"https://a.example/i.jpg\">";
        assert_eq!(filled.size(), BodySize::Sized(expected.len() as u64));
        let bytes: Vec<u8> = filled.pieces.flat_map(|piece| piece.to_vec()).collect();
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }
}
