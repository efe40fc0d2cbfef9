//! Real-world vCard files (tests/data/vcards, from ez-vcard's test suite, see
//! LICENSE-ez-vcard) import without error and keep names, numbers, emails, company, title and
//! addresses; export → import round-trips every field; bad input fails naming the line.

use livecard_format::vcard::{parse_vcards, Imported};
use livecard_format::{Address, Limits, Region};

fn cn() -> Region {
    Region::default()
}

fn load(name: &str) -> Vec<Imported> {
    let path = format!("{}/tests/data/vcards/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let cards = parse_vcards(&bytes, cn()).unwrap_or_else(|e| panic!("{name}: {e}"));
    for c in &cards {
        c.card
            .validate(&Limits::DEFAULT)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    cards
}

fn one(name: &str) -> Imported {
    let mut cards = load(name);
    assert_eq!(cards.len(), 1, "{name}");
    cards.remove(0)
}

fn addr(parts: [&str; 7]) -> Address {
    Address {
        po_box: parts[0].into(),
        extended: parts[1].into(),
        street: parts[2].into(),
        locality: parts[3].into(),
        region: parts[4].into(),
        postal_code: parts[5].into(),
        country: parts[6].into(),
    }
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn has_warning(i: &Imported, needle: &str) -> bool {
    i.warnings.iter().any(|w| w.contains(needle))
}

// ---------------------------------------------------------------------------------------------
// Every sample file

#[test]
fn android_21_quoted_printable_utf8_several_cards() {
    let cards = load("John_Doe_ANDROID.vcf");
    assert_eq!(cards.len(), 6);
    assert_eq!(cards[0].card.email, v(&["john.doe@company.com"]));
    assert_eq!(cards[1].card.email, v(&["jane.doe@company.com"]));
    // N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=20…
    let c = &cards[2].card;
    assert_eq!(c.name, "Ñ Ñ Ñ Ñ Ñ");
    assert_eq!(c.family, "Ñ Ñ Ñ Ñ");
    assert_eq!(c.mobile, v(&["123456789"]));
    // Soft line breaks (=\r\n) inside N and FN.
    let c = &cards[3].card;
    assert_eq!(c.name, "Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ");
    assert_eq!(c.mobile, v(&["123456", "3456789"]));
    assert_eq!(c.phone, v(&["234567", "45678901"]));
    let c = &cards[4].card;
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Ñ Ñ", "Ñ Ñ Ñ"));
    assert_eq!(c.mobile, v(&["123456"]));
    assert_eq!(c.phone, v(&["123456"]));
    assert_eq!(c.fax, v(&["123456"]));
    assert_eq!(c.email, v(&["bob@company.com", "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑ"]));
    assert_eq!(c.company, "ÑÑÑÑÑÑÑÑÑÑÑÑ");
    assert_eq!(
        c.website,
        v(&["https://www.company.com/", "http://www.company.com/"])
    );
    // The sample's photo is truncated base64: dropped with a warning, card kept.
    assert!(c.avatar.is_none());
    assert!(
        has_warning(&cards[4], "PHOTO dropped"),
        "{:?}",
        cards[4].warnings
    );
    let c = &cards[5].card;
    assert_eq!(c.name, "ÑÑÑÑ");
    assert_eq!(c.company, "Ñ".repeat(44));
    assert_eq!(c.mobile, v(&["55556666"]));
    assert_eq!(c.email, v(&["henry@company.com"]));
    // Its second ORG has a stray =80 byte: replaced, warned, not fatal.
    assert!(
        has_warning(&cards[5], "not valid UTF-8"),
        "{:?}",
        cards[5].warnings
    );
}

#[test]
fn blackberry_21_single_line_base64_photo() {
    let i = one("John_Doe_BLACK_BERRY.vcf");
    let c = &i.card;
    assert_eq!(c.name, "John Doe");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "john"));
    assert_eq!(c.company, "Acme Solutions");
    assert_eq!(c.mobile, v(&["+96123456789"]));
    let a = c.avatar.as_ref().expect("photo kept");
    assert_eq!(a.mime, "image/jpeg");
    assert_eq!(a.data.len(), 1674);
    assert!(i.warnings.is_empty(), "{:?}", i.warnings);
}

#[test]
fn evolution_30_folded_lines_and_escapes() {
    let i = one("John_Doe_EVOLUTION.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. John Richter, James Doe Sr.");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Money Counter");
    assert_eq!(c.mobile, v(&["905-666-1234"]));
    assert_eq!(c.phone, v(&["905-555-1234"]));
    assert_eq!(c.email, v(&["john.doe@ibm.com"]));
    assert_eq!(c.website, v(&["http://www.ibm.com/"]));
    assert_eq!(
        c.address,
        vec![addr([
            "ASB-123",
            "",
            "15 Crescent moon drive",
            "Albaney",
            "New York",
            "12345",
            "United States of America"
        ])]
    );
    assert!(has_warning(&i, "department \"Accounting, Dungeon\""));
    assert!(has_warning(&i, "NOTE of 755 characters"));
}

#[test]
fn gmail_30() {
    let i = one("John_Doe_GMAIL.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. John Richter, James Doe Sr.");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Money Counter");
    assert_eq!(c.mobile, v(&["905-555-1234"]));
    assert_eq!(c.phone, v(&["905-666-1234"]));
    assert_eq!(c.email, v(&["john.doe@ibm.com"]));
    // `http\://` unescaped.
    assert_eq!(c.website, v(&["http://www.ibm.com/"]));
    // Gmail put the whole address into the second ADR part, with \n and a folded line.
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "Crescent moon drive\n555-asd\nNice Area, Albaney, New York 12345\nUnited States of America",
            "",
            "",
            "",
            "",
            ""
        ])]
    );
}

