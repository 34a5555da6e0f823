//! schema.org data for search engines: each café as a `CafeOrCoffeeShop` with its address, hours and
//! contact details, in one JSON-LD block. Built from the same typed copy the page shows.

use maud::{Markup, PreEscaped};
use serde_json::{Value, json};

use super::content::LOCATIONS;
use crate::views::site::{CONTACT_EMAIL, CONTACT_PHONE_INTERNATIONAL};

/// The `<script type="application/ld+json">` block for the landing page at `origin`.
pub fn cafes(origin: &str, image: &str) -> Markup {
    let places: Vec<Value> = LOCATIONS
        .iter()
        .map(|place| {
            json!({
                "@type": "CafeOrCoffeeShop",
                "name": format!("Ritual Roast · {}", place.name),
                "url": format!("{origin}/"),
                "image": format!("{origin}{image}"),
                "email": CONTACT_EMAIL,
                "telephone": CONTACT_PHONE_INTERNATIONAL,
                "servesCuisine": "Coffee",
                "priceRange": "££",
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": place.street,
                    "addressLocality": place.locality,
                    "postalCode": place.postcode,
                    "addressCountry": "GB",
                },
                "openingHoursSpecification": place.hours.iter().map(|opening| json!({
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": opening.days,
                    "opens": opening.opens,
                    "closes": opening.closes,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let data = json!({ "@context": "https://schema.org", "@graph": places });
    // Inside <script> nothing is unescaped, so `<` must never appear raw: `</script>` would end the block.
    let text = data.to_string().replace('<', "\\u003c");
    PreEscaped(format!(
        "<script type=\"application/ld+json\">{text}</script>"
    ))
}
