//! The site's copy as typed data: the coffees, the cafés, what customers say. Views render these; changing
//! the menu is editing a list, not HTML.

pub struct Coffee {
    pub name: &'static str,
    pub origin: &'static str,
    pub process: &'static str,
    pub notes: &'static [&'static str],
    pub roast: &'static str,
    pub price_250g: &'static str,
    /// Its illustration under `assets/img/` (drawn for the site).
    pub picture: &'static str,
}

pub const COFFEES: &[Coffee] = &[
    Coffee {
        name: "Ritual House Espresso",
        origin: "Brazil Cerrado & Ethiopia Guji",
        process: "Natural / washed blend",
        notes: &["dark chocolate", "cherry", "hazelnut"],
        roast: "Medium",
        price_250g: "£11.50",
        picture: "img/coffee-house-espresso.svg",
    },
    Coffee {
        name: "Yirgacheffe Konga",
        origin: "Ethiopia, 1,900–2,100 m",
        process: "Washed",
        notes: &["jasmine", "bergamot", "peach"],
        roast: "Light",
        price_250g: "£13.00",
        picture: "img/coffee-yirgacheffe.svg",
    },
    Coffee {
        name: "Finca La Esperanza",
        origin: "Huila, Colombia",
        process: "Honey",
        notes: &["panela", "red apple", "cacao nib"],
        roast: "Medium-light",
        price_250g: "£12.50",
        picture: "img/coffee-la-esperanza.svg",
    },
    Coffee {
        name: "Kiambu Peaberry",
        origin: "Kenya, Kiambu County",
        process: "Washed",
        notes: &["blackcurrant", "grapefruit", "molasses"],
        roast: "Light",
        price_250g: "£14.00",
        picture: "img/coffee-kiambu.svg",
    },
    Coffee {
        name: "Sumatra Night Shift",
        origin: "Aceh, Indonesia",
        process: "Wet-hulled",
        notes: &["cedar", "tamarind", "dark cocoa"],
        roast: "Medium-dark",
        price_250g: "£11.00",
        picture: "img/coffee-sumatra.svg",
    },
    Coffee {
        name: "Decaf Sugarcane",
        origin: "Caldas, Colombia",
        process: "Sugarcane EA decaf",
        notes: &["toffee", "orange", "milk chocolate"],
        roast: "Medium",
        price_250g: "£11.50",
        picture: "img/coffee-decaf.svg",
    },
];

pub struct Location {
    pub name: &'static str,
    pub street: &'static str,
    pub locality: &'static str,
    pub postcode: &'static str,
    pub hours: &'static [Opening],
}

impl Location {
    /// One line, as on an envelope.
    pub fn address(&self) -> String {
        format!("{}, {} {}", self.street, self.locality, self.postcode)
    }
}

/// Opening hours for a run of days: `label` for people, `days` (schema.org day names) and 24-hour
/// `opens`/`closes` for machines.
pub struct Opening {
    pub label: &'static str,
    pub days: &'static [&'static str],
    pub opens: &'static str,
    pub closes: &'static str,
}

impl Opening {
    /// "7:30–17:00".
    pub fn hours(&self) -> String {
        format!(
            "{}–{}",
            self.opens.trim_start_matches('0'),
            self.closes.trim_start_matches('0')
        )
    }
}

const WEEKDAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

pub const LOCATIONS: &[Location] = &[
    Location {
        name: "The Roastery & Tasting Bar",
        street: "14 Foundry Lane",
        locality: "Bristol",
        postcode: "BS1 6QA",
        hours: &[
            Opening {
                label: "Mon–Fri",
                days: WEEKDAYS,
                opens: "07:30",
                closes: "17:00",
            },
            Opening {
                label: "Saturday",
                days: &["Saturday"],
                opens: "08:30",
                closes: "17:00",
            },
            Opening {
                label: "Sunday",
                days: &["Sunday"],
                opens: "09:00",
                closes: "15:00",
            },
        ],
    },
    Location {
        name: "Harbourside Kiosk",
        street: "Unit 3, Wapping Wharf",
        locality: "Bristol",
        postcode: "BS1 4RH",
        hours: &[
            Opening {
                label: "Mon–Fri",
                days: WEEKDAYS,
                opens: "07:00",
                closes: "15:30",
            },
            Opening {
                label: "Sat–Sun",
                days: &["Saturday", "Sunday"],
                opens: "08:00",
                closes: "16:00",
            },
        ],
    },
];

pub struct Testimonial {
    pub quote: &'static str,
    pub who: &'static str,
}

pub const TESTIMONIALS: &[Testimonial] = &[
    Testimonial {
        quote: "The Konga tastes like someone steeped a peach in Earl Grey. My mornings have a new centre of gravity.",
        who: "Priya S., subscriber since 2023",
    },
    Testimonial {
        quote: "They retrained our whole team on the grinder and dialled in the house espresso with us. Sales of flat whites went up a third.",
        who: "Tom R., owner, Stokes Croft Bakehouse",
    },
    Testimonial {
        quote: "Beans arrive two days after roasting, every time. That freshness is the whole point.",
        who: "Marta K., home barista",
    },
];