#[test]
fn iphone_30_item_groups_cr_cr_lf_and_photo() {
    let i = one("John_Doe_IPHONE.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. John Richter James Doe Sr.");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Money Counter");
    assert_eq!(c.mobile, v(&["905-555-1234"]));
    // home, work, pager, and item2.TEL labelled AssistantPhone.
    assert_eq!(
        c.phone,
        v(&[
            "905-666-1234",
            "905-777-1234",
            "905-111-1234",
            "905-222-1234"
        ])
    );
    assert_eq!(c.fax, v(&["905-888-1234", "905-999-1234"]));
    assert_eq!(c.email, v(&["john.doe@ibm.com"]));
    assert_eq!(c.website, v(&["http://www.ibm.com/"]));
    assert_eq!(
        c.address,
        vec![
            addr([
                "",
                "",
                "Silicon Alley 5,",
                "New York",
                "New York",
                "12345",
                "United States of America"
            ]),
            addr([
                "",
                "",
                "Street4\nBuilding 6\nFloor 8",
                "New York",
                "",
                "12345",
                "USA"
            ]),
        ]
    );
    let a = c.avatar.as_ref().expect("photo kept");
    assert_eq!(a.mime, "image/jpeg");
    assert_eq!(a.data.len(), 32531);
}

#[test]
fn lotus_notes_30() {
    let i = one("John_Doe_LOTUS_NOTES.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. Doe John I Johny");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Generic Accountant");
    // Not a valid number: kept as written.
    assert_eq!(c.mobile, v(&["+1 (212) 204-34456"]));
    // 00 is the international prefix from China: normalised.
    assert_eq!(c.fax, v(&["+12125557777"]));
    assert_eq!(c.email, v(&["john.doe@ibm.com", "billy_bob@gmail.com"]));
    assert_eq!(c.website, v(&["http://www.sun.com/"]));
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "",
            "25334\nSouth cresent drive, Building 5, 3rd floo r",
            "New York",
            "New York",
            "NYC887",
            "U.S.A."
        ])]
    );
    assert_eq!(c.avatar.as_ref().map(|a| a.data.len()), Some(7957));
}

