//! The public site's header and footer, around every visitor-facing page through
//! `Page::render_for_visitors` (the landing page, the thank-you and privacy pages, error pages).

use maud::{Markup, html};

use super::contact_links::{mailto_href, tel_href};
use super::icons;

/// How visitors reach the roastery: shown in the footer, given to search engines as structured data.
pub const CONTACT_EMAIL: &str = "hello@ritualroast.example";
pub const CONTACT_PHONE: &str = "0117 496 0321";
/// The same number as dialled from abroad (for `tel:` links and structured data).
pub const CONTACT_PHONE_INTERNATIONAL: &str = "+44 117 496 0321";

pub(super) fn site_header() -> Markup {
    html! {
        header.site-header {
            div.wrap {
                a.brand href="/" { (icons::logo()) "Ritual Roast" }
                nav.site-nav aria-label="Main" {
                    a href="/#coffees" { "Coffees" }
                    a href="/#story" { "Our story" }
                    a href="/#visit" { "Visit" }
                    a href="/#contact" { "Contact" }
                }
            }
        }
    }
}

pub(super) fn site_footer() -> Markup {
    html! {
        footer.site-footer {
            div.wrap {
                div {
                    p { strong { "Ritual Roast" } " · small-batch roasters since 2016 · Bristol, UK" }
                    p { "We use the details you send us only to reply, and for marketing emails only if you say yes. " a href="/privacy" { "Privacy note" } }
                }
                div {
                    p {
                        a href=(mailto_href(CONTACT_EMAIL)) data-testid="footer-email" { (CONTACT_EMAIL) } br;
                        @if let Some(tel) = tel_href(CONTACT_PHONE_INTERNATIONAL) { a href=(tel) data-testid="footer-phone" { (CONTACT_PHONE) } }
                    }
                }
                div { p.credit { "Photo: Rachel Michetti, courtesy of Pikolo Espresso Bar (CC0)." } }
            }
        }
    }
}
