//! Same-product matching by model code, brand alias and accessory guard: the cases stores
//! write differently for one product, and the near misses that must stay apart.

use deals_core::matching::{ProductFeatures, ProductKey, SameProduct, same_product};

fn key<'a>(title: &'a str, brand: Option<&'a str>, model: Option<&'a str>) -> ProductKey<'a> {
    ProductKey {
        title,
        brand,
        model,
        ..ProductKey::default()
    }
}

fn same(a: &ProductKey, b: &ProductKey) -> bool {
    same_product(a, b) != SameProduct::No
}

#[test]
fn one_model_number_written_in_each_store_style_is_one_product() {
    let pairs = [
        (
            key("Sony Wireless Headphones WH1000XM5/B", Some("Sony"), None),
            key(
                "SONY WH-1000XM5 Industry Leading Noise Canceling Over-Ear Headphones with Mic for Calls and Auto Optimizer",
                Some("Sony"),
                None,
            ),
        ),
        (
            key(
                "Samsung Neo QLED 4K Smart TV",
                Some("Samsung"),
                Some("QN65QN90CAFXZA"),
            ),
            key(
                "SAMSUNG 65-Inch Class QN90C Neo QLED 4K Smart TV",
                None,
                None,
            ),
        ),
        (
            key(
                "belkin pro series usb mini-b cable 6 feet",
                Some("belkin"),
                Some("f3u138-06"),
            ),
            key(
                "belkin f3u138-06 pro series usb min-b cable",
                Some("belkin"),
                None,
            ),
        ),
    ];
    for (a, b) in pairs {
        assert!(same(&a, &b), "{} / {}", a.title, b.title);
    }
}

#[test]
fn a_different_model_number_is_another_product_even_when_the_titles_agree() {
    let pairs = [
        (
            key(
                "Sony WH-1000XM4 Wireless Noise Canceling Headphones, White",
                Some("Sony"),
                None,
            ),
            key(
                "Sony WF-1000XM4 Wireless Noise Canceling Earbuds, White",
                Some("Sony"),
                None,
            ),
        ),
        (
            key("canon vixia hf10 high definition camcorder", None, None),
            key("canon vixia hf100 high definition camcorder", None, None),
        ),
        (
            key("zyxel pla401v3 homeplug av powerline adapter", None, None),
            key(
                "zyxel pla401v3kit homeplug av powerline adapter",
                None,
                None,
            ),
        ),
        (
            key(
                "hon 10707rnn 10700 series right pedestal credenza",
                None,
                None,
            ),
            key(
                "hon 10707rcc 10700 series right pedestal credenza",
                None,
                None,
            ),
        ),
        (
            key(
                "NIKON Z8 Full-Frame Mirrorless Camera Body",
                Some("Nikon"),
                None,
            ),
            key(
                "Nikon Zf Full-Frame Mirrorless Camera Body",
                Some("Nikon"),
                None,
            ),
        ),
        (
            key(
                "Ultimate Ears MEGABOOM 4 Portable Waterproof Bluetooth Speaker, Blue",
                Some("Ultimate Ears"),
                None,
            ),
            key(
                "Ultimate Ears WONDERBOOM 4 Portable Waterproof Bluetooth Speaker - Blue",
                Some("Ultimate Ears"),
                None,
            ),
        ),
        (
            key(
                "Samsung T7 Shield Portable SSD 2TB MU-PE2T0S",
                Some("Samsung"),
                None,
            ),
            key(
                "Samsung T7 Shield Portable SSD 1TB MU-PE2T0S",
                Some("Samsung"),
                None,
            ),
        ),
    ];
    for (a, b) in pairs {
        assert!(!same(&a, &b), "{} / {}", a.title, b.title);
    }
}

#[test]
fn joy_con_controllers_are_never_the_switch_console() {
    let console = [
        "Nintendo Switch Console with Neon Blue and Neon Red Joy-Con",
        "Nintendo Console with Neon Blue and Neon Red Joy-Con, Switch, New",
    ];
    let joy_con = [
        "Nintendo Switch Joy-Con (L)/(R) Controllers Neon Red and Neon Blue",
        "NEW Nintendo Joy-Con (L)/(R) Switch Controllers Neon Red and Neon Blue SEALED",
    ];
    for c in console {
        for j in joy_con {
            let (a, b) = (
                key(c, Some("Nintendo"), None),
                key(j, Some("Nintendo"), None),
            );
            assert_eq!(same_product(&a, &b), SameProduct::No, "{c} / {j}");
        }
    }
    let (a, b) = (key(joy_con[0], None, None), key(joy_con[1], None, None));
    assert!(
        same(&a, &b),
        "the controllers at two stores are one product"
    );
}

#[test]
fn sub_brands_and_brand_spellings_name_the_same_maker() {
    let pairs = [
        (
            key(
                "Logitech Ultimate Ears 700 Earphones",
                Some("Logitech"),
                Some("985-000172"),
            ),
            key(
                "Ultimate Ears 700 Noise-Isolating Earphones",
                Some("Ultimate Ears"),
                Some("985-000172"),
            ),
        ),
        (
            key(
                "cinewhite cinema235 series fixed frame screen r85wh1",
                Some("elite screens"),
                None,
            ),
            key(
                "elite cinewhite cinema235 fixed frame screen r85wh1",
                Some("elite"),
                None,
            ),
        ),
        (
            key(
                "griffin formfit for ipod touch 4g gb01957",
                Some("arkon"),
                None,
            ),
            key(
                "griffin technology formfit for ipod touch 4g black gb01957",
                Some("griffin technology"),
                None,
            ),
        ),
    ];
    for (a, b) in pairs {
        assert!(same(&a, &b), "{} / {}", a.title, b.title);
    }
    let (sony, bose) = (
        key("WH-1000XM5 Headphones", Some("Sony"), None),
        key("WH-1000XM5 Headphones", Some("Bose"), None),
    );
    assert_eq!(same_product(&sony, &bose), SameProduct::No, "two makers");
}