#[test]
fn mac_address_book_30_indented_base64() {
    let i = one("John_Doe_MAC_ADDRESS_BOOK.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. John Richter,James Doe Sr.");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Money Counter");
    assert_eq!(c.mobile, v(&["905-555-1234"]));
    assert_eq!(
        c.phone,
        v(&[
            "905-777-1234",
            "905-666-1234",
            "905-111-1234",
            "905-222-1234"
        ])
    );
    assert_eq!(c.fax, v(&["905-888-1234", "905-999-1234"]));
    assert_eq!(c.email, v(&["john.doe@ibm.com"]));
    assert_eq!(c.address.len(), 2);
    assert_eq!(c.address[0].street, "Silicon Alley 5,");
    assert_eq!(c.address[1].street, "Street4\nBuilding 6\nFloor 8");
    assert_eq!(c.address[1].country, "USA");
    assert_eq!(c.avatar.as_ref().map(|a| a.data.len()), Some(18242));
}

#[test]
fn ms_outlook_21_quoted_printable_labels() {
    let i = one("John_Doe_MS_OUTLOOK.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. John Richter James Doe Sr.");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "IBM");
    assert_eq!(c.title, "Money Counter");
    assert!(c.mobile.is_empty());
    assert_eq!(c.phone, v(&["(905) 555-1234", "(905) 666-1234"]));
    assert_eq!(c.email, v(&["john.doe@ibm.cm"]));
    assert_eq!(
        c.address,
        vec![
            addr([
                "",
                "",
                "Cresent moon drive",
                "Albaney",
                "New York",
                "12345",
                "United States of America"
            ]),
            addr([
                "",
                "",
                "Silicon Alley 5,",
                "New York",
                "New York",
                "12345",
                "United States of America"
            ]),
        ]
    );
    assert_eq!(c.avatar.as_ref().map(|a| a.data.len()), Some(860));
}

#[test]
fn fullcontact_40_photo_links_and_duplicates() {
    let i = one("fullcontact.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Prefix FirstName MiddleName LastName Suffix");
    assert_eq!(
        (c.family.as_str(), c.given.as_str()),
        ("LastName", "FirstName")
    );
    assert_eq!(c.company, "Organization1");
    assert_eq!(c.title, "Title1");
    assert_eq!(c.mobile, v(&["+865555551113", "+865555551114"]));
    assert_eq!(
        c.phone,
        v(&[
            "+865555551111",
            "+865555551112",
            "+865555551115",
            "+865555551118",
            "+865555551119"
        ])
    );
    assert_eq!(c.fax, v(&["+865555551116", "+865555551117"]));
    assert_eq!(
        c.email,
        v(&[
            "home@example.com",
            "work@example.com",
            "school@example.com",
            "other@example.com",
            "custom@example.com"
        ])
    );
    assert_eq!(c.address.len(), 4);
    assert_eq!(
        c.address[0],
        addr([
            "",
            "HomeExtended",
            "HomeStreet",
            "HomeCity",
            "HomeState",
            "HomePostal",
            "HomeCountry"
        ])
    );
    assert_eq!(c.address[3].postal_code, "CustomPostal");
    assert_eq!(c.website.len(), 4);
    assert_eq!(c.bulletin, "Notes line 1 Notes line 2");
    assert!(c.avatar.is_none());
    assert!(has_warning(&i, "PHOTO link"));
    assert!(has_warning(&i, "second company \"Organization2\""));
    assert!(has_warning(&i, "second title \"Title2\""));
}

