//! The word lists behind the matchers, kept small and in one place so they can be reviewed.
//!
//! Every list is written in plain surface forms; [`super::text`] stems them when it builds its
//! lookup tables, so an entry such as `renewed` also covers `Renewed`.

/// Words that carry no meaning for matching (function words and marketplace noise). A keyword
/// made only of these keeps them.
pub const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "the",
    "for",
    "with",
    "w",
    "of",
    "in",
    "on",
    "to",
    "by",
    "from",
    "at",
    "or",
    "new",
    "brand",
    "latest",
    "edition",
    "version",
    "model",
    "free",
    "shipping",
    "fast",
    "sealed",
    "genuine",
    "authentic",
    "original",
    "official",
    "oem",
];

/// One-word synonyms: `(variant, canonical)`. Only pairs that mean the same product in a deals
/// context. `headphone`/`headset` is deliberately absent: a headset usually has a microphone
/// and is sold as a different product (gaming, office).
pub const SYNONYMS: &[(&str, &str)] = &[
    ("television", "tv"),
    ("tvs", "tv"),
    ("notebook", "laptop"),
    ("smartphone", "phone"),
    ("cellphone", "phone"),
    ("earphone", "earbud"),
    ("mic", "microphone"),
    ("uhd", "4k"),
    ("cancellation", "cancel"),
    ("cancelation", "cancel"),
    ("refurb", "refurbished"),
    ("renewed", "refurbished"),
    ("restored", "refurbished"),
    ("reconditioned", "refurbished"),
    ("preowned", "used"),
    ("fridge", "refrigerator"),
    ("couch", "sofa"),
    ("bike", "bicycle"),
    ("grey", "gray"),
];

/// Multi-word synonyms: `(words, canonical)`. A title containing the words (in order, adjacent)
/// also gets the canonical term, and vice versa a keyword written either way matches both.
pub const PHRASES: &[(&[&str], &str)] = &[
    (&["noise", "cancelling"], "anc"),
    (&["wi", "fi"], "wifi"),
    (&["usb", "c"], "usbc"),
    (&["type", "c"], "usbc"),
    (&["ultra", "hd"], "4k"),
    (&["smart", "watch"], "smartwatch"),
    (&["cell", "phone"], "phone"),
    (&["mobile", "phone"], "phone"),
    (&["pre", "owned"], "used"),
    (&["open", "box"], "openbox"),
    (&["playstation", "5"], "ps5"),
    (&["t", "mobile"], "tmobile"),
    (&["solid", "state", "drive"], "ssd"),
    (&["digital", "edition"], "digitaledition"),
];

/// Brand aliases and frequent typos: `(normalised variant, canonical)`. Keys are in the form
/// [`super::text::normalize_brand`] produces (lower case, no spaces or punctuation, corporate
/// suffixes removed).
pub const BRAND_ALIASES: &[(&str, &str)] = &[
    ("samsumg", "samsung"),
    ("samung", "samsung"),
    ("sansung", "samsung"),
    ("hewlettpackard", "hp"),
    ("westerndigital", "wd"),
    ("bo", "bangolufsen"),
    ("microstar", "msi"),
    ("lenova", "lenovo"),
    ("logitec", "logitech"),
    ("applecomputer", "apple"),
];

/// Words dropped from the end of a brand name: `Sony Electronics Inc.` is `sony`.
pub const BRAND_SUFFIXES: &[&str] = &[
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "llc",
    "gmbh",
    "company",
    "electronics",
];

/// Colour words (variants of a product must not be merged).
pub const COLOURS: &[&str] = &[
    "black",
    "white",
    "silver",
    "gray",
    "grey",
    "blue",
    "red",
    "green",
    "gold",
    "pink",
    "purple",
    "yellow",
    "orange",
    "brown",
    "beige",
    "navy",
    "teal",
    "midnight",
    "starlight",
    "graphite",
    "rose",
    "bronze",
    "champagne",
    "charcoal",
    "cream",
    "lavender",
    "mint",
    "coral",
    "ivory",
];

/// Colour codes written as a one-letter suffix of a model number (`WH-1000XM5/B`, Sony style):
/// `(letter, colour)`. An unknown letter is still a code, whose colour cannot be checked.
pub const COLOUR_CODES: &[(&str, &str)] = &[
    ("b", "black"),
    ("s", "silver"),
    ("w", "white"),
    ("l", "blue"),
    ("r", "red"),
    ("p", "pink"),
    ("h", "gray"),
];

