//! Small static pages: the thank-you page and the privacy note.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::html;

use crate::views::html_response;
use crate::views::layout::Page;

pub async fn thanks() -> HttpResponse {
    html_response(
        StatusCode::OK,
        Page::new("Thank you").render_for_visitors(html! {
            main #main .thanks data-testid="thanks" {
                h1 { "Thank you — we've got your note." }
                p { "A real person at the roastery will reply within one working day." }
                p { a href="/" { "Back to the coffees" } }
            }
        }),
    )
}

pub async fn privacy() -> HttpResponse {
    html_response(StatusCode::OK, Page::new("Privacy").render_for_visitors(html! {
        main #main .privacy {
            h1 { "Privacy note" }
            h2 { "What we collect" }
            p { "Only what you type into the contact form: your name, email, optionally a phone number and a message, what you are interested in, and whether you want marketing emails." }
            h2 { "What we use it for" }
            p { "To answer your enquiry. Marketing emails (new coffees, events) are sent only if you tick the consent box; we record when you gave consent, and you can withdraw it any time by replying to any email." }
            h2 { "News by email" }
            p { "If you sign up for news by email, we keep your address and when you signed up, and use it only for that newsletter. Every email has an unsubscribe link; unsubscribing deletes your address." }
            h2 { "How long we keep it" }
            p { "We keep enquiries for 24 months, then delete them. To see, correct or delete what we hold about you, email hello@ritualroast.example." }
            h2 { "Cookies and tracking" }
            p { "This site sets no cookies for visitors and uses no trackers, analytics or third-party scripts; every file is served from our own server." }
        }
    }))
}