#[test]
fn gmail_list_three_cards() {
    let cards = load("gmail-list.vcf");
    let got: Vec<(&str, &str, &str, &str)> = cards
        .iter()
        .map(|i| {
            (
                i.card.name.as_str(),
                i.card.family.as_str(),
                i.card.given.as_str(),
                i.card.email[0].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Arnold Smith", "Smith", "Arnold", "asmithk@gmail.com"),
            ("Chris Beatle", "Beatle", "Chris", "chrisy55d@yahoo.com"),
            ("Doug White", "White", "Doug", "dwhite@gmail.com"),
        ]
    );
}

#[test]
fn gmail_single() {
    let i = one("gmail-single.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Greg Dartmouth");
    assert_eq!(c.company, "TheCompany");
    assert_eq!(c.title, "TheJobTitle");
    assert_eq!(c.mobile, v(&["+865555551111"]));
    assert_eq!(c.phone, v(&["+865555552222"]));
    assert_eq!(c.email, v(&["gdartmouth@hotmail.com"]));
    assert_eq!(
        c.address,
        vec![
            addr(["", "", "123 Home St\nHome City, HM 12345", "", "", "", ""]),
            addr(["", "", "321 Custom St", "Custom City", "TX", "98765", "USA"]),
        ]
    );
    assert_eq!(c.website, v(&["http://theprofile.com/"]));
}

#[test]
fn gmail_single2_messengers_from_x_properties() {
    let i = one("gmail-single2.vcf");
    let c = &i.card;
    assert_eq!(c.name, "VCard Test");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Test", "VCard"));
    assert_eq!(c.company, "TheCompany");
    assert_eq!(c.title, "TheJobTitle");
    assert_eq!(c.mobile, v(&["+865555551115"]));
    assert_eq!(c.phone.len(), 8);
    assert_eq!(c.fax, v(&["+865555551117", "+865555551118"]));
    assert_eq!(c.email.len(), 5);
    assert_eq!(c.email[4], "customcategory@example.com");
    assert_eq!(c.address.len(), 5);
    assert_eq!(
        c.address[4],
        addr(["", "", "115 Main St", "NY", "New York", "10011", ""])
    );
    assert_eq!(c.website.len(), 6);
    assert_eq!(c.qq, "IM6");
    assert_eq!(c.msn, "IM7");
}

#[test]
fn outlook_2003_21() {
    let i = one("outlook-2003.vcf");
    let c = &i.card;
    assert_eq!(c.name, "John Doe III");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "Company, The");
    assert_eq!(c.title, "The Job Title");
    assert_eq!(c.mobile, v(&["MobilePhone"]));
    assert_eq!(c.phone, v(&["BusinessPhone", "HomePhone"]));
    assert_eq!(c.fax, v(&["BusinessFaxPhone"]));
    assert_eq!(c.email, v(&["jdoe@hotmail.com"]));
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "TheOffice",
            "123 Main St",
            "Austin",
            "TX",
            "12345",
            "United States of America"
        ])]
    );
    // NOTE in quoted-printable with =0D=0A and a soft break inside "=0D=\r\n=0A".
    assert_eq!(
        c.bulletin,
        "This is the note field!! Second line Third line is empty"
    );
}

#[test]
fn outlook_2007_21() {
    let i = one("outlook-2007.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Mr. Michael Angstadt Jr.");
    assert_eq!(
        (c.family.as_str(), c.given.as_str()),
        ("Angstadt", "Michael")
    );
    assert_eq!(c.company, "TheCompany");
    assert_eq!(c.title, "TheJobTitle");
    assert_eq!(c.mobile, v(&["(111) 555-4444"]));
    assert_eq!(c.phone, v(&["(111) 555-1111", "(111) 555-2222"]));
    assert_eq!(c.fax, v(&["(111) 555-3333"]));
    assert_eq!(c.email, v(&["mike.angstadt@gmail.com"]));
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "TheOffice",
            "222 Broadway",
            "New York",
            "NY",
            "99999",
            "USA"
        ])]
    );
    assert_eq!(c.avatar.as_ref().map(|a| a.data.len()), Some(2324));
}