/// Model-tier words: `iPhone 15` and `iPhone 15 Pro` are different products, so the set of tier
/// words must be equal on both sides (absence means the base model). `plus` also stands for a
/// `+` after a model number (`Galaxy S24+`); `digitaledition` is the phrase `Digital Edition`.
pub const TIERS: &[&str] = &[
    "pro",
    "max",
    "plus",
    "ultra",
    "mini",
    "lite",
    "se",
    "fe",
    "air",
    "digitaledition",
];

/// Words that make a title an accessory or a bundle rather than the product itself, when they
/// appear before `with` (`Case with MagSafe` is a case; `AirPods with Charging Case` is not).
pub const ACCESSORIES: &[&str] = &[
    "case",
    "cover",
    "protector",
    "charger",
    "cable",
    "adapter",
    "mount",
    "stand",
    "skin",
    "strap",
    "sleeve",
    "holder",
    "replacement",
    "earpad",
    "remote",
    "bundle",
];

/// Nouns that make a listing an accessory of another product when they head its title (see
/// [`super::accessory`]); written as [`super::text::term`]s. Wider than [`ACCESSORIES`], which
/// only decides whether two listings can be the same product.
pub const ACCESSORY_NOUNS: &[&str] = &[
    "controller",
    "joycon",
    "gamepad",
    "case",
    "cover",
    "protector",
    "charger",
    "cable",
    "adapter",
    "mount",
    "stand",
    "skin",
    "strap",
    "sleeve",
    "holder",
    "replacement",
    "refill",
    "earpad",
    "remote",
    "dock",
    "filter",
];

/// Accessory nouns followed by these words name a product, not an accessory:
/// `(accessory noun, next word)` as terms (`Cable Modem`, `Stand Mixer`; `Case Pack 1` is how
/// sellers count units, not a case).
pub const NOT_ACCESSORY_COMPOUNDS: &[(&str, &str)] = &[
    ("cable", "modem"),
    ("case", "pack"),
    ("stand", "mixer"),
    ("filter", "pitcher"),
];

/// Words naming a product an accessory can be made for (`for PS5`, `compatible with iPhone`).
pub const ACCESSORY_TARGETS: &[&str] = &[
    "ps5",
    "ps4",
    "playstation",
    "xbox",
    "switch",
    "nintendo",
    "iphone",
    "ipad",
    "macbook",
    "laptop",
    "laptops",
    "phone",
    "phones",
    "tv",
    "console",
    "galaxy",
    "pixel",
    "airpods",
    "gopro",
    "kindle",
    "tablet",
    "quest",
    "steam",
    "watch",
    "camera",
    "dyson",
    "roomba",
    "vitamix",
    "keurig",
    "nespresso",
];

