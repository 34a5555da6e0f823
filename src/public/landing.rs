//! `GET /`: the marketing page — hero, coffees, story, visit us, what people say, the lead form, footer.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, PreEscaped, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::content::{COFFEES, LOCATIONS, Location, TESTIMONIALS};
use super::news::news_signup_form;
use super::structured_data;
use crate::assets;
use crate::domain::{FieldErrors, Interest, LeadField, LeadFormValues};
use crate::forwarded::site_origin;
use crate::state::AppState;
use crate::views::html_response;
use crate::views::icons;
use crate::views::layout::Page;
use crate::views::lead_form::{LeadFormView, new_form_token};
use crate::views::prerendered::{ORIGIN_PLACEHOLDER, Prerendered, TOKEN_PLACEHOLDER};

/// The fresh landing page, rendered once per preselected interest (none, then each of `Interest::ALL`) with
/// placeholders for the form token and the site's origin; a request fills them in.
static FRESH_PAGES: LazyLock<Vec<Prerendered>> = LazyLock::new(|| {
    let mut choices = vec![None];
    choices.extend(Interest::ALL.map(Some));
    choices
        .into_iter()
        .map(|interest| {
            let mut values = LeadFormValues::fresh(TOKEN_PLACEHOLDER.to_owned());
            if let Some(interest) = interest {
                values.set(LeadField::Interest, interest.as_str());
            }
            Prerendered::new(
                &render(&values, &FieldErrors::default(), ORIGIN_PLACEHOLDER).into_string(),
            )
        })
        .collect()
});

/// `GET /`, and `GET /?interest=subscription` from links that choose what the form is about.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let chosen = preselected_interest(req.query_string())
        .and_then(|interest| Interest::ALL.iter().position(|i| *i == interest))
        .map_or(0, |at| at + 1);
    let origin = site_origin(&req, &state.settings);
    let page = FRESH_PAGES[chosen].fill(&origin, &new_form_token());
    html_response(StatusCode::OK, PreEscaped(page))
}

fn preselected_interest(query: &str) -> Option<Interest> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == LeadField::Interest.key())
        .and_then(|(_, value)| Interest::parse(&value))
}

/// The whole landing page at `origin`; `values`/`errors` fill the form after a failed submission.
pub fn render(values: &LeadFormValues, errors: &FieldErrors, origin: &str) -> Markup {
    let form = LeadFormView { values, errors }.render();
    Page::new("Ritual Roast")
        .description("Ritual Roast: small-batch specialty coffee from Bristol, roasted every Tuesday and delivered within days.")
        .script("js/lead-form.js")
        .shared_as(origin, "/")
        .head(structured_data::cafes(origin, assets::url("img/espresso-600.jpg")))
        .render_for_visitors(html! {
            main #main {
                (hero())
                (coffees())
                (story())
                (visit())
                (proof())
                section #contact .section.section--alt.contact aria-labelledby="contact-title" {
                    div.wrap {
                        div {
                            h2 #contact-title { "Tell us what you're after" }
                            p.section-intro { "Subscriptions, wholesale for your café or office, a bag for the weekend, a brewing class for your team — leave your details and a real person at the roastery replies within one working day." }
                            ul {
                                li { "No spam: marketing emails only if you tick the box." }
                                li { "Wholesale tastings are free within 30 miles of Bristol." }
                            }
                        }
                        (form)
                    }
                }
                (news_signup_form(""))
            }
        })
}

fn hero() -> Markup {
    html! {
        section.hero aria-labelledby="hero-title" {
            div.wrap {
                div {
                    p.eyebrow { "Roasted every Tuesday in Bristol" }
                    h1 #hero-title { "Coffee worth the ritual." }
                    p.lede { "Seasonal single origins and a house espresso we're proud of, roasted in small batches and at your door within days." }
                    div.actions {
                        a.button.button--primary href="/?interest=subscription#contact" data-interest="subscription" data-testid="cta" { "Start a subscription" }
                        a.button.button--light href="#coffees" { "See this week's coffees" }
                    }
                }
                div {
                    picture {
                        source type="image/avif" srcset={ (assets::url("img/espresso-400.avif")) " 400w, " (assets::url("img/espresso-600.avif")) " 600w" } sizes="(min-width: 760px) 45vw, 100vw";
                        source type="image/webp" srcset={ (assets::url("img/espresso-400.webp")) " 400w, " (assets::url("img/espresso-600.webp")) " 600w" } sizes="(min-width: 760px) 45vw, 100vw";
                        img src=(assets::url("img/espresso-600.jpg")) srcset={ (assets::url("img/espresso-400.jpg")) " 400w, " (assets::url("img/espresso-600.jpg")) " 600w" }
                            sizes="(min-width: 760px) 45vw, 100vw" width="600" height="400" fetchpriority="high"
                            alt="An espresso with a thick crema in a red cup on a wooden table";
                    }
                }
            }
        }
    }
}