#[test]
fn rfc2426_examples_lf_and_fold_at_component() {
    let cards = load("rfc2426-example.vcf");
    assert_eq!(cards.len(), 2);
    let c = &cards[0].card;
    assert_eq!(c.name, "Frank Dawson");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Dawson", "Frank"));
    assert_eq!(c.company, "Lotus Development Corporation");
    assert_eq!(c.phone, v(&["+19196769515"]));
    assert_eq!(c.fax, v(&["+19196769564"]));
    assert_eq!(
        c.email,
        v(&["Frank_Dawson@Lotus.com", "fdawson@earthlink.net"])
    );
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "",
            "6544 Battleford Drive",
            "Raleigh",
            "NC",
            "27613-3502",
            "U.S.A."
        ])]
    );
    let c = &cards[1].card;
    assert_eq!(c.name, "Tim Howes");
    assert_eq!(c.company, "Netscape Communications Corp.");
    assert_eq!(c.phone, v(&["+14159373419"]));
    assert_eq!(c.fax, v(&["+14155284164"]));
    assert_eq!(c.email, v(&["howes@netscape.com"]));
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "",
            "501 E. Middlefield Rd.",
            "Mountain View",
            "CA",
            "94043",
            "U.S.A."
        ])]
    );
}

#[test]
fn rfc6350_example_tel_uris() {
    let i = one("rfc6350-example.vcf");
    let c = &i.card;
    assert_eq!(c.name, "Simon Perreault");
    assert_eq!(
        (c.family.as_str(), c.given.as_str()),
        ("Perreault", "Simon")
    );
    assert_eq!(c.company, "Viagenie");
    assert_eq!(c.phone, v(&["+14186569254;ext=102"]));
    assert_eq!(c.mobile, v(&["+14182626501"]));
    assert_eq!(c.email, v(&["simon.perreault@viagenie.ca"]));
    assert_eq!(
        c.address,
        vec![addr([
            "",
            "Suite D2-630",
            "2875 Laurier",
            "Quebec",
            "QC",
            "G1V 2M2",
            "Canada"
        ])]
    );
    assert_eq!(c.website, v(&["http://nomis80.org/"]));
}

#[test]
fn thunderbird_30() {
    let i = one("thunderbird-MoreFunctionsForAddressBook-extension.vcf");
    let c = &i.card;
    assert_eq!(c.name, "John Doe");
    assert_eq!((c.family.as_str(), c.given.as_str()), ("Doe", "John"));
    assert_eq!(c.company, "TheOrganization");
    assert_eq!(c.title, "TheTitle");
    assert_eq!(c.mobile, v(&["+865555555555"]));
    assert_eq!(
        c.phone,
        v(&["+865555551111", "+865555552222", "+865555554444"])
    );
    assert_eq!(c.fax, v(&["+865555553333"]));
    assert_eq!(c.email.len(), 5);
    assert_eq!(c.email[0], "doe.john@hotmail.com");
    assert_eq!(
        c.address,
        vec![
            addr([
                "",
                "222 Broadway",
                "Suite 100",
                "New York",
                "NY",
                "98765",
                "USA"
            ]),
            addr(["", "123 Main St", "Apt 10", "Austin", "TX", "12345", "USA"]),
        ]
    );
    assert_eq!(c.avatar.as_ref().map(|a| a.data.len()), Some(8940));
}

#[test]
fn every_sample_file_is_covered_and_imports() {
    let dir = format!("{}/tests/data/vcards", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "vcf") {
            n += 1;
            load(p.file_name().unwrap().to_str().unwrap());
        }
    }
    assert_eq!(n, 17, "a new sample file needs its own test above");
}

#[test]
fn region_decides_how_local_numbers_normalise() {
    let text =
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL;TYPE=CELL:(650) 253-0000\r\nEND:VCARD\r\n";
    let us: Region = "US".parse().unwrap();
    assert_eq!(
        parse_vcards(text, us).unwrap()[0].card.mobile,
        v(&["+16502530000"])
    );
    assert_eq!(
        parse_vcards(text, cn()).unwrap()[0].card.mobile,
        v(&["(650) 253-0000"])
    );
}
