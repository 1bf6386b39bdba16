//! How each store names a catalogue category, in its own words and separator style.

use crate::sim::catalog::CatalogProduct;

/// The store's category trail for `p`; `store` is an index into [`crate::STORES`].
pub(crate) fn store_category(store: usize, p: &CatalogProduct) -> String {
    let name = p.name.to_lowercase();
    let has = |w: &str| name.contains(w);
    match store {
        0 => amazon(p, &has),
        1 => walmart(p),
        2 => bestbuy(p, &has),
        3 => target(p),
        _ => ebay(p),
    }
}

fn amazon(p: &CatalogProduct, has: &dyn Fn(&str) -> bool) -> String {
    let trail = match p.category.as_str() {
        "audio/headphones" if has("earbuds") => {
            "Electronics › Headphones, Earbuds & Accessories › Earbud Headphones"
        }
        "audio/headphones" => "Electronics › Headphones, Earbuds & Accessories › Headphones",
        "audio/speakers" => "Electronics › Portable Audio & Video › Portable Speakers",
        "audio/soundbars" => "Electronics › Home Audio › Soundbars",
        "tv/tvs" => "Electronics › Television & Video › Televisions",
        "computers/laptops" => "Electronics › Computers & Accessories › Laptops",
        "computers/monitors" => "Electronics › Computers & Accessories › Monitors",
        "computers/tablets" => "Electronics › Computers & Accessories › Tablets",
        "computers/storage" => "Electronics › Computers & Accessories › Data Storage",
        "computers/networking" => "Electronics › Computers & Accessories › Networking Products",
        "phones/smartphones" => "Cell Phones & Accessories › Cell Phones › Smartphones",
        "cameras/cameras" if has("action") || has("360") => {
            "Electronics › Camera & Photo › Action Cameras"
        }
        "cameras/cameras" => "Electronics › Camera & Photo › Digital Cameras",
        "gaming/consoles" => "Video Games › Consoles",
        "gaming/accessories" => "Video Games › Gaming Accessories",
        "wearables/smartwatches" => "Electronics › Wearable Technology › Smartwatches",
        "home/vacuums" if has("robot") => "Home & Kitchen › Vacuums & Floor Care › Robotic Vacuums",
        "home/vacuums" => "Home & Kitchen › Vacuums & Floor Care › Vacuums",
        "home/kitchen" => "Home & Kitchen › Kitchen & Dining › Kitchen Small Appliances",
        "home/air-quality" if has("humidifier") && !has("purifier") => {
            "Home & Kitchen › Heating, Cooling & Air Quality › Humidifiers"
        }
        _ => "Home & Kitchen › Heating, Cooling & Air Quality › Air Purifiers",
    };
    trail.to_owned()
}

fn walmart(p: &CatalogProduct) -> String {
    let trail = match p.category.as_str() {
        "audio/headphones" => "Electronics/Audio/Headphones",
        "audio/speakers" => "Electronics/Audio/Speakers",
        "audio/soundbars" => "Electronics/TV & Video/Soundbars",
        "tv/tvs" => "Electronics/TV & Video/TVs",
        "computers/laptops" => "Electronics/Computers/Laptops",
        "computers/monitors" => "Electronics/Computers/Monitors",
        "computers/tablets" => "Electronics/iPad & Tablets/Tablets",
        "computers/storage" => "Electronics/Computers/Computer Storage",
        "computers/networking" => "Electronics/Computers/Networking",
        "phones/smartphones" => "Cell Phones/Unlocked Phones/Smartphones",
        "cameras/cameras" => "Electronics/Cameras & Camcorders/Cameras",
        "gaming/consoles" => "Video Games/Video Game Consoles",
        "gaming/accessories" => "Video Games/Video Game Accessories",
        "wearables/smartwatches" => "Electronics/Wearable Technology/Smartwatches",
        "home/vacuums" => "Home/Vacuums & Floor Care/Vacuums",
        "home/kitchen" => "Home/Kitchen Appliances",
        _ => "Home/Heating, Cooling & Air Quality/Air Quality",
    };
    trail.to_owned()
}