#[test]
fn an_accessory_named_without_its_accessory_word_at_another_store_is_not_refused_as_one() {
    let pairs = [
        (
            "kenwood ipod mobile interface kcaip500",
            "kenwood kca-ip500 ipod interface/controller kcaip500",
        ),
        (
            "uniden dect 6.0 accessory handset and charging cradle dcx200",
            "uniden dcx200 dect 6.0 cordless handset",
        ),
    ];
    for (a, b) in pairs {
        let (a, b) = (key(a, None, None), key(b, None, None));
        // The accessory guard leaves the pair to the learned model (it shares the accessory's
        // own code), instead of refusing it outright.
        assert!(
            ProductFeatures::new(&a)
                .pair_features(&ProductFeatures::new(&b))
                .is_some(),
            "{} / {}",
            a.title,
            b.title
        );
    }
}

#[test]
fn an_accessory_made_for_a_model_is_never_that_model() {
    let headphones = key(
        "Sony WH-1000XM5 Wireless Noise Canceling Headphones, Black",
        Some("Sony"),
        Some("WH1000XM5/B"),
    );
    for pads in [
        "Replacement Ear Pads for Sony WH-1000XM5 Headphones, Black",
        "Sony WH-1000XM5 Replacement Ear Pads Cushions for WH1000XM5",
    ] {
        let pads = key(pads, Some("Sony"), None);
        assert_eq!(same_product(&headphones, &pads), SameProduct::No);
    }
}

#[test]
fn store_item_numbers_do_not_veto_but_rival_model_numbers_do() {
    // A store's own item number against the maker's part number says nothing.
    let a = key(
        "motorola h17 bluetooth headset",
        Some("motorola"),
        Some("89334m"),
    );
    let b = key(
        "motorola h17 bluetooth headset black",
        Some("motorola"),
        Some("sj0979a"),
    );
    assert!(
        ProductFeatures::new(&a)
            .pair_features(&ProductFeatures::new(&b))
            .is_some(),
        "left to the learned model"
    );
    // Two model numbers of one scheme that differ name two models.
    let c = key(
        "Samsung 65 inch Neo QLED 4K Smart TV",
        Some("Samsung"),
        Some("QN65QN90C"),
    );
    let d = key(
        "Samsung 65 inch Neo QLED 4K Smart TV",
        Some("Samsung"),
        Some("QN65QN85C"),
    );
    assert_eq!(same_product(&c, &d), SameProduct::No);
}

#[test]
fn digits_and_unknown_letters_after_a_number_are_no_colour_code() {
    let a = key(
        "pendaflex two-ply dark kraft file folders 1 3 cut top tab brown 100 box rk15313",
        Some("pendaflex"),
        None,
    );
    let b = key(
        "pendaflex rk15313 two-ply dark kraft file folders top tab brown 100 box",
        Some("pendaflex"),
        None,
    );
    assert!(same(&a, &b));
    // `/B` is black, so not the silver one.
    let black = key("Sony WH-1000XM4/B Wireless Headphones", Some("Sony"), None);
    let silver = key(
        "Sony WH-1000XM4 Wireless Headphones Silver",
        Some("Sony"),
        None,
    );
    assert_eq!(same_product(&black, &silver), SameProduct::No);
}

#[test]
fn rival_codes_in_the_titles_are_two_models_whatever_the_learned_model_says() {
    let pairs = [
        (
            "Sony WH-1000XM4 Wireless Headphones",
            "Sony WH-1000XM5 Wireless Headphones",
        ),
        (
            "hon 10707rnn 10700 series right pedestal credenza",
            "hon 10707rcc 10700 series right pedestal credenza",
        ),
        (
            "zyxel pla401v3 homeplug av powerline adapter",
            "zyxel pla401v3kit homeplug av powerline adapter",
        ),
    ];
    for (a, b) in pairs {
        let (x, y) = (
            ProductFeatures::new(&key(a, None, None)),
            ProductFeatures::new(&key(b, None, None)),
        );
        assert!(x.pair_features(&y).is_none(), "{a} / {b}: a hard rule");
        assert_eq!(x.same_as(&y), SameProduct::No, "{a} / {b}");
    }
}

#[test]
fn a_code_written_apart_at_another_store_is_the_same_code() {
    let pairs = [
        (
            "sony dvp-nc800h / s dvd player",
            "sony silver 1080p upscaling 5-disc dvd player dvpnc800hs",
        ),
        (
            "sennheiser hi-fi wireless headphone rs130",
            "sennheiser rs 130 wireless headphone",
        ),
        (
            "tomtom gps mount and usb car charger 9n00101",
            "tomtom gps receiver accessory kit 9n00 .101",
        ),
    ];
    for (a, b) in pairs {
        assert!(same(&key(a, None, None), &key(b, None, None)), "{a} / {b}");
    }
}
