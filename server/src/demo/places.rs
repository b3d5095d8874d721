//! The demo's places: addresses in cities of the bundled gazetteer.

use app::addresses::AddressInput;

/// (name, phone, line1, city, postcode): a place in the bundled gazetteer.
pub(super) type Place = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The demo's places.
pub(super) const PLACES: [Place; 10] = [
    (
        "Alice Chen",
        "+86 21 5555 0101",
        "1 Factory Road, Pudong",
        "Shanghai",
        "200120",
    ),
    (
        "王芳",
        "13900139000",
        "西湖区文三路 90 号",
        "Hangzhou",
        "310012",
    ),
    (
        "李雷",
        "13800138000",
        "海淀区中关村大街 27 号",
        "Beijing",
        "100080",
    ),
    (
        "陈静",
        "13700137000",
        "天河区体育西路 103 号",
        "Guangzhou",
        "510620",
    ),
    (
        "Zhang Wei",
        "13600136000",
        "8 Keyuan Road, Nanshan",
        "Shenzhen",
        "518057",
    ),
    (
        "刘洋",
        "13500135000",
        "武侯区人民南路 4 段 1 号",
        "Chengdu",
        "610041",
    ),
    (
        "赵敏",
        "13400134000",
        "江汉区解放大道 690 号",
        "Wuhan",
        "430022",
    ),
    ("孙丽", "13300133000", "北京西路 1 号", "Lhasa", "850000"),
    (
        "周杰",
        "13200132000",
        "南岗区西大直街 92 号",
        "Harbin",
        "150001",
    ),
    (
        "吴婷",
        "13100131000",
        "五华区青年路 389 号",
        "Kunming",
        "650021",
    ),
];

pub(super) fn place(i: usize) -> AddressInput {
    address(PLACES[i % PLACES.len()])
}

pub(super) fn address((name, phone, line1, city, postcode): Place) -> AddressInput {
    AddressInput {
        name: name.into(),
        phone: phone.into(),
        line1: line1.into(),
        city: city.into(),
        postcode: postcode.into(),
        country: "CN".into(),
        ..AddressInput::default()
    }
}
