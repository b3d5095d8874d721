//! The demo's delivery areas: slot templates with their windows and pickup points.

use super::ignore_taken;
use app::error::AppError;
use app::platform::Db;
use app::slots::{self, SlotTemplateInput, WindowInput};

/// The delivery areas of the demo cities, defined through the same service a manager's form
/// and `POST /api/v1/slot-templates` use.
pub(super) async fn seed_slot_templates(db: &Db) -> Result<(), AppError> {
    let areas: [(&str, &str, &str, &[&str]); 5] = [
        (
            "shanghai",
            "Shanghai 上海",
            "20",
            &[
                "上海浦东世纪大道 100 号 Parcelport 服务点",
                "上海静安南京西路 1266 号快递柜",
            ],
        ),
        (
            "beijing",
            "Beijing 北京",
            "10",
            &["北京海淀中关村大街 1 号 Parcelport 服务点"],
        ),
        (
            "hangzhou",
            "Hangzhou 杭州",
            "31",
            &["杭州西湖文三路 259 号快递柜"],
        ),
        (
            "guangzhou",
            "Guangzhou 广州",
            "510",
            &["广州天河体育西路 191 号 Parcelport 服务点"],
        ),
        (
            "shenzhen",
            "Shenzhen 深圳",
            "518",
            &["深圳南山科苑路 15 号快递柜"],
        ),
    ];
    let windows = [
        ("09:00", "11:00"),
        ("11:00", "13:00"),
        ("14:00", "18:00"),
        ("18:00", "21:00"),
    ];
    for (i, (area, name, prefix, points)) in areas.into_iter().enumerate() {
        let city = name.split(' ').next().unwrap_or(name);
        let input = SlotTemplateInput {
            area: area.into(),
            name: name.into(),
            country: "CN".into(),
            time_zone: "Asia/Shanghai".into(),
            cities: vec![city.into()],
            postcode_prefixes: vec![prefix.into()],
            // Big cities deliver every day; the others rest on Sunday.
            weekdays: if i < 2 {
                (1..=7).collect()
            } else {
                (1..=6).collect()
            },
            windows: windows
                .iter()
                .map(|(s, e)| WindowInput {
                    start: (*s).into(),
                    end: (*e).into(),
                })
                .collect(),
            capacity: if i < 2 { 20 } else { 8 },
            cutoff_days_before: 1,
            cutoff_time: "20:00".into(),
            days_ahead: 14,
            holidays: Vec::new(),
            pickup_points: points.iter().map(|p| (*p).into()).collect(),
        };
        ignore_taken(slots::service::save(db, None, &input).await)?;
    }
    Ok(())
}