fn coffees() -> Markup {
    html! {
        section #coffees .section aria-labelledby="coffees-title" {
            div.wrap {
                h2 #coffees-title { "This week's coffees" }
                p.section-intro { "Six coffees, each bought from a farm or co-op we know by name and roasted to taste like where it grew. 250 g bags, whole bean or ground for your brewer." }
                div.grid.grid--3 {
                    @for coffee in COFFEES {
                        article.card.coffee data-testid="coffee" {
                            img.coffee__picture src=(assets::url(coffee.picture)) alt="" width="160" height="120" loading="lazy" decoding="async";
                            h3 { (coffee.name) }
                            p.origin { (coffee.origin) " · " (coffee.process) }
                            ul.notes aria-label="Tasting notes" { @for note in coffee.notes { li { (note) } } }
                            p { span.roast-level { (coffee.roast) " roast" } " · " span.price { (coffee.price_250g) " / 250 g" } }
                        }
                    }
                }
            }
        }
    }
}

fn story() -> Markup {
    html! {
        section #story .section.section--alt aria-labelledby="story-title" {
            div.wrap.story {
                div {
                    h2 #story-title { "Our story" }
                    p { "Ritual Roast started in 2016 with a 5 kg drum roaster in a railway arch and a simple idea: coffee tastes best when the people who grow it, roast it and brew it all know each other." }
                    p { "We still roast every batch by hand, cup every lot before it ships, and pay at least 40 % above the Fairtrade minimum — with the price published for every coffee we buy." }
                }
                div.grid {
                    div.card { (icons::leaf()) h3 { "Traceable to the farm" } p { "Every bag names its producer, altitude and process, and what we paid for it." } }
                    div.card { (icons::cup()) h3 { "Roasted to order" } p { "We roast on Tuesdays and ship by Thursday: your beans are never older than a week." } }
                }
            }
        }
    }
}

fn visit() -> Markup {
    html! {
        section #visit .section aria-labelledby="visit-title" {
            div.wrap {
                h2 #visit-title { "Visit us" }
                div.grid.grid--2.locations {
                    @for location in LOCATIONS {
                        article.card {
                            (icons::pin())
                            h3 { (location.name) }
                            p { (location.address()) }
                            dl { @for opening in location.hours { dt { (opening.label) } dd { (opening.hours()) } } }
                            p { a href=(directions_href(location)) rel="noopener" data-testid="directions" { "Directions to " (location.name) " (OpenStreetMap)" } }
                        }
                    }
                }
            }
        }
    }
}

fn proof() -> Markup {
    html! {
        section .section.section--alt aria-labelledby="proof-title" {
            div.wrap {
                h2 #proof-title { "What people say" }
                div.stats {
                    div.stat { span.stat__value { "1,200+" } span.stat__label { "subscribers across the UK" } }
                    div.stat { span.stat__value { "38" } span.stat__label { "cafés and offices we supply" } }
                    div.stat { span.stat__value { "4.9 / 5" } span.stat__label { "from 640 reviews" } }
                }
                div.grid.grid--3 {
                    @for t in TESTIMONIALS {
                        figure.card.quote { blockquote { p { "“" (t.quote) "”" } } figcaption { (t.who) } }
                    }
                }
            }
        }
    }
}

/// A map search for the address: a plain link, so nothing is loaded from the map site until it is followed.
fn directions_href(location: &Location) -> String {
    format!(
        "https://www.openstreetmap.org/search?query={}",
        utf8_percent_encode(&location.address(), NON_ALPHANUMERIC)
    )
}