/// Product nouns and the taxonomy path ([`crate::taxonomy::CATEGORIES`]) they name, as
/// space-separated lower-case surface words. Goal analysis reads shoppers' product words with it;
/// [`super::category`] reads store category trails with it.
pub const PRODUCT_NOUNS: &[(&str, &str)] = &[
    ("headphones", "audio/headphones"),
    ("headphone", "audio/headphones"),
    ("earbuds", "audio/headphones"),
    ("earbud", "audio/headphones"),
    ("earphones", "audio/headphones"),
    ("headset", "audio/headphones"),
    ("airpods", "audio/headphones"),
    ("tv", "tv/tvs"),
    ("tvs", "tv/tvs"),
    ("television", "tv/tvs"),
    ("televisions", "tv/tvs"),
    ("laptop", "computers/laptops"),
    ("laptops", "computers/laptops"),
    ("notebook", "computers/laptops"),
    ("macbook", "computers/laptops"),
    ("chromebook", "computers/laptops"),
    ("phone", "phones/smartphones"),
    ("phones", "phones/smartphones"),
    ("smartphone", "phones/smartphones"),
    ("smartphones", "phones/smartphones"),
    ("iphone", "phones/smartphones"),
    ("tablet", "computers/tablets"),
    ("tablets", "computers/tablets"),
    ("ipad", "computers/tablets"),
    ("kindle", "computers/tablets"),
    ("camera", "cameras/cameras"),
    ("cameras", "cameras/cameras"),
    ("dslr", "cameras/cameras"),
    ("camcorder", "cameras/cameras"),
    ("webcam", "cameras/cameras"),
    ("console", "gaming/consoles"),
    ("consoles", "gaming/consoles"),
    ("ps5", "gaming/consoles"),
    ("playstation", "gaming/consoles"),
    ("xbox", "gaming/consoles"),
    ("nintendo switch", "gaming/consoles"),
    ("steam deck", "gaming/consoles"),
    ("video game", "gaming/consoles"),
    ("video games", "gaming/consoles"),
    ("controller", "gaming/accessories"),
    ("controllers", "gaming/accessories"),
    ("gaming headset", "gaming/accessories"),
    ("gaming mouse", "gaming/accessories"),
    ("mouse", "gaming/accessories"),
    ("keyboard", "gaming/accessories"),
    ("gaming keyboard", "gaming/accessories"),
    ("gaming accessories", "gaming/accessories"),
    ("video game accessories", "gaming/accessories"),
    ("monitor", "computers/monitors"),
    ("monitors", "computers/monitors"),
    ("speaker", "audio/speakers"),
    ("speakers", "audio/speakers"),
    ("soundbar", "audio/soundbars"),
    ("soundbars", "audio/soundbars"),
    ("sound bar", "audio/soundbars"),
    ("smartwatch", "wearables/smartwatches"),
    ("watch", "wearables/smartwatches"),
    ("smartwatches", "wearables/smartwatches"),
    ("smart watch", "wearables/smartwatches"),
    ("smart watches", "wearables/smartwatches"),
    ("fitness tracker", "wearables/smartwatches"),
    ("blender", "home/kitchen"),
    ("air fryer", "home/kitchen"),
    ("coffee maker", "home/kitchen"),
    ("espresso machine", "home/kitchen"),
    ("microwave", "home/kitchen"),
    ("toaster", "home/kitchen"),
    ("stand mixer", "home/kitchen"),
    ("pressure cooker", "home/kitchen"),
    ("kitchen appliances", "home/kitchen"),
    ("vacuum", "home/vacuums"),
    ("vacuums", "home/vacuums"),
    ("robot vacuum", "home/vacuums"),
    ("air purifier", "home/air-quality"),
    ("air purifiers", "home/air-quality"),
    ("air quality", "home/air-quality"),
    ("humidifier", "home/air-quality"),
    ("humidifiers", "home/air-quality"),
    ("heater", "home/air-quality"),
    ("desktop", "computers/desktops"),
    ("pc", "computers/desktops"),
    ("ssd", "computers/storage"),
    ("hard drive", "computers/storage"),
    ("hard drives", "computers/storage"),
    ("storage", "computers/storage"),
    ("router", "computers/networking"),
    ("networking", "computers/networking"),
    ("tent", "outdoor/gear"),
    ("backpack", "outdoor/gear"),
    ("sleeping bag", "outdoor/gear"),
    ("jacket", "outdoor/gear"),
    ("cooler", "outdoor/gear"),
];

/// Product nouns that name a whole category: a listing the store files under that category
/// meets such a keyword even when its title does not repeat the word (`RokuTV` is a `tv`).
/// `headphones` is not one: stores file earbuds under headphones.
pub const GENERIC_NOUNS: &[&str] = &[
    "tv",
    "laptop",
    "monitor",
    "tablet",
    "phone",
    "smartwatch",
    "watch",
    "console",
    "soundbar",
    "speaker",
    "vacuum",
    "camera",
];

/// Mobile carriers and `unlocked`: a phone locked to one carrier is another offer.
pub const CARRIERS: &[&str] = &["unlocked", "verizon", "att", "tmobile", "sprint", "cricket"];

/// Title words that mean a non-new condition, with the condition they mean.
pub const CONDITION_WORDS: &[(&str, &str)] = &[
    ("refurbished", "refurbished"),
    ("used", "used"),
    ("openbox", "open_box"),
];

/// Measurement units after a number, with their canonical spelling: `55"`, `55-inch`, `55 in`
/// and `55 Class` are all `55in`.
pub const UNITS: &[(&str, &str)] = &[
    ("inch", "in"),
    ("inches", "in"),
    ("in", "in"),
    ("class", "in"),
    ("gb", "gb"),
    ("gig", "gb"),
    ("gigabyte", "gb"),
    ("gigabytes", "gb"),
    ("tb", "tb"),
    ("terabyte", "tb"),
    ("mb", "mb"),
    ("mm", "mm"),
    ("cm", "cm"),
    ("ft", "ft"),
    ("feet", "ft"),
    ("oz", "oz"),
    ("ml", "ml"),
    ("lb", "lb"),
    ("lbs", "lb"),
    ("w", "w"),
    ("watt", "w"),
    ("watts", "w"),
    ("mah", "mah"),
    ("hz", "hz"),
    ("pack", "pk"),
    ("packs", "pk"),
    ("pk", "pk"),
    ("count", "pk"),
    ("ct", "pk"),
    ("pcs", "pk"),
    ("piece", "pk"),
    ("pieces", "pk"),
];
