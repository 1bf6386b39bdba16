//! Text normalisation of the matchers: tokens, stems, synonyms, brands.

use deals_core::matching::text::{
    TermKind, analyze, brand_keys, normalize_brand, stem, term, tokens,
};

#[test]
fn tokens_fold_units_generations_and_model_codes() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Apple iPhone 15 128GB Black - Unlocked",
            &["apple", "iphone", "15", "128gb", "black", "unlocked"],
        ),
        (
            "iPhone 15 (256 GB) - Black",
            &["iphone", "15", "256gb", "black"],
        ),
        (
            "Sony WH-1000XM5/B Wireless",
            &["sony", "wh1000xm5", "b", "wireless"],
        ),
        (
            "Samsung 65\" Class QN90C",
            &["samsung", "65in", "class", "qn90c"],
        ),
        ("SAMSUNG 55-Inch QN90C", &["samsung", "55in", "qn90c"]),
        ("TCL 50 in. 4K", &["tcl", "50in", "4k"]),
        ("Roku 43'' TV", &["roku", "43in", "tv"]),
        ("iPhone 15 Pro 6.1\"", &["iphone", "15", "pro", "6.1in"]),
        ("AirPods Pro (2nd Generation)", &["airpods", "pro", "gen2"]),
        ("Echo Dot Gen 5", &["echo", "dot", "gen5"]),
        ("AA Batteries, Pack of 24", &["aa", "batteries", "24pk"]),
        ("AirTag 4-Pack", &["airtag", "4pk"]),
        ("Galaxy S24+ 5G", &["galaxy", "s24", "plus", "5g"]),
        ("AT&T / T-Mobile", &["att", "t", "mobile"]),
        ("Men's Shoes", &["men", "shoes"]),
        ("2 in 1 Laptop", &["2", "in", "1", "laptop"]),
        ("USB‑C Wi-Fi 6E", &["usb", "c", "wi", "fi", "6e"]),
    ];
    for (input, expected) in cases {
        assert_eq!(tokens(input), *expected, "{input}");
    }
}

#[test]
fn stemmer_folds_plurals_and_verb_endings() {
    let cases = [
        ("headphones", "headphone"),
        ("headphone", "headphone"),
        ("cancelling", "cancel"),
        ("canceling", "cancel"),
        ("cancelled", "cancel"),
        ("canceled", "cancel"),
        ("batteries", "battery"),
        ("watches", "watch"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("wireless", "wireless"),
        ("charging", "charge"),
        ("charged", "charge"),
        ("gaming", "game"),
        ("streaming", "stream"),
        ("running", "run"),
        ("wired", "wire"),
        ("paired", "pair"),
        ("speed", "speed"),
        ("ring", "ring"),
        ("string", "string"),
        ("series", "series"),
        ("used", "used"),
        ("tvs", "tvs"),
        ("écouteurs", "écouteurs"),
    ];
    for (word, expected) in cases {
        assert_eq!(stem(word), expected, "{word}");
    }
}

#[test]
fn synonyms_fold_to_one_term() {
    let same = [
        ("television", "tv"),
        ("tvs", "tv"),
        ("notebook", "laptop"),
        ("earphones", "earbuds"),
        ("renewed", "refurbished"),
        ("grey", "gray"),
        ("uhd", "4k"),
    ];
    for (a, b) in same {
        assert_eq!(term(a), term(b), "{a} ~ {b}");
    }
    assert_ne!(term("headset"), term("headphones"));
}

#[test]
fn phrases_keep_their_words_and_add_the_canonical_term() {
    for text in [
        "Noise Cancelling",
        "noise-canceling",
        "Noise Cancellation",
        "NOISE CANCELED",
    ] {
        let terms = analyze(text);
        let all: Vec<(&str, TermKind)> = terms.iter().map(|t| (t.text.as_str(), t.kind)).collect();
        assert_eq!(
            all,
            [
                ("noise", TermKind::PhraseWord),
                ("cancel", TermKind::PhraseWord),
                ("anc", TermKind::Phrase)
            ],
            "{text}"
        );
    }
    let anc: Vec<String> = analyze("ANC").into_iter().map(|t| t.text).collect();
    assert_eq!(anc, ["anc"]);
}

#[test]
fn brands_normalise_with_aliases_and_suffixes() {
    let cases = [
        ("Samsung", "samsung"),
        ("SAMSUMG", "samsung"),
        ("Samsung Electronics Co., Ltd.", "samsung"),
        ("Sony Electronics Inc.", "sony"),
        ("Hewlett-Packard", "hp"),
        ("HP", "hp"),
        ("Western Digital", "wd"),
        ("B&O", "bangolufsen"),
        ("Bang & Olufsen", "bangolufsen"),
        ("LG Electronics", "lg"),
        ("3M", "3m"),
    ];
    for (name, key) in cases {
        assert_eq!(normalize_brand(name), key, "{name}");
    }
    let keys = brand_keys("Western Digital 2TB WD Blue");
    assert!(keys.contains(&"wd".to_owned()));
    assert!(brand_keys("SAMSUMG 65 inch TV").contains(&"samsung".to_owned()));
}