fn bestbuy(p: &CatalogProduct, has: &dyn Fn(&str) -> bool) -> String {
    let brand = p.brand.as_str();
    let trail = match p.category.as_str() {
        "audio/headphones" if has("noise cancel") || has("noise cancellation") => {
            "Audio > Headphones > Noise-Canceling Headphones"
        }
        "audio/headphones" if has("earbuds") => "Audio > Headphones > Earbud Headphones",
        "audio/headphones" => "Audio > Headphones > All Headphones",
        "audio/speakers" if has("smart") => "Audio > Speakers > Smart Speakers",
        "audio/speakers" => "Audio > Speakers > Bluetooth Speakers",
        "audio/soundbars" => "TV & Home Theater > Home Audio > Soundbars",
        "tv/tvs" if has("oled") => "TV & Home Theater > TVs > OLED TVs",
        "tv/tvs" => "TV & Home Theater > TVs > All Flat-Screen TVs",
        "computers/laptops" if has("gaming") => "Computers & Tablets > Laptops > Gaming Laptops",
        "computers/laptops" => "Computers & Tablets > Laptops > All Laptops",
        "computers/monitors" if has("gaming") => "Computers & Tablets > Monitors > Gaming Monitors",
        "computers/monitors" => "Computers & Tablets > Monitors > All Monitors",
        "computers/tablets" => "Computers & Tablets > Tablets > All Tablets",
        "computers/storage" => "Computers & Tablets > Hard Drives & Storage",
        "computers/networking" => "Computers & Tablets > Networking",
        "phones/smartphones" => "Cell Phones > Unlocked Cell Phones",
        "cameras/cameras" if has("action") || has("360") => {
            "Cameras, Camcorders & Drones > Action Cameras"
        }
        "cameras/cameras" => "Cameras, Camcorders & Drones > Digital Cameras",
        "gaming/consoles" if brand == "Sony" => "Video Games > PlayStation 5 > PS5 Consoles",
        "gaming/consoles" if brand == "Microsoft" => {
            "Video Games > Xbox Series X & S > Xbox Series X & S Consoles"
        }
        "gaming/consoles" if brand == "Nintendo" => {
            "Video Games > Nintendo Switch > Nintendo Switch Consoles"
        }
        "gaming/consoles" => "Video Games > Handheld Gaming > Handheld Consoles",
        "gaming/accessories" => "Video Games > Gaming Accessories",
        "wearables/smartwatches" => "Wearable Technology > Smartwatches",
        "home/vacuums" if has("robot") => "Appliances > Vacuums & Floor Care > Robot Vacuums",
        "home/vacuums" if has("cordless") || has("stick") => {
            "Appliances > Vacuums & Floor Care > Cordless & Stick Vacuums"
        }
        "home/vacuums" => "Appliances > Vacuums & Floor Care > Upright Vacuums",
        "home/kitchen" => "Appliances > Small Kitchen Appliances",
        _ => "Appliances > Air Quality",
    };
    trail.to_owned()
}

fn target(p: &CatalogProduct) -> String {
    let trail = match p.category.as_str() {
        "audio/headphones" => "Electronics > Audio > Headphones",
        "audio/speakers" => "Electronics > Audio > Speakers",
        "audio/soundbars" => "Electronics > TV & Home Theater > Soundbars",
        "tv/tvs" => "Electronics > TV & Home Theater > TVs",
        "computers/laptops" => "Electronics > Computers & Office > Laptops",
        "computers/monitors" => "Electronics > Computers & Office > Monitors",
        "computers/tablets" => "Electronics > iPad & Tablets > Tablets",
        "computers/storage" => "Electronics > Computers & Office > Computer Storage",
        "computers/networking" => "Electronics > Computers & Office > Networking",
        "phones/smartphones" => "Electronics > Cell Phones > Smartphones",
        "cameras/cameras" => "Electronics > Cameras > Digital Cameras",
        "gaming/consoles" => "Video Games > Consoles",
        "gaming/accessories" => "Video Games > Gaming Accessories",
        "wearables/smartwatches" => "Electronics > Wearable Technology > Smartwatches",
        "home/vacuums" => "Home > Vacuums & Floor Care > Vacuums",
        "home/kitchen" => "Kitchen & Dining > Kitchen Appliances",
        _ => "Home > Air Quality > Air Purifiers",
    };
    trail.to_owned()
}

fn ebay(p: &CatalogProduct) -> String {
    let trail = match p.category.as_str() {
        "audio/headphones" => "Consumer Electronics > Portable Audio & Headphones > Headphones",
        "audio/speakers" => {
            "Consumer Electronics > Portable Audio & Headphones > Portable Speakers"
        }
        "audio/soundbars" => "Consumer Electronics > TV, Video & Home Audio > Soundbars",
        "tv/tvs" => "Consumer Electronics > TV, Video & Home Audio > Televisions",
        "computers/laptops" => "Computers/Tablets & Networking > Laptops & Netbooks",
        "computers/monitors" => "Computers/Tablets & Networking > Monitors",
        "computers/tablets" => "Computers/Tablets & Networking > Tablets & eBook Readers",
        "computers/storage" => "Computers/Tablets & Networking > Drives, Storage & Blank Media",
        "computers/networking" => "Computers/Tablets & Networking > Home Networking",
        "phones/smartphones" => "Cell Phones & Accessories > Cell Phones & Smartphones",
        "cameras/cameras" => "Cameras & Photo > Digital Cameras",
        "gaming/consoles" => "Video Games & Consoles > Video Game Consoles",
        "gaming/accessories" => "Video Games & Consoles > Video Game Accessories",
        "wearables/smartwatches" => "Cell Phones & Accessories > Smart Watches",
        "home/vacuums" => "Home & Garden > Household Supplies & Cleaning > Vacuum Cleaners",
        "home/kitchen" => "Home & Garden > Kitchen, Dining & Bar > Small Kitchen Appliances",
        _ => "Home & Garden > Home Improvement > Air Purifiers",
    };
    trail.to_owned()
}
