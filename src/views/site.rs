//! The public site's header and footer, shared by every visitor-facing page (the landing page, the
//! thank-you and privacy pages, error pages).

use maud::{Markup, html};

use super::icons;

pub fn site_header() -> Markup {
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

pub fn site_footer() -> Markup {
    html! {
        footer.site-footer {
            div.wrap {
                div {
                    p { strong { "Ritual Roast" } " · small-batch roasters since 2016 · Bristol, UK" }
                    p { "We use the details you send us only to reply, and for marketing emails only if you say yes. " a href="/privacy" { "Privacy note" } }
                }
                div { p { "hello@ritualroast.example" br; "0117 496 0321" } }
                div { p.credit { "Photo: Rachel Michetti, courtesy of Pikolo Espresso Bar (CC0)." } }
            }
        }
    }
}
