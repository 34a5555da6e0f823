//! The site's copy as typed data: the coffees, the cafés, what customers say. Views render these; changing
//! the menu is editing a list, not HTML.

pub struct Coffee {
    pub name: &'static str,
    pub origin: &'static str,
    pub process: &'static str,
    pub notes: &'static [&'static str],
    pub roast: &'static str,
    pub price_250g: &'static str,
}

pub const COFFEES: &[Coffee] = &[
    Coffee {
        name: "Ritual House Espresso",
        origin: "Brazil Cerrado & Ethiopia Guji",
        process: "Natural / washed blend",
        notes: &["dark chocolate", "cherry", "hazelnut"],
        roast: "Medium",
        price_250g: "£11.50",
    },
    Coffee {
        name: "Yirgacheffe Konga",
        origin: "Ethiopia, 1,900–2,100 m",
        process: "Washed",
        notes: &["jasmine", "bergamot", "peach"],
        roast: "Light",
        price_250g: "£13.00",
    },
    Coffee {
        name: "Finca La Esperanza",
        origin: "Huila, Colombia",
        process: "Honey",
        notes: &["panela", "red apple", "cacao nib"],
        roast: "Medium-light",
        price_250g: "£12.50",
    },
    Coffee {
        name: "Kiambu Peaberry",
        origin: "Kenya, Kiambu County",
        process: "Washed",
        notes: &["blackcurrant", "grapefruit", "molasses"],
        roast: "Light",
        price_250g: "£14.00",
    },
    Coffee {
        name: "Sumatra Night Shift",
        origin: "Aceh, Indonesia",
        process: "Wet-hulled",
        notes: &["cedar", "tamarind", "dark cocoa"],
        roast: "Medium-dark",
        price_250g: "£11.00",
    },
    Coffee {
        name: "Decaf Sugarcane",
        origin: "Caldas, Colombia",
        process: "Sugarcane EA decaf",
        notes: &["toffee", "orange", "milk chocolate"],
        roast: "Medium",
        price_250g: "£11.50",
    },
];

pub struct Location {
    pub name: &'static str,
    pub address: &'static str,
    pub hours: &'static [(&'static str, &'static str)],
}

pub const LOCATIONS: &[Location] = &[
    Location {
        name: "The Roastery & Tasting Bar",
        address: "14 Foundry Lane, Bristol BS1 6QA",
        hours: &[
            ("Mon–Fri", "7:30–17:00"),
            ("Saturday", "8:30–17:00"),
            ("Sunday", "9:00–15:00"),
        ],
    },
    Location {
        name: "Harbourside Kiosk",
        address: "Unit 3, Wapping Wharf, Bristol BS1 4RH",
        hours: &[("Mon–Fri", "7:00–15:30"), ("Sat–Sun", "8:00–16:00")],
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
