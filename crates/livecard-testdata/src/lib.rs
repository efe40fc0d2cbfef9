//! Deterministic generated cards for tests and the search benchmark: Chinese names (common
//! surnames × given-name characters), Latin names, companies, mobiles and emails.

use livecard_format::Card;

const SURNAMES: [&str; 40] = [
    "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "于", "蒋", "蔡", "欧阳",
];
// No 三 or 丰 here, so the planted 张三丰 is the only one.
const GIVEN: [&str; 48] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "文", "斌", "辉", "鹏",
    "宇", "浩", "晨", "婷", "雪", "琳", "凯", "欣", "怡", "俊", "博", "嘉", "子", "思", "雨", "梓",
];
const FIRST: [&str; 24] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Oliver",
    "Alice",
    "Lucas",
    "Emma",
];
const LAST: [&str; 20] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
];
const COMPANIES: [&str; 16] = [
    "华为技术",
    "腾讯科技",
    "阿里巴巴",
    "小米",
    "百度在线",
    "京东",
    "字节跳动",
    "网易",
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "中国银行",
    "招商银行",
];
const TITLES: [&str; 8] = [
    "工程师",
    "产品经理",
    "销售总监",
    "Engineer",
    "Designer",
    "CEO",
    "会计",
    "律师",
];

/// `n` cards; about two thirds Chinese names, one third Latin. Card `i` has mobile
/// `+86139` followed by `i` in 8 digits, and email `user{i}@example.com`.
pub fn generate(n: usize) -> Vec<Card> {
    (0..n)
        .map(|i| {
            let name = if i % 3 == 2 {
                format!(
                    "{} {}",
                    FIRST[(i / 3) % FIRST.len()],
                    LAST[(i / 7) % LAST.len()]
                )
            } else {
                let s = SURNAMES[i % SURNAMES.len()];
                let g1 = GIVEN[(i / SURNAMES.len()) % GIVEN.len()];
                let g2 = if i % 2 == 0 {
                    GIVEN[(i * 7 / 5) % GIVEN.len()]
                } else {
                    ""
                };
                format!("{s}{g1}{g2}")
            };
            let (family, given) = livecard_format::card::split_name(&name);
            Card {
                name,
                family,
                given,
                company: COMPANIES[(i / 5) % COMPANIES.len()].to_string(),
                title: TITLES[(i / 11) % TITLES.len()].to_string(),
                mobile: vec![format!("+86139{i:08}")],
                email: vec![format!("user{i}@example.com")],
                ..Default::default()
            }
        })
        .collect()
}
